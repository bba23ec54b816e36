namespace Gateway.Domain;

/// <summary>
/// A home region's policy (参保地政策) for a period: every number the engine uses, validated on load and
/// precompiled into flat arrays indexed by insurance type and hospital level. A fifth region is a new file.
/// </summary>
public sealed class RulePack
{
    public required string PackId { get; init; }
    public required RegionCode Region { get; init; }
    public required string RegionName { get; init; }
    public required string Version { get; init; }
    public required DateOnly EffectiveFrom { get; init; }
    public DateOnly? EffectiveTo { get; init; }
    public required DeductibleRules Deductible { get; init; }
    public required BasicFundRules Basic { get; init; }
    public SupplementaryRules? Supplementary { get; init; }
    public MajorIllnessRules? MajorIllness { get; init; }
    public AssistanceRules? Assistance { get; init; }
    /// <summary>综合保障额度: one annual cap over all fund layers, by insurance type (null = none).</summary>
    public decimal?[]? CombinedAnnualCap { get; init; }
    public required bool PersonalAccountAllowed { get; init; }
    /// <summary>Filing (备案) rules beyond the unfiled penalty (spec §9.4, §9.5); null = none of them.</summary>
    public FilingRules? Filing { get; init; }
    /// <summary>Where each layer reports on the national interface (setlinfo field, setldetail fund_pay_type).</summary>
    public NationalReporting National { get; init; } = NationalReporting.Default;

    public bool IsEffectiveOn(DateOnly date) => date >= EffectiveFrom && (EffectiveTo is null || date <= EffectiveTo);

    public static int Index(InsuranceType t) => (int)t;

    public static int Index(InsuranceType t, HospitalLevel l) => (int)t * 3 + ((int)l - 1);
}

/// <summary>起付线 rules.</summary>
public sealed class DeductibleRules
{
    /// <summary>Inpatient deductible by [insurance type × 3 + level − 1].</summary>
    public required decimal[] Inpatient { get; init; }
    /// <summary>Multiplies the deductible from the 2nd completed admission of the year on.</summary>
    public required decimal SecondAdmissionFactor { get; init; }
    public required decimal SpecialOutpatientAnnualDefault { get; init; }
    public required IReadOnlyDictionary<string, decimal> SpecialOutpatientAnnualByDisease { get; init; }

    public decimal SpecialOutpatientAnnual(string? disease) =>
        disease is not null && SpecialOutpatientAnnualByDisease.TryGetValue(disease, out var d) ? d : SpecialOutpatientAnnualDefault;
}

/// <summary>统筹基金 rules.</summary>
public sealed class BasicFundRules
{
    public required decimal[] InpatientRatio { get; init; }
    /// <summary>Null: special outpatient uses the inpatient ratio.</summary>
    public decimal[]? SpecialOutpatientRatio { get; init; }
    public required decimal RetireeUplift { get; init; }
    public required decimal UnfiledPenalty { get; init; }
    public required SpecialDiseaseRule[] SpecialDiseaseRules { get; init; }
    /// <summary>Annual cap by insurance type (null entry = no cap of its own).</summary>
    public required decimal?[] AnnualCapByType { get; init; }
    /// <summary>When set, the cap is this × min(max(continuous years, min), max) (e.g. Shenzhen 81,000 × years, at most 6).</summary>
    public decimal? CapPerContinuousYear { get; init; }
    public int CapMinYears { get; init; } = 1;
    public int CapMaxYears { get; init; } = 1;

    public decimal? AnnualCap(MemberProfile m)
    {
        if (CapPerContinuousYear is { } per)
        {
            var years = Math.Min(Math.Max(m.ContinuousYears, CapMinYears), CapMaxYears);
            return per * years;
        }
        return AnnualCapByType[RulePack.Index(m.InsuranceType)];
    }
}

public enum SpecialDiseaseMode { Replace, Add }

/// <summary>A special-disease rule: a primary diagnosis in one of the ICD-10 ranges (and age below a limit) replaces or adds to the ratio.</summary>
public sealed class SpecialDiseaseRule
{
    public required string Name { get; init; }
    public required IcdRange[] Ranges { get; init; }
    public int? MaxAgeExclusive { get; init; }
    public required SpecialDiseaseMode Mode { get; init; }
    public required decimal Ratio { get; init; }

    public bool Matches(string? primaryDiagnosis, int age)
    {
        if (primaryDiagnosis is null) return false;
        if (MaxAgeExclusive is { } max && age >= max) return false;
        foreach (var r in Ranges) if (r.Contains(primaryDiagnosis)) return true;
        return false;
    }
}

/// <summary>An inclusive range of ICD-10 categories by their first three characters, e.g. Q20–Q26.</summary>
public readonly record struct IcdRange(string From, string To)
{
    public bool Contains(string code)
    {
        if (code.Length < 3) return false;
        var category = code.AsSpan(0, 3);
        return category.CompareTo(From, StringComparison.OrdinalIgnoreCase) >= 0 && category.CompareTo(To, StringComparison.OrdinalIgnoreCase) <= 0;
    }
}

