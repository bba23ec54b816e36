using System.Collections.Concurrent;

namespace Gateway.Handler.Intake;

/// <summary>
/// Wakes a request waiting (Prefer: wait) for a settlement when this process applies its reply. With several
/// instances the reply may land elsewhere; waiters also re-read the table at a slow interval.
/// </summary>
public sealed class SettlementSignals
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _waiters = new(StringComparer.Ordinal);

    public Task WaitAsync(string settlementKey, TimeSpan timeout, CancellationToken ct)
    {
        var tcs = _waiters.GetOrAdd(settlementKey, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        return tcs.Task.WaitAsync(timeout, ct).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public void Signal(string settlementKey)
    {
        if (_waiters.TryRemove(settlementKey, out var tcs)) tcs.TrySetResult();
    }
}
