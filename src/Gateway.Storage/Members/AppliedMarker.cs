namespace Gateway.Storage;

/// <summary>
/// "This settlement was applied to this member": written in the same transaction as the accumulator change,
/// holding the exact delta (for a cancellation) and the reply already sent (so a redelivery re-sends it).
/// </summary>
public sealed record AppliedMarker(string SettlementKey, string Status, int Year, string DeltaJson, string ReplyJson, decimal DeductiblePaid, decimal AccountPaid);

public static class AppliedStatus
{
    public const string Applied = "applied";
    public const string Rejected = "rejected";
    public const string Cancelled = "cancelled";
}
