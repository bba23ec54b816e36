using Gateway.Handler.Hosting;
using System.Globalization;
using Gateway.Contracts;
using Gateway.Storage;

namespace Gateway.Handler.Intake;

/// <summary>Async request-reply: honours <c>Prefer: wait=N</c> (N ≤ 20 s) and shapes the answer for each status.</summary>
public sealed class SettlementWaiter(SettlementStore settlements, SettlementSignals signals, TimeProvider clock)
{
    public const int MaxWaitSeconds = 20;
    // The reply usually lands in this process and its signal carries the record as written: no read. The table is
    // read when a signal carries no record, or every PollInterval in case the reply was applied by another instance
    // (every read is a storage round-trip). Waiters listen before the change can happen, so no signal is missed.
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);

    public static TimeSpan RequestedWait(HttpRequest request)
    {
        foreach (var value in request.Headers["Prefer"])
        {
            foreach (var part in (value ?? "").Split(',', ';'))
            {
                var p = part.Trim();
                if (p.StartsWith("wait=", StringComparison.OrdinalIgnoreCase)
                    && int.TryParse(p.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var s))
                    return TimeSpan.FromSeconds(Math.Min(s, MaxWaitSeconds));
            }
        }
        return TimeSpan.Zero;
    }

    /// <summary>Listens for changes of a settlement (before dispatching it, or before reading it), for <see cref="WaitAsync"/>.</summary>
    public SettlementSignals.Subscription Listen(string settlementKey) => signals.Listen(settlementKey);

    /// <summary>
    /// Waits while the settlement is pending (or, with <paramref name="until"/>, until it reaches that status).
    /// <paramref name="listening"/>: a subscription taken before the change could happen; without one, a change made
    /// between the caller's read and this call is seen at the next poll.
    /// </summary>
    public async Task<SettlementRecord> WaitAsync(SettlementRecord record, TimeSpan wait, CancellationToken ct, SettlementStatus? until = null, SettlementSignals.Subscription? listening = null)
    {
        using var own = listening is null ? signals.Listen(record.SettlementId) : null;
        var subscription = listening ?? own!;
        var deadline = clock.GetUtcNow() + wait;
        while (until is null ? record.Status == SettlementStatus.Pending : record.Status != until)
        {
            var left = deadline - clock.GetUtcNow();
            if (left <= TimeSpan.Zero) break;
            var (_, carried) = await subscription.WaitAsync(left < PollInterval ? left : PollInterval, ct).ConfigureAwait(false);
            record = carried ?? await settlements.GetAsync(record.HospitalCode, record.HospitalSettlementId, ct).ConfigureAwait(false) ?? record;
        }
        return record;
    }

    public static string LocationOf(SettlementRecord r) => $"/api/v1/settlements/{r.HospitalSettlementId}";

    /// <summary>The answer to a submission: 201 completed, 202 pending, 422 rejected, 200 for failed or cancelled.</summary>
    public async Task<IResult> RespondAsync(HttpRequest request, SettlementRecord record, bool created, CancellationToken ct, SettlementSignals.Subscription? listening = null)
    {
        var wait = RequestedWait(request);
        if (wait > TimeSpan.Zero) record = await WaitAsync(record, wait, ct, listening: listening).ConfigureAwait(false);
        var location = LocationOf(record);
        request.HttpContext.Response.Headers.Location = location;
        switch (record.Status)
        {
            case SettlementStatus.Pending:
                request.HttpContext.Response.Headers.RetryAfter = "1";
                return GatewayResults.Json(SettlementView.From(record), 202);
            case SettlementStatus.Completed:
                return GatewayResults.Json(SettlementView.From(record), 201);
            case SettlementStatus.Rejected:
                return (ProblemTypes.Rejection(record.RejectionCode ?? "rejected", record.RejectionDetail ?? "", record.SettlementId) with { Instance = location }).ToResult();
            default:
                return GatewayResults.Json(SettlementView.From(record), 200);
        }
    }
}
