using Gateway.Messaging;

namespace Gateway.Simulation;

/// <summary>One message in a simulated queue (Service Bus semantics: peek-lock, delivery count, dead-letter).</summary>
public sealed class SimMessage(long sequence, string queue, string body, string messageId)
{
    public long Sequence { get; } = sequence;
    public string Queue { get; } = queue;
    public string Body { get; } = body;
    public string MessageId { get; } = messageId;
    public int DeliveryCount { get; set; }
    public DateTimeOffset VisibleAt { get; set; }
    public DateTimeOffset EnqueuedAt { get; init; }
    public bool Locked { get; set; }
}

/// <summary>
/// The simulated broker: every queue the gateway and the home regions use, behind the messaging port. A send is a yield
/// point of the sending invocation (a crash before or after it, a send that times out). Delivery is the scheduler's
/// choice among visible messages of every queue, so messages are reordered and delayed; the scheduler also duplicates
/// deliveries and loses replies.
/// </summary>
public sealed class SimQueues(Scheduler scheduler, SimClock clock) : IMessageSender
{
    private readonly List<SimMessage> _messages = [];
    private long _sequence;

    public List<SimMessage> DeadLettered { get; } = [];
    public int MaxDeliveryCount { get; init; } = 5;

    public IReadOnlyList<SimMessage> All => _messages;

    public async Task SendAsync(string queueName, OutgoingMessage message, CancellationToken ct)
    {
        var fault = await scheduler.YieldAsync($"send {queueName} {message.MessageId}", true).ConfigureAwait(false);
        switch (fault)
        {
            case Fault.CrashBefore: throw new ProcessCrash($"before send {queueName}");
            case Fault.TimeoutBefore: throw new Azure.RequestFailedException(408, "The send timed out (simulated).");
        }
        Enqueue(queueName, message.Body, message.MessageId);
        switch (fault)
        {
            case Fault.CrashAfter: throw new ProcessCrash($"after send {queueName}");
            case Fault.TimeoutAfter: throw new Azure.RequestFailedException(0, "The send's answer was lost (simulated): it was queued.");
            case Fault.RetriedAfterCommit: Enqueue(queueName, message.Body, message.MessageId); break; // a duplicate on the queue
        }
    }

    /// <summary>An output binding's send (done by the host after the function returned; not a yield point of the function).</summary>
    public void Enqueue(string queue, string body, string messageId) =>
        _messages.Add(new SimMessage(++_sequence, queue, body, messageId) { VisibleAt = clock.GetUtcNow(), EnqueuedAt = clock.GetUtcNow() });

    /// <summary>The oldest message still on the queue, locked or not (as a Service Bus peek sees it).</summary>
    public Task<DateTimeOffset?> OldestWaitingAsync(string queueName, CancellationToken ct) =>
        Task.FromResult(_messages.Where(m => m.Queue == queueName).Select(m => (DateTimeOffset?)m.EnqueuedAt).Min());

    public List<SimMessage> Visible() => _messages.Where(m => !m.Locked && m.VisibleAt <= clock.GetUtcNow()).ToList();

    public DateTimeOffset? NextVisibleAt() => _messages.Where(m => !m.Locked).Select(m => (DateTimeOffset?)m.VisibleAt).Min();

    public void Lock(SimMessage m)
    {
        m.Locked = true;
        m.DeliveryCount++;
    }

    public void Complete(SimMessage m) => _messages.Remove(m);

    /// <summary>The delivery failed (or its process died): visible again after <paramref name="delay"/>, or dead-lettered after the last delivery.</summary>
    public void Abandon(SimMessage m, TimeSpan delay)
    {
        m.Locked = false;
        if (m.DeliveryCount >= MaxDeliveryCount)
        {
            _messages.Remove(m);
            DeadLettered.Add(m);
            return;
        }
        m.VisibleAt = clock.GetUtcNow() + delay;
    }

    /// <summary>Delivered successfully but the completion was lost: the broker delivers it again later (at least once).</summary>
    public void Redeliver(SimMessage m, TimeSpan delay)
    {
        m.Locked = false;
        m.VisibleAt = clock.GetUtcNow() + delay;
    }
}
