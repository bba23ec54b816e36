using Gateway.Domain;

namespace Gateway.Storage;

/// <summary>
/// What one side (the home or the treatment region) of a statement last said of it: <c>pending</c> until it answers,
/// then <c>confirmed</c> or <c>disputed</c> with its reason, the settlement ids it disputes, who answered and when.
/// A side may change its answer; the latest one is here, every answer in <see cref="StatementResponse"/> history.
/// </summary>
public sealed record StatementSide(RegionCode Region, string Status, string? Reason, IReadOnlyList<string> SettlementIds, string? By, DateTimeOffset? At)
{
    public static StatementSide Pending(RegionCode region) => new(region, StatementStatus.Pending, null, [], null, null);
}

/// <summary>One answer of one side, as given (the statement's history; never rewritten).</summary>
public sealed record StatementResponse(int Sequence, RegionCode Side, string Status, string? Reason, IReadOnlyList<string> SettlementIds, string By, DateTimeOffset At);

/// <summary>The statement of one region pair for a closed period, and what each side said of it.</summary>
public sealed record PeriodStatement(
    ClearingPeriod Period,
    RegionCode Home,
    RegionCode Treatment,
    FundAmounts Funds,
    int Postings,
    int Reversals,
    StatementSide HomeSide,
    StatementSide TreatmentSide,
    DateTimeOffset ClosedAt)
{
    public decimal Total => Funds.Total;
    public int NetCount => Postings - Reversals;
    public string HomeStatus => HomeSide.Status;
    public string TreatmentStatus => TreatmentSide.Status;

    /// <summary>The statement's overall state: <c>disputed</c> if either side disputes, <c>confirmed</c> when both confirm, else <c>pending</c>.</summary>
    public string Status => StatementStatus.Overall(HomeSide.Status, TreatmentSide.Status);
}

public static class StatementStatus
{
    public const string Pending = "pending";
    public const string Confirmed = "confirmed";
    public const string Disputed = "disputed";

    public static string Overall(string home, string treatment) =>
        home == Disputed || treatment == Disputed ? Disputed
        : home == Confirmed && treatment == Confirmed ? Confirmed
        : Pending;
}

/// <summary>
/// Conditions on a pair's journal entries: the hospital, the posting date (UTC, inclusive), posting or reversal
/// (<c>Reversal</c> true/false; null for both) and the amount range on the entry's |total| (inclusive).
/// </summary>
public sealed record EntryFilter(string? Hospital = null, DateOnly? From = null, DateOnly? To = null, bool? Reversal = null, decimal? MinAmount = null, decimal? MaxAmount = null)
{
    public static readonly EntryFilter None = new();
}

/// <summary>A journal entry with the instant it was posted.</summary>
public sealed record PostedEntry(JournalEntry Entry, DateTimeOffset? PostedAt);
