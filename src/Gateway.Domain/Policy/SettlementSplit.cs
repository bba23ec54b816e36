namespace Gateway.Domain;

/// <summary>
/// The split (spec §3): what the funds pay and what the patient pays. It cannot be made unless its identities hold:
/// total = fullSelfPay + overLimitSelfPay + preSelfPay + inScope, and
/// total = basicFund + supplementaryFund + majorIllnessFund + assistanceFund + accountPay + cashPay; every component is
/// in cents and none is negative; the deductible lies within the in-scope amount. Its properties have no setters, so no
/// <c>with</c> can break them afterwards.
/// </summary>
public sealed record SettlementSplit
{
    public SettlementSplit(decimal Total, decimal FullSelfPay, decimal OverLimitSelfPay, decimal PreSelfPay, decimal InScope, decimal Deductible,
        decimal BasicFund, decimal SupplementaryFund, decimal MajorIllnessFund, decimal AssistanceFund, decimal AccountPay, decimal CashPay, decimal CapShortfall)
    {
        this.Total = Total;
        this.FullSelfPay = FullSelfPay;
        this.OverLimitSelfPay = OverLimitSelfPay;
        this.PreSelfPay = PreSelfPay;
        this.InScope = InScope;
        this.Deductible = Deductible;
        this.BasicFund = BasicFund;
        this.SupplementaryFund = SupplementaryFund;
        this.MajorIllnessFund = MajorIllnessFund;
        this.AssistanceFund = AssistanceFund;
        this.AccountPay = AccountPay;
        this.CashPay = CashPay;
        this.CapShortfall = CapShortfall;
        if (FullSelfPay + OverLimitSelfPay + PreSelfPay + InScope != Total)
            throw new InvalidSplitException($"total {Total} ≠ fullSelfPay {FullSelfPay} + overLimitSelfPay {OverLimitSelfPay} + preSelfPay {PreSelfPay} + inScope {InScope}");
        if (BasicFund + SupplementaryFund + MajorIllnessFund + AssistanceFund + AccountPay + CashPay != Total)
            throw new InvalidSplitException($"total {Total} ≠ funds {BasicFund} + {SupplementaryFund} + {MajorIllnessFund} + {AssistanceFund} + account {AccountPay} + cash {CashPay}");
        if (Deductible > InScope)
            throw new InvalidSplitException($"deductible {Deductible} exceeds inScope {InScope}");
        foreach (var (name, v) in (ReadOnlySpan<(string, decimal)>)[("total", Total), ("fullSelfPay", FullSelfPay), ("overLimitSelfPay", OverLimitSelfPay), ("preSelfPay", PreSelfPay),
                     ("inScope", InScope), ("deductible", Deductible), ("basicFund", BasicFund), ("supplementaryFund", SupplementaryFund), ("majorIllnessFund", MajorIllnessFund),
                     ("assistanceFund", AssistanceFund), ("accountPay", AccountPay), ("cashPay", CashPay), ("capShortfall", CapShortfall)])
        {
            if (v < 0m || decimal.Round(v, 2) != v) throw new InvalidSplitException($"{name} {v} is not a non-negative amount in cents");
        }
    }

    public decimal Total { get; }
    public decimal FullSelfPay { get; }
    public decimal OverLimitSelfPay { get; }
    public decimal PreSelfPay { get; }
    public decimal InScope { get; }
    public decimal Deductible { get; }
    public decimal BasicFund { get; }
    public decimal SupplementaryFund { get; }
    public decimal MajorIllnessFund { get; }
    public decimal AssistanceFund { get; }
    public decimal AccountPay { get; }
    public decimal CashPay { get; }
    public decimal CapShortfall { get; }

    /// <summary>The four fund layers (personal account excluded).</summary>
    public decimal FundTotal => BasicFund + SupplementaryFund + MajorIllnessFund + AssistanceFund;
}

/// <summary>A split whose identities do not hold: a defect of the engine, never a property of the input.</summary>
public sealed class InvalidSplitException(string message) : Exception("The split's identities do not hold: " + message);

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
    /// <summary>Unfiled, but the treatment region is in the home province and the pack needs no filing there (§9.4).</summary>
    WithinProvinceNoFilingNeeded = 1 << 18,
    /// <summary>The major-illness layer used the member's assistance-category terms (§9.2).</summary>
    MajorIllnessCategoryTerms = 1 << 19,
    /// <summary>The personal-burden ceiling applies to this member and encounter (§9.3).</summary>
    BurdenCeilingApplies = 1 << 20,
    /// <summary>The ceiling's top-up was limited by the assistance cap or the combined cap (§9.3).</summary>
    BurdenCeilingCapBound = 1 << 21,
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

    /// <summary>The major-illness threshold applied (after the category's factor, §9.2); 0 when the layer did not apply.</summary>
    public decimal MajorIllnessThreshold { get; init; }
    /// <summary>The part of <see cref="SettlementSplit.MajorIllnessFund"/> paid on the listed out-of-catalog items (§9.1).</summary>
    public decimal MajorIllnessOutOfCatalog { get; init; }
    /// <summary>The lines whose out-of-catalog amount the major-illness layer paid (§9.1), in bill order.</summary>
    public IReadOnlyList<int> OutOfCatalogLines { get; init; } = [];
    public decimal OutOfCatalogRatio { get; init; }
    /// <summary>The part of <see cref="SettlementSplit.AssistanceFund"/> paid by the personal-burden ceiling (§9.3).</summary>
    public decimal BurdenCeilingPaid { get; init; }
    public decimal BurdenCeilingShare { get; init; }

    /// <summary>Built on demand: the hot path does not pay for text nobody reads.</summary>
    public IReadOnlyList<ExplanationStep> Explain() => Explanation.Build(this);
}
