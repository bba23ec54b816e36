using System.Collections.Concurrent;

namespace Gateway.LocalHost;

/// <summary>
/// Wakes a queue's pump when this host has just sent to that queue. Service Bus pushes messages to the Functions
/// host over a long-lived receive; a Storage queue has to be polled, and an idle pump backs off to save requests.
/// Without this, every hop inside one settlement would wait out that back-off. Messages sent by anyone else (a
/// region running its own evaluator) are still found by polling.
/// </summary>
public sealed class QueueSignals
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _signals = new(StringComparer.Ordinal);

    private SemaphoreSlim For(string queue) => _signals.GetOrAdd(queue, _ => new SemaphoreSlim(0, 1));

    public void Notify(string queue)
    {
        var s = For(queue);
        try { if (s.CurrentCount == 0) s.Release(); }
        catch (SemaphoreFullException) { } // already signalled: one wake-up is enough
    }

    /// <summary>Waits up to <paramref name="timeout"/>; true when woken by a send to this queue.</summary>
    public async Task<bool> WaitAsync(string queue, TimeSpan timeout, CancellationToken ct)
    {
        try { return await For(queue).WaitAsync(timeout, ct).ConfigureAwait(false); }
        catch (OperationCanceledException) { return false; }
    }
}
