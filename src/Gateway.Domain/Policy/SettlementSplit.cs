namespace Gateway.Domain;

/// <summary>
/// The split (spec §3): what the funds pay and what the patient pays. Exactly:
/// total = fullSelfPay + overLimitSelfPay + preSelfPay + inScope, and
/// total = basicFund + supplementaryFund + majorIllnessFund + assistanceFund + accountPay + cashPay.
/// </summary>
public sealed record SettlementSplit(
    decimal Total,
    decimal FullSelfPay,
    decimal OverLimitSelfPay,
    decimal PreSelfPay,
    decimal InScope,
    decimal Deductible,
    decimal BasicFund,
    decimal SupplementaryFund,
    decimal MajorIllnessFund,
    decimal AssistanceFund,
    decimal AccountPay,
    decimal CashPay,
    decimal CapShortfall)
{
    /// <summary>The four fund layers (personal account excluded).</summary>
    public decimal FundTotal => BasicFund + SupplementaryFund + MajorIllnessFund + AssistanceFund;
}

/// <summary>Facts the explanation needs beyond the figures.</summary>
[Flags]
public enum SettlementNotes
{
    None = 0,
    SecondAdmission = 1 << 0,
    UpwardReferral = 1 << 1,
    DownwardReferral = 1 << 2,
    ReferringSettlementUnknown = 1 << 3,
    RetireeUplift = 1 << 4,
    SpecialDiseaseReplaced = 1 << 5,
    SpecialDiseaseAdded = 1 << 6,
    Unfiled = 1 << 7,
    EmergencyCountsAsFiled = 1 << 8,
    BasicCapReached = 1 << 9,
    SupplementaryCapReached = 1 << 10,
    MajorIllnessNotEnrolled = 1 << 11,
    MajorIllnessNotThisEncounterType = 1 << 12,
    MajorIllnessCapReached = 1 << 13,
    AssistanceCapReached = 1 << 14,
    CombinedCapReached = 1 << 15,
    AccountUsed = 1 << 16,
    AccountNotAllowed = 1 << 17,
}

/// <summary>Everything a settlement decided, enough to explain it line by line and to reverse it exactly.</summary>
public sealed record SettlementResult(
    SettlementSplit Split,
    decimal Ratio,
    decimal DeductibleDue,
    AccumulatorDelta Delta,
    AnnualAccumulators Before,
    string PackId,
    string PackVersion,
    string CatalogVersion,
    SettlementNotes Notes,
    string? SpecialDiseaseRule,
    PricedEncounter Priced)
{
    public AnnualAccumulators After => Before.Apply(Delta);

    /// <summary>Built on demand: the hot path does not pay for text nobody reads.</summary>
    public IReadOnlyList<ExplanationStep> Explain() => Explanation.Build(this);
}
