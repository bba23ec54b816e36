namespace Gateway.Storage;

/// <summary>
/// "This settlement was applied to this member": written in the same transaction as the accumulator change,
/// holding the exact delta (for a cancellation) and the reply already sent (so a redelivery re-sends it).
/// Status <see cref="AppliedStatus.Voided"/> is final: either the applied delta was reversed because the gateway failed the
/// settlement, or (zero delta, a tombstone) the void arrived before the evaluation, which will then be rejected.
/// </summary>
public sealed record AppliedMarker(string SettlementKey, string Status, int Year, string DeltaJson, string ReplyJson, decimal DeductiblePaid, decimal AccountPaid)
{
    /// <summary>The stay (or visit) and its primary diagnosis: the member's history the audit's readmission and visit-frequency checks read (spec §10.2).</summary>
    public DateOnly? Admission { get; init; }
    public DateOnly? Discharge { get; init; }
    public string? Diagnosis { get; init; }
}

public static class AppliedStatus
{
    public const string Applied = "applied";
    public const string Rejected = "rejected";
    public const string Cancelled = "cancelled";
    /// <summary>The gateway failed the settlement: its delta was reversed, or nothing was ever applied (a tombstone). Final.</summary>
    public const string Voided = "voided";
}

/// <summary>
/// A hospital's online filing as the home region decided it (row <c>filing-{filingId}</c> of the member's partition, insert-only):
/// status <c>filed</c> (with the filing, which then counts for every settlement of the member whose service date it covers)
/// or <c>refused</c>, and the reply sent, so a redelivery sends it again. A registry import never touches these rows.
/// </summary>
public sealed record FilingMarker(string FilingKey, string Status, string TreatmentRegion, DateOnly? ValidFrom, DateOnly? ValidTo, string ReplyJson);

public static class FilingMarkerStatus
{
    public const string Filed = "filed";
    public const string Refused = "refused";
}
