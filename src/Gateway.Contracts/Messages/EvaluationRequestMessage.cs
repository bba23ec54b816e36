using Gateway.Domain;

namespace Gateway.Contracts;

/// <summary>
/// gateway → home region (queue <c>eval-requests-{homeRegion}</c>), schema messages/evaluation-request.v1.json.
/// <c>kind</c> is <c>evaluate</c> (price already done by the treatment region), <c>cancel</c> (reverse exactly
/// what the settlement applied) or <c>void</c> (the gateway failed the settlement: reverse what it applied, or make sure
/// it never applies; docs/messages.md).
/// </summary>
public sealed record EvaluationRequestMessage
{
    public const int CurrentSchemaVersion = 1;
    public const string Evaluate = "evaluate";
    public const string Cancel = "cancel";
    public const string Void = "void";
    public int SchemaVersion { get; init; } = CurrentSchemaVersion;
    public required string Kind { get; init; }
    public required string CorrelationId { get; init; }
    public required string SettlementId { get; init; }
    public required string HospitalCode { get; init; }
    public required string HomeRegion { get; init; }
    public required string TreatmentRegion { get; init; }
    public required string MemberId { get; init; }
    public PricedEncounterDto? Encounter { get; init; }
    public string? CancelReason { get; init; }
    public required DateTimeOffset SentAt { get; init; }
}

/// <summary>The encounter as priced by the treatment region's catalog (就医地目录).</summary>
public sealed record PricedEncounterDto
{
    public required string EncounterType { get; init; }
    public required int HospitalLevel { get; init; }
    public required DateOnly AdmissionDate { get; init; }
    public required DateOnly DischargeDate { get; init; }
    public required List<string> Diagnoses { get; init; }
    public string? SpecialDiseaseCode { get; init; }
    public bool Emergency { get; init; }
    public bool UseAccount { get; init; }
    public string? ReferralType { get; init; }
    public string? ReferringSettlementId { get; init; }
    public required string CatalogVersion { get; init; }
    public required decimal Total { get; init; }
    public required decimal FullSelfPay { get; init; }
    public required decimal OverLimitSelfPay { get; init; }
    public required decimal PreSelfPay { get; init; }
    public required decimal InScope { get; init; }
    public required List<PricedLineDto> Lines { get; init; }

    public static PricedEncounterDto From(PricedEncounter p)
    {
        var e = p.Encounter;
        return new PricedEncounterDto
        {
            EncounterType = DomainNames.Of(e.EncounterType),
            HospitalLevel = (int)e.HospitalLevel,
            AdmissionDate = e.AdmissionDate,
            DischargeDate = e.DischargeDate,
            Diagnoses = e.Diagnoses.ToList(),
            SpecialDiseaseCode = e.SpecialDiseaseCode,
            Emergency = e.Emergency,
            UseAccount = e.UseAccount,
            ReferralType = e.Referral is null ? null : DomainNames.Of(e.Referral.Type),
            ReferringSettlementId = e.Referral?.ReferringSettlementId,
            CatalogVersion = p.CatalogVersion,
            Total = p.Total,
            FullSelfPay = p.FullSelfPay,
            OverLimitSelfPay = p.OverLimitSelfPay,
            PreSelfPay = p.PreSelfPay,
            InScope = p.InScope,
            Lines = p.Lines.Select((l, i) => PricedLineDto.From(l, e.Lines[i])).ToList(),
        };
    }

    /// <summary>
    /// Rebuilds the priced encounter on the home side. The pricing is the treatment region's decision and is
    /// taken as sent, but its identities are checked: a message whose parts do not add up is rejected.
    /// </summary>
    public PricedEncounter ToDomain(string hospitalCode, RegionCode treatmentRegion, decimal? referringDeductiblePaid)
    {
        if (!DomainNames.TryParseEncounterType(EncounterType, out var type)) throw new FormatException($"Unknown encounter type '{EncounterType}'.");
        if (HospitalLevel is < 1 or > 3) throw new FormatException("hospitalLevel must be 1, 2 or 3.");
        Referral? referral = null;
        if (ReferralType is not null)
        {
            if (!DomainNames.TryParseReferralType(ReferralType, out var rt)) throw new FormatException($"Unknown referral type '{ReferralType}'.");
            referral = new Referral(rt, ReferringSettlementId, referringDeductiblePaid);
        }
        var lines = Lines.Select(l => l.ToDomain()).ToArray();
        var encounterLines = Lines.Select(l => new EncounterLine(l.LineNo, l.ItemCode, null, l.Quantity, l.UnitPrice, l.Amount)).ToList();
        var encounter = new Encounter(hospitalCode, treatmentRegion, (HospitalLevel)HospitalLevel, type, AdmissionDate, DischargeDate,
            Diagnoses, SpecialDiseaseCode, Emergency, UseAccount, referral, encounterLines);
        decimal full = 0, over = 0, pre = 0, inScope = 0;
        foreach (var l in lines)
        {
            if (l.FullSelfPay < 0 || l.OverLimitSelfPay < 0 || l.PreSelfPay < 0 || l.InScope < 0 || l.FullSelfPay + l.OverLimitSelfPay + l.PreSelfPay + l.InScope != l.Amount)
                throw new FormatException($"Priced line {l.LineNo} does not add up to its amount.");
            full += l.FullSelfPay; over += l.OverLimitSelfPay; pre += l.PreSelfPay; inScope += l.InScope;
        }
        if (full != FullSelfPay || over != OverLimitSelfPay || pre != PreSelfPay || inScope != InScope || Total != full + over + pre + inScope)
            throw new FormatException("The priced totals do not equal the sum of the priced lines.");
        return new PricedEncounter(encounter, lines, Total, FullSelfPay, OverLimitSelfPay, PreSelfPay, InScope, CatalogVersion);
    }
}

public sealed record PricedLineDto
{
    public required int LineNo { get; init; }
    public required string ItemCode { get; init; }
    public required string Pricing { get; init; }
    public required decimal Quantity { get; init; }
    public required decimal UnitPrice { get; init; }
    public required decimal Amount { get; init; }
    public required decimal FullSelfPay { get; init; }
    public required decimal OverLimitSelfPay { get; init; }
    public required decimal PreSelfPay { get; init; }
    public required decimal InScope { get; init; }
    public decimal? PriceCeiling { get; init; }
    public decimal PreSelfPayRatio { get; init; }

    private static readonly string[] Names = ["classA", "classB", "classC", "notInCatalog"];

    public static PricedLineDto From(PricedLine l, EncounterLine billed) => new()
    {
        LineNo = l.LineNo, ItemCode = l.ItemCode, Pricing = Names[(int)l.Pricing], Quantity = billed.Quantity, UnitPrice = billed.UnitPrice, Amount = l.Amount,
        FullSelfPay = l.FullSelfPay, OverLimitSelfPay = l.OverLimitSelfPay, PreSelfPay = l.PreSelfPay, InScope = l.InScope,
        PriceCeiling = l.PriceCeiling, PreSelfPayRatio = l.PreSelfPayRatio,
    };

    public PricedLine ToDomain()
    {
        var i = Array.IndexOf(Names, Pricing);
        if (i < 0) throw new FormatException($"Unknown line pricing '{Pricing}'.");
        return new PricedLine(LineNo, ItemCode, (LinePricing)i, Amount, FullSelfPay, OverLimitSelfPay, PreSelfPay, InScope, PriceCeiling, PreSelfPayRatio);
    }
}