/// <summary>补充 (e.g. Shenzhen 地补): pays what the basic fund wanted but could not because its cap ran out.</summary>
public sealed class SupplementaryRules
{
    public required decimal Ratio { get; init; }
    public decimal? AnnualCap { get; init; }
}

/// <summary>A segment of the amount above the threshold, [From, To) with its ratio; To null = unbounded.</summary>
public readonly record struct Segment(decimal From, decimal? To, decimal Ratio);

/// <summary>大病保险 / 重疾补充: annual, cumulative, on the in-scope personal burden above a threshold.</summary>
public sealed class MajorIllnessRules
{
    public required bool EnrolmentRequired { get; init; }
    public required EncounterType[] EncounterTypes { get; init; }
    public required decimal Threshold { get; init; }
    public required Segment[] Segments { get; init; }
    public decimal? AnnualCap { get; init; }
    /// <summary>Items outside the catalog that the layer also pays (spec §9.1, Shenzhen 重疾补充); null = none.</summary>
    public OutOfCatalogRules? OutOfCatalog { get; init; }
    /// <summary>Terms by assistance category (spec §9.2), indexed by <see cref="AssistanceCategory"/>; null entry = the pack's own terms.</summary>
    public MajorIllnessCategoryTerms?[]? ByCategory { get; init; }

    public MajorIllnessCategoryTerms? TermsFor(AssistanceCategory c) => ByCategory?[(int)c];

    public bool Covers(EncounterType type)
    {
        foreach (var t in EncounterTypes) if (t == type) return true;
        return false;
    }
}

public enum AssistanceBase { InScope, Total }

/// <summary>医疗救助: per category threshold and ratio, on the burden left after the fund layers.</summary>
public sealed class AssistanceRules
{
    public required AssistanceBase Base { get; init; }
    /// <summary>Indexed by <see cref="AssistanceCategory"/>; null = the category gets no assistance.</summary>
    public required AssistanceTerms?[] Categories { get; init; }
    public decimal? AnnualCap { get; init; }
    /// <summary>A ceiling on the personal in-scope share the fund tops up to (spec §9.3); null = none.</summary>
    public BurdenCeilingRules? BurdenCeiling { get; init; }
}

public sealed record AssistanceTerms(decimal Threshold, decimal Ratio);

/// <summary>
/// Out-of-catalog items the major-illness layer pays (spec §9.1): the full self-pay of a line whose item code is listed and
/// that is not in the treatment catalog or is class C, at <see cref="Ratio"/>, on top of the cumulative in-scope payment.
/// </summary>
public sealed class OutOfCatalogRules
{
    public required IReadOnlySet<string> ItemCodes { get; init; }
    public required decimal Ratio { get; init; }

    public bool Lists(in PricedLine line) =>
        (line.Pricing is LinePricing.NotInCatalog or LinePricing.ClassC) && line.FullSelfPay > 0m && ItemCodes.Contains(line.ItemCode);
}

/// <summary>Major-illness terms for one assistance category (spec §9.2).</summary>
public sealed record MajorIllnessCategoryTerms(decimal ThresholdFactor, decimal RatioPoints, bool NoCap);

/// <summary>
/// 个人负担封顶 (spec §9.3): for the listed categories and encounter types (and, when listed, special diseases), the assistance
/// fund pays what keeps the personal in-scope share at most <see cref="MaxShare"/> of the in-scope amount, within its caps.
/// </summary>
public sealed class BurdenCeilingRules
{
    public required AssistanceCategory[] Categories { get; init; }
    public required EncounterType[] EncounterTypes { get; init; }
    /// <summary>Null: any encounter of the listed types; else the encounter's special-disease code must be listed.</summary>
    public IReadOnlySet<string>? SpecialDiseaseCodes { get; init; }
    public required decimal MaxShare { get; init; }

    public bool AppliesTo(AssistanceCategory category, EncounterType type, string? specialDisease) =>
        Array.IndexOf(Categories, category) >= 0 && Array.IndexOf(EncounterTypes, type) >= 0
        && (SpecialDiseaseCodes is null || (specialDisease is not null && SpecialDiseaseCodes.Contains(specialDisease)));
}

/// <summary>Filing (备案) rules of a home region (spec §9.4, §9.5).</summary>
public sealed class FilingRules
{
    /// <summary>省内就医免备案: no unfiled penalty when the treatment region is in the member's home province (first two digits equal).</summary>
    public required bool ExemptWithinProvince { get; init; }
    /// <summary>Online filing by a treating hospital (秒备案): the number of days a filing is valid from its day; null = not allowed.</summary>
    public int? OnlineValidityDays { get; init; }

    public bool OnlineAllowed => OnlineValidityDays is not null;
}
