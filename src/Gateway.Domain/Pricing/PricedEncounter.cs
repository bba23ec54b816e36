namespace Gateway.Domain;

/// <summary>How the treatment-region catalog treated one line.</summary>
public enum LinePricing
{
    /// <summary>Class A (甲): fully in scope.</summary>
    ClassA,
    /// <summary>Class B (乙): a pre-self-pay share first.</summary>
    ClassB,
    /// <summary>Class C (丙): not covered, all self-paid.</summary>
    ClassC,
    /// <summary>Not in the catalog on the service date: all self-paid.</summary>
    NotInCatalog,
}

/// <summary>One priced line: amount = fullSelfPay + overLimitSelfPay + preSelfPay + inScope, exactly.</summary>
public readonly record struct PricedLine(
    int LineNo,
    string ItemCode,
    LinePricing Pricing,
    decimal Amount,
    decimal FullSelfPay,
    decimal OverLimitSelfPay,
    decimal PreSelfPay,
    decimal InScope,
    decimal? PriceCeiling,
    decimal PreSelfPayRatio);

/// <summary>An encounter priced with the treatment region's catalog (the part the treatment region decides).</summary>
public sealed record PricedEncounter(
    Encounter Encounter,
    PricedLine[] Lines,
    decimal Total,
    decimal FullSelfPay,
    decimal OverLimitSelfPay,
    decimal PreSelfPay,
    decimal InScope,
    string CatalogVersion);
