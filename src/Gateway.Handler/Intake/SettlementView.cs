using Gateway.Contracts;
using Gateway.Storage;

namespace Gateway.Handler.Intake;

/// <summary>The settlement status resource (GET /api/v1/settlements/{id}).</summary>
public sealed record SettlementView
{
    public required string SettlementId { get; init; }
    public required string HospitalSettlementId { get; init; }
    public required string Status { get; init; }
    public required string HomeRegion { get; init; }
    public required string TreatmentRegion { get; init; }
    public required string MemberId { get; init; }
    public required DateOnly ServiceDate { get; init; }
    public required DateTimeOffset SubmittedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    public SplitDto? Split { get; init; }
    /// <summary>The same split with the national-interface field names (hifp_pay, psn_cash_pay, …).</summary>
    public IReadOnlyDictionary<string, decimal>? National { get; init; }
    public decimal? Ratio { get; init; }
    public decimal? DeductibleDue { get; init; }
    public string? PackId { get; init; }
    public string? PackVersion { get; init; }
    public string? CatalogVersion { get; init; }
    public List<ExplanationDto>? Explanation { get; init; }
    public RejectionDto? Rejection { get; init; }
    public string? FailureReason { get; init; }
    public string? CancelReason { get; init; }
    public DateTimeOffset? CancelledAt { get; init; }
    /// <summary>Audit (spec §10): the flags the settlement carries and its review's status and decisions; absent when nothing was flagged.</summary>
    public AuditView? Audit { get; init; }

    public static SettlementView From(SettlementRecord r, ReviewItem? review = null)
    {
        var flags = Clearing.Reviews.Flags(r);
        var outcome = r.Outcome is null ? null : GatewayJson.Deserialize<SettlementOutcomeDto>(r.Outcome);
        return new SettlementView
        {
            SettlementId = r.SettlementId,
            HospitalSettlementId = r.HospitalSettlementId,
            Status = r.Status.Name(),
            HomeRegion = r.HomeRegion,
            TreatmentRegion = r.TreatmentRegion,
            MemberId = r.MemberId,
            ServiceDate = r.ServiceDate,
            SubmittedAt = r.SubmittedAt,
            CompletedAt = r.CompletedAt,
            Split = outcome?.Split,
            National = outcome?.Split.National(),
            Ratio = outcome?.Ratio,
            DeductibleDue = outcome?.DeductibleDue,
            PackId = outcome?.PackId,
            PackVersion = outcome?.PackVersion,
            CatalogVersion = outcome?.CatalogVersion,
            // Every rule that fired is in the explanation: the home region's flags are there already, the intake's are added.
            Explanation = outcome is null ? null : r.AuditFlags is null ? outcome.Explanation
                : outcome.WithAudit([.. GatewayJson.Deserialize<List<AuditFindingDto>>(r.AuditFlags).Select(f => f.ToDomain())]).Explanation,
            Rejection = r.RejectionCode is null ? null : new RejectionDto(r.RejectionCode, r.RejectionDetail ?? ""),
            FailureReason = r.FailureReason,
            CancelReason = r.CancelReason,
            CancelledAt = r.CancelledAt,
            Audit = flags.Count == 0 && review is null ? null : new AuditView
            {
                Flags = flags,
                Review = review is null ? null : new ReviewView
                {
                    Status = review.Status,
                    Decisions = [.. review.Decisions.Select(d => new ReviewDecisionView(d.Decision, d.Amount, d.Reason, d.By, d.At))],
                },
            },
        };
    }
}

public sealed record AuditView
{
    public required List<AuditFindingDto> Flags { get; init; }
    public ReviewView? Review { get; init; }
}

/// <summary>The review of a flagged settlement (事后审核): flagged, accepted or refused, and every decision (who, when, why, how much).</summary>
public sealed record ReviewView
{
    public required string Status { get; init; }
    public required List<ReviewDecisionView> Decisions { get; init; }
}

public sealed record ReviewDecisionView(string Decision, decimal Amount, string Reason, string By, DateTimeOffset At);
