using Gateway.Storage;

namespace Gateway.Handler.Intake;

/// <summary>
/// Wakes a request waiting (Prefer: wait) for a settlement when this process changes it, handing over the record as
/// written (so the waiter need not read the table again). A waiter listens before the change can happen (before the
/// dispatch), so no signal is missed; with several instances the reply may land elsewhere, and waiters also re-read
/// the table at a slow interval.
/// </summary>
public sealed class SettlementSignals
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Slot> _slots = new(StringComparer.Ordinal);

    private sealed class Slot
    {
        public readonly TaskCompletionSource<SettlementRecord?> Changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Listeners;
    }

    /// <summary>Starts listening for changes of a settlement; dispose to stop.</summary>
    public Subscription Listen(string settlementKey) => new(this, settlementKey);

    /// <summary>
    /// A settlement changed in this process: <paramref name="record"/> is the record as written (with its ETag), or null
    /// when the waiter should read it.
    /// </summary>
    public void Signal(string settlementKey, SettlementRecord? record = null)
    {
        Slot? slot;
        lock (_gate) _slots.Remove(settlementKey, out slot);
        slot?.Changed.TrySetResult(record);
    }

    private Slot Join(string key)
    {
        lock (_gate)
        {
            if (!_slots.TryGetValue(key, out var slot) || slot.Changed.Task.IsCompleted) _slots[key] = slot = new Slot();
            slot.Listeners++;
            return slot;
        }
    }

    private void Leave(string key, Slot slot)
    {
        lock (_gate)
        {
            if (--slot.Listeners == 0 && _slots.TryGetValue(key, out var current) && current == slot) _slots.Remove(key);
        }
    }

    public sealed class Subscription(SettlementSignals signals, string key) : IDisposable
    {
        private Slot _slot = signals.Join(key);
        private bool _disposed;

        /// <summary>Waits for the next change. Signalled: true, with the record when the change carried it; false when the timeout passed first.</summary>
        public async Task<(bool Signalled, SettlementRecord? Record)> WaitAsync(TimeSpan timeout, CancellationToken ct)
        {
            try
            {
                var record = await _slot.Changed.Task.WaitAsync(timeout, ct).ConfigureAwait(false);
                // Listen again for the change after this one (the signalled slot is gone).
                signals.Leave(key, _slot);
                _slot = signals.Join(key);
                return (true, record);
            }
            catch (TimeoutException)
            {
                return (false, null);
            }
        }

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            signals.Leave(key, _slot);
        }
    }
}
