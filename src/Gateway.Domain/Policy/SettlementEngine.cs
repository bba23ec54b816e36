namespace Gateway.Domain;

/// <summary>
/// The one-line entry points: price with the treatment region's catalog (就医地目录), evaluate with the
/// home region's pack (参保地政策). Both throw <see cref="RejectedException"/> for input to reject.
/// </summary>
public static class SettlementEngine
{
    public static PricedEncounter Price(Catalog catalog, Encounter encounter) => CatalogPricer.Price(catalog, encounter);

    public static SettlementResult Evaluate(RulePackSet packs, PricedEncounter priced, MemberProfile member, AnnualAccumulators before) =>
        PolicyEngine.Evaluate(packs.Get(member.HomeRegion, priced.Encounter.ServiceDate), priced, member, before);

    public static SettlementResult Settle(Catalog catalog, RulePackSet packs, Encounter encounter, MemberProfile member, AnnualAccumulators before) =>
        Evaluate(packs, Price(catalog, encounter), member, before);
}
