using Gateway.Handler.Hosting;
using Gateway.Handler.Security;
using Gateway.Storage;

namespace Gateway.Handler.Intake;

/// <summary>GET /api/v1/settlements/{id} (function GetSettlement): a hospital reads only its own settlements.</summary>
public sealed class GetSettlementFunction(HospitalAuthenticator auth, SettlementStore settlements, SettlementWaiter waiter, ReviewStore? reviews = null)
{
    public async Task<IResult> HandleAsync(HttpRequest request, string id, CancellationToken ct)
    {
        var (hospital, problem) = await auth.AuthenticateAsync(request, [], ct).ConfigureAwait(false);
        if (problem is not null) return problem.ToResult();
        // Accept the hospital's own id or the full gateway id of one of its own settlements.
        var own = Keys.TrySplitSettlementKey(id, out var code, out var rest) ? (code == hospital!.Code ? rest : null) : id;
        if (own is null || !Keys.IsValidId(own)) return ProblemTypes.NotFound($"No settlement '{id}' of hospital {hospital!.Code}.").ToResult();
        var wait = SettlementWaiter.RequestedWait(request);
        // Listen before reading, so a reply applied between the read and the wait is not missed.
        using var listening = wait > TimeSpan.Zero ? waiter.Listen(Keys.SettlementKey(hospital!.Code, own)) : null;
        var record = await settlements.GetAsync(hospital!.Code, own, ct).ConfigureAwait(false);
        if (record is null) return ProblemTypes.NotFound($"No settlement '{id}' of hospital {hospital.Code}.").ToResult();
        if (wait > TimeSpan.Zero) record = await waiter.WaitAsync(record, wait, ct, listening: listening).ConfigureAwait(false);
        if (record.Status == SettlementStatus.Pending) request.HttpContext.Response.Headers.RetryAfter = "1";
        // A flagged settlement shows its review (one point read): the decisions are the hospital's to see.
        var review = reviews is not null && record.Status.IsPosted() && Clearing.Reviews.Flags(record).Count > 0
            ? await reviews.GetAsync(record.HomeRegion, record.SettlementId, ct).ConfigureAwait(false) : null;
        return GatewayResults.Json(SettlementView.From(record, review));
    }
}
