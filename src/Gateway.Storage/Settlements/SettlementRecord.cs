using Azure;

namespace Gateway.Storage;

/// <summary>The lifecycle of a settlement as the hospital sees it.</summary>
public static class SettlementStatus
{
    public const string Pending = "pending";
    public const string Completed = "completed";
    public const string Rejected = "rejected";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
}

/// <summary>One settlement on the gateway side (table Settlements, PK hospital code, RK hospital settlement id).</summary>
public sealed record SettlementRecord
{
    public required string HospitalCode { get; init; }
    public required string HospitalSettlementId { get; init; }
    public string SettlementId => Keys.SettlementKey(HospitalCode, HospitalSettlementId);
    public required string Status { get; init; }
    /// <summary>SHA-256 of the canonical request body: same id + other body is a conflict.</summary>
    public required string RequestHash { get; init; }
    public required string HomeRegion { get; init; }
    public required string TreatmentRegion { get; init; }
    public required string MemberId { get; init; }
    public required DateOnly ServiceDate { get; init; }
    public required DateTimeOffset SubmittedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    /// <summary>The evaluation request message (JSON) exactly as dispatched; a sweep can re-send it.</summary>
    public required string RequestMessage { get; init; }
    /// <summary>The home region's outcome (JSON of SettlementOutcomeDto) once completed.</summary>
    public string? Outcome { get; init; }
    public string? RejectionCode { get; init; }
    public string? RejectionDetail { get; init; }
    public string? FailureReason { get; init; }
    public string? CallbackUrl { get; init; }
    public decimal? Total { get; init; }
    public decimal? FundTotal { get; init; }
    public decimal? AccountPay { get; init; }
    public decimal? CashPay { get; init; }
    public string? CancelReason { get; init; }
    public DateTimeOffset? CancelledAt { get; init; }
    public int DispatchCount { get; init; }
    public ETag ETag { get; init; }
}
