using Gateway.Domain;

namespace Gateway.Cli.Evaluate;

/// <summary>One scenario evaluated under the base pack (and the compare pack), or its error.</summary>
public sealed record ScenarioOutcome(ScenarioInput Input, SettlementResult? Base, SettlementResult? Compare, string? ErrorPath, string? Error)
{
    public bool Failed => Error is not null;
}

/// <summary>Sums per home region (and the budget impact of the compare pack).</summary>
public sealed class RegionSummary
{
    public int Count;
    public decimal Total, BasicFund, SupplementaryFund, MajorIllnessFund, AssistanceFund, AccountPay, CashPay, FundTotal;

    public void Add(SettlementSplit s)
    {
        Count++;
        Total += s.Total;
        BasicFund += s.BasicFund;
        SupplementaryFund += s.SupplementaryFund;
        MajorIllnessFund += s.MajorIllnessFund;
        AssistanceFund += s.AssistanceFund;
        AccountPay += s.AccountPay;
        CashPay += s.CashPay;
        FundTotal += s.FundTotal;
    }

    public IEnumerable<(string Field, decimal Value)> Fields() =>
    [
        ("total", Total), ("basicFund", BasicFund), ("supplementaryFund", SupplementaryFund), ("majorIllnessFund", MajorIllnessFund),
        ("assistanceFund", AssistanceFund), ("accountPay", AccountPay), ("cashPay", CashPay), ("fundTotal", FundTotal),
    ];
}

/// <summary>The engine applied to each scenario: the very code the gateway's home evaluator runs.</summary>
public sealed class EvaluationRun(RulePackSet? basePacks, RulePack? basePack, RulePack? comparePack, Dictionary<string, CatalogItem> items)
{
    private readonly Dictionary<RegionCode, Catalog> _catalogs = new();

    public SortedDictionary<string, RegionSummary> Base { get; } = new(StringComparer.Ordinal);
    public SortedDictionary<string, RegionSummary> Compared { get; } = new(StringComparer.Ordinal);
    public int Evaluated { get; private set; }
    public int Failed { get; private set; }

    private Catalog CatalogFor(RegionCode region)
    {
        if (!_catalogs.TryGetValue(region, out var c)) _catalogs[region] = c = new Catalog(region, "what-if", items);
        return c;
    }

    public ScenarioOutcome Evaluate(ScenarioInput input)
    {
        if (input.Scenario is not { } s)
        {
            Failed++;
            return new ScenarioOutcome(input, null, null, input.ErrorPath, input.Error);
        }
        try
        {
            var priced = SettlementEngine.Price(CatalogFor(s.Encounter.TreatmentRegion), s.Encounter);
            var pack = basePack ?? (basePacks ?? RulePackSet.Default).Get(s.Member.HomeRegion, s.Encounter.ServiceDate);
            var b = PolicyEngine.Evaluate(pack, priced, s.Member, s.Accumulators);
            var c = comparePack is null ? null : PolicyEngine.Evaluate(comparePack, priced, s.Member, s.Accumulators);
            var home = s.Member.HomeRegion.Value;
            Summary(Base, home).Add(b.Split);
            if (c is not null) Summary(Compared, home).Add(c.Split);
            Evaluated++;
            return new ScenarioOutcome(input, b, c, null, null);
        }
        catch (RejectedException e)
        {
            Failed++;
            return new ScenarioOutcome(input, null, null, "$.encounter" + (e.Rejection.Pointer?.Replace('/', '.') ?? ""), $"{e.Rejection.Name}: {e.Rejection.Detail}");
        }
    }

    private static RegionSummary Summary(SortedDictionary<string, RegionSummary> map, string region)
    {
        if (!map.TryGetValue(region, out var s)) map[region] = s = new RegionSummary();
        return s;
    }
}
