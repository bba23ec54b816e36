using Gateway.Domain;
using Gateway.Handler.Hosting;
using Gateway.Storage;

namespace Gateway.Handler.Replies;

/// <summary>Function ClosePeriod (timer, just after midnight UTC on the 1st): closes the month that just ended. Idempotent.</summary>
public sealed class ClosePeriodFunction(LedgerStore ledger, TimeProvider clock)
{
    public async Task<InvocationResult> HandleAsync(CancellationToken ct)
    {
        var result = new InvocationResult();
        var previous = ClearingPeriod.Of(clock.GetUtcNow()).Previous();
        var statements = await ledger.CloseAsync(previous, ct).ConfigureAwait(false);
        result.Logs.Add($"closed {previous}: {statements.Count} statements");
        return result;
    }
}
