using System.Collections.Concurrent;

namespace Gateway.Handler.Intake;

/// <summary>
/// Wakes a request waiting (Prefer: wait) for a settlement when this process applies its reply. With several
/// instances the reply may land elsewhere; waiters also re-read the table at a slow interval.
/// </summary>
public sealed class SettlementSignals
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _waiters = new(StringComparer.Ordinal);

    /// <summary>True when signalled, false when the timeout passed first.</summary>
    public async Task<bool> WaitAsync(string settlementKey, TimeSpan timeout, CancellationToken ct)
    {
        var tcs = _waiters.GetOrAdd(settlementKey, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        try
        {
            await tcs.Task.WaitAsync(timeout, ct).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    public void Signal(string settlementKey)
    {
        if (_waiters.TryRemove(settlementKey, out var tcs)) tcs.TrySetResult();
    }
}
