using Gateway.Contracts;
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
public sealed class CancelSettlementFunction(HospitalAuthenticator auth, SettlementStore settlements, Dispatcher dispatcher, SettlementWaiter waiter, TimeProvider clock)
{
    public async Task<IResult> HandleAsync(HttpRequest request, string id, CancellationToken ct)
    {
        var (body, bodyProblem) = await HttpBody.ReadJsonAsync(request, ct, required: false).ConfigureAwait(false);
        if (bodyProblem is not null) return bodyProblem.ToResult();
        var (hospital, problem) = await auth.AuthenticateAsync(request, body!, ct).ConfigureAwait(false);
        if (problem is not null) return problem.ToResult();
        CancelRequest dto;
        try { dto = body!.Length == 0 ? new CancelRequest() : StrictJson.Deserialize<CancelRequest>(body); }
        catch (StrictJsonException e) { return Problems.Problems.Unreadable(e).ToResult(); }
        if (string.IsNullOrWhiteSpace(dto.Reason) || dto.Reason.Length > 500)
            return Problems.Problems.Validation([new("/reason", "Required: why the settlement is cancelled (≤ 500 characters).")]).ToResult();
        if (!Keys.IsValidId(id)) return Problems.Problems.NotFound($"No settlement '{id}'.").ToResult();
        var record = await settlements.GetAsync(hospital!.Code, id, ct).ConfigureAwait(false);
        if (record is null) return Problems.Problems.NotFound($"No settlement '{id}' of hospital {hospital.Code}.").ToResult();
        if (record.Status is not (SettlementStatus.Completed or SettlementStatus.Cancelled))
            return new Problems.Problem("not-cancellable", 409, "The settlement cannot be cancelled", $"Only a completed settlement can be cancelled; this one is {record.Status}.") { SettlementId = record.SettlementId }.ToResult();
        var wait = SettlementWaiter.RequestedWait(request);
        using var listening = wait > TimeSpan.Zero ? waiter.Listen(record.SettlementId) : null;
        if (record.Status == SettlementStatus.Completed)
        {
            var now = clock.GetUtcNow();
            record = await settlements.UpdateAsync(record.HospitalCode, record.HospitalSettlementId,
                c => c.CancelReason is null && c.Status == SettlementStatus.Completed ? c with { CancelReason = dto.Reason } : null, ct).ConfigureAwait(false) ?? record;
            var original = GatewayJson.Deserialize<EvaluationRequestMessage>(record.RequestMessage);
            var cancel = original with { Kind = "cancel", CancelReason = record.CancelReason, SentAt = now };
            await dispatcher.DispatchAsync(GatewayJson.Serialize(cancel), ct).ConfigureAwait(false);
        }
        if (wait > TimeSpan.Zero) record = await waiter.WaitAsync(record, wait, ct, until: SettlementStatus.Cancelled, listening: listening).ConfigureAwait(false);
        request.HttpContext.Response.Headers.Location = SettlementWaiter.LocationOf(record);
        if (record.Status != SettlementStatus.Cancelled) request.HttpContext.Response.Headers.RetryAfter = "1";
        return SettlementWaiter.Json(SettlementView.From(record), record.Status == SettlementStatus.Cancelled ? 200 : 202);
    }
}
