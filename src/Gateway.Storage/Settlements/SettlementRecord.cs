using Azure;
using Gateway.Domain;

namespace Gateway.Storage;

/// <summary>One settlement on the gateway side (table Settlements, PK hospital code, RK hospital settlement id).</summary>
public sealed record SettlementRecord
{
    public required string HospitalCode { get; init; }
    public required string HospitalSettlementId { get; init; }
    public string SettlementId => Keys.SettlementKey(HospitalCode, HospitalSettlementId);
    /// <summary>Where it is in its lifecycle (Gateway.Domain.SettlementLifecycle); stored by its name.</summary>
    public required Gateway.Domain.SettlementStatus Status { get; init; }
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
    /// <summary>The nonce row of the request that created it and a mark of the call: an SDK retry of a committed intake transaction is recognised as its own.</summary>
    public string? CreatedWith { get; init; }
    /// <summary>The traceability codes (追溯码, spec §10.1) its drug and material lines carry, in bill order: held while it is live.</summary>
    public IReadOnlyList<string> TraceCodes { get; init; } = [];
    /// <summary>Audit rules with outcome flag that fired at intake (JSON list of AuditFindingDto; spec §10.2), null when none did.</summary>
    public string? AuditFlags { get; init; }
    public ETag ETag { get; init; }
    /// <summary>Not stored: the ETag of the <c>~post|</c> marker the transition that returned this record wrote (its discard is then one conditional delete).</summary>
    public ETag? PostMarkerETag { get; init; }
}

public static class SettlementRecordLifecycle
{
    /// <summary>The lifecycle's view of the record.</summary>
    public static SettlementState State(this SettlementRecord r) => new()
    {
        Status = r.Status,
        SubmittedAt = r.SubmittedAt,
        CompletedAt = r.CompletedAt,
        CancelledAt = r.CancelledAt,
        CancelReason = r.CancelReason,
        FailureReason = r.FailureReason,
        RejectionCode = r.RejectionCode,
        RejectionDetail = r.RejectionDetail,
        Redispatches = r.DispatchCount,
        HomeRegion = r.HomeRegion,
        Voidable = r.RequestMessage.Length > 0,
        HoldsCodes = r.TraceCodes.Count > 0,
    };

    /// <summary>The record in the lifecycle's new state (everything else, the request and the outcome, as it was).</summary>
    public static SettlementRecord With(this SettlementRecord r, SettlementState s) => r with
    {
        Status = s.Status,
        CompletedAt = s.CompletedAt,
        CancelledAt = s.CancelledAt,
        CancelReason = s.CancelReason,
        FailureReason = s.FailureReason,
        RejectionCode = s.RejectionCode,
        RejectionDetail = s.RejectionDetail,
        DispatchCount = s.Redispatches,
    };
}
