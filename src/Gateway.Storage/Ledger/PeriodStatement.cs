using Gateway.Domain;

namespace Gateway.Storage;

/// <summary>The statement of one region pair for a closed period, and what each side said of it.</summary>
public sealed record PeriodStatement(
    ClearingPeriod Period,
    RegionCode Home,
    RegionCode Treatment,
    FundAmounts Funds,
    int Postings,
    int Reversals,
    string HomeStatus,
    string TreatmentStatus,
    string? DisputeReason,
    IReadOnlyList<string> DisputedSettlementIds,
    DateTimeOffset ClosedAt)
{
    public decimal Total => Funds.Total;
    public int NetCount => Postings - Reversals;
}

public static class StatementStatus
{
    public const string Pending = "pending";
    public const string Confirmed = "confirmed";
    public const string Disputed = "disputed";
}
