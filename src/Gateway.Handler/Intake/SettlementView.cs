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

    public static SettlementView From(SettlementRecord r)
    {
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
            Explanation = outcome?.Explanation,
            Rejection = r.RejectionCode is null ? null : new RejectionDto(r.RejectionCode, r.RejectionDetail ?? ""),
            FailureReason = r.FailureReason,
            CancelReason = r.CancelReason,
            CancelledAt = r.CancelledAt,
        };
    }
}
