using Gateway.Domain;
using Gateway.Handler.Hosting;
using Gateway.Storage;

namespace Gateway.Handler.Replies;

/// <summary>
/// Function ClosePeriod (timer): closes the clearing period that has ended, once its China-time month is over. Timer
/// schedules run in UTC, where a China month ends at 16:00 on its last day, a day no CRON field can name; so the timer fires
/// daily just after midnight China time (<c>0 5 16 * * *</c>, 00:05 UTC+8) and closes the previous period unless it is closed
/// already (one read on the other days). Idempotent.
/// </summary>
public sealed class ClosePeriodFunction(LedgerStore ledger, TimeProvider clock)
{
    public async Task<InvocationResult> HandleAsync(CancellationToken ct)
    {
        var result = new InvocationResult();
        var previous = ClearingPeriod.Of(clock.GetUtcNow()).Previous();
        if (await ledger.IsClosedAsync(previous, ct).ConfigureAwait(false))
        {
            result.Logs.Add($"{previous} is closed already");
            return result;
        }
        var statements = await ledger.CloseAsync(previous, ct).ConfigureAwait(false);
        result.Logs.Add($"closed {previous}: {statements.Count} statements");
        return result;
    }
}
