using Gateway.Handler.Hosting;
using Gateway.Contracts;
using Gateway.Handler.Lifecycle;
using Gateway.Handler.Security;
using Gateway.Storage;

namespace Gateway.Handler.Intake;

public sealed record CancelRequest
{
    public string? Reason { get; init; }
}

/// <summary>
/// POST /api/v1/settlements/{id}/cancel (function CancelSettlement, 撤销): the home region reverses exactly the
/// recorded deltas, then the ledger posts the exact reversal into the open period. Idempotent.
/// </summary>
public sealed class CancelSettlementFunction(HospitalAuthenticator auth, SettlementTransitions transitions, SettlementWaiter waiter,
    SettlementStore? settlements = null, ReviewStore? reviews = null)
{
    public async Task<IResult> HandleAsync(HttpRequest request, string id, CancellationToken ct)
    {
        var (body, bodyProblem) = await HttpBody.ReadJsonAsync(request, ct, required: false).ConfigureAwait(false);
        if (bodyProblem is not null) return bodyProblem.ToResult();
        var (hospital, problem) = await auth.AuthenticateAsync(request, body!, ct).ConfigureAwait(false);
        if (problem is not null) return problem.ToResult();
        CancelRequest dto;
        try { dto = body!.Length == 0 ? new CancelRequest() : StrictJson.Deserialize<CancelRequest>(body); }
        catch (StrictJsonException e) { return ProblemTypes.Unreadable(e).ToResult(); }
        if (string.IsNullOrWhiteSpace(dto.Reason) || dto.Reason.Length > 500)
            return ProblemTypes.Validation([new("/reason", "Required: why the settlement is cancelled (≤ 500 characters).")]).ToResult();
        if (!Keys.IsValidId(id)) return ProblemTypes.NotFound($"No settlement '{id}'.").ToResult();
        var wait = SettlementWaiter.RequestedWait(request);
        using var listening = wait > TimeSpan.Zero ? waiter.Listen(Keys.SettlementKey(hospital!.Code, id)) : null;
        // A settlement its home region refused in review (拒付) is settled between the regions by that refusal: it is not cancelled.
        if (settlements is not null && reviews is not null && await settlements.GetAsync(hospital!.Code, id, ct).ConfigureAwait(false) is { } current
            && Clearing.Reviews.Flags(current).Count > 0 && await reviews.GetAsync(current.HomeRegion, current.SettlementId, ct).ConfigureAwait(false) is { Status: ReviewStatus.Refused })
            return new Problems.Problem("not-cancellable", 409, "The settlement cannot be cancelled", "Its home region refused it in review (拒付): it is no longer cancelled by the hospital.") { SettlementId = current.SettlementId }.ToResult();
        // The lifecycle decides: only a completed settlement can be cancelled; the first request records the reason and owes
        // the cancel (sent now, and by the sweep until the home region answers); a repeat sends it again.
        var outcome = await transitions.ApplyAsync(hospital!.Code, id, new LifecycleEvent.CancelRequested(dto.Reason), ct).ConfigureAwait(false);
        if (outcome is null) return ProblemTypes.NotFound($"No settlement '{id}' of hospital {hospital.Code}.").ToResult();
        var record = outcome.Record;
        if (outcome.Refusal == LifecycleRefusal.NotCancellable)
            return ProblemTypes.NotCancellable($"Only a completed settlement can be cancelled; this one is {record.Status.Name()}.", record.SettlementId).ToResult();
        if (wait > TimeSpan.Zero) record = await waiter.WaitAsync(record, wait, ct, until: SettlementStatus.Cancelled, listening: listening).ConfigureAwait(false);
        request.HttpContext.Response.Headers.Location = SettlementWaiter.LocationOf(record);
        if (record.Status != SettlementStatus.Cancelled) request.HttpContext.Response.Headers.RetryAfter = "1";
        return GatewayResults.Json(SettlementView.From(record), record.Status == SettlementStatus.Cancelled ? 200 : 202);
    }
}
