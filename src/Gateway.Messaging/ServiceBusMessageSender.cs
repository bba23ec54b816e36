using System.Collections.Concurrent;
using Azure.Messaging.ServiceBus;

namespace Gateway.Messaging;

/// <summary>
/// Sends through <c>Azure.Messaging.ServiceBus</c>: one long-lived <see cref="ServiceBusClient"/> (managed identity in Azure,
/// or a connection string) and one <see cref="ServiceBusSender"/> per queue, created on first use and kept. Retries are the
/// SDK's (<see cref="ServiceBusRetryOptions"/>, set where the client is built: <see cref="MessagingFactory"/>).
/// </summary>
public sealed class ServiceBusMessageSender(ServiceBusClient client) : IMessageSender, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, ServiceBusSender> _senders = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ServiceBusReceiver> _peekers = new(StringComparer.Ordinal);

    /// <summary>
    /// The enqueued time of the message with the lowest sequence number still on the queue (a peek: nothing is locked;
    /// it needs only the receive right the triggers already have). Null when the queue is empty.
    /// </summary>
    public async Task<DateTimeOffset?> OldestWaitingAsync(string queueName, CancellationToken ct)
    {
        var peeker = _peekers.GetOrAdd(queueName, q => client.CreateReceiver(q, new ServiceBusReceiverOptions { ReceiveMode = ServiceBusReceiveMode.PeekLock }));
        // From sequence number 0 every time: a receiver's peek otherwise continues where its last peek stopped.
        var first = await peeker.PeekMessagesAsync(1, fromSequenceNumber: 0, ct).ConfigureAwait(false);
        return first.Count == 0 ? null : first[0].EnqueuedTime;
    }

    public async Task SendAsync(string queueName, OutgoingMessage message, CancellationToken ct)
    {
        var sender = _senders.GetOrAdd(queueName, client.CreateSender);
        try
        {
            await sender.SendMessageAsync(ToServiceBus(message), ct).ConfigureAwait(false);
        }
        catch (ServiceBusException e) when (e.Reason is ServiceBusFailureReason.MessageSizeExceeded or ServiceBusFailureReason.MessagingEntityNotFound)
        {
            throw new MessageRejectedException($"Service Bus refused the message for {queueName}: {e.Reason}.", e);
        }
    }

    /// <summary>The wire form: body bytes, <c>MessageId</c>, <c>ContentType</c>, <c>Subject</c>, application properties.</summary>
    public static ServiceBusMessage ToServiceBus(OutgoingMessage message)
    {
        var m = new ServiceBusMessage(BinaryData.FromString(message.Body))
        {
            MessageId = message.MessageId,
            ContentType = OutgoingMessage.ContentType,
            Subject = message.Subject,
        };
        foreach (var (k, v) in message.Properties) m.ApplicationProperties[k] = v;
        return m;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var s in _senders.Values) await s.DisposeAsync().ConfigureAwait(false);
        _senders.Clear();
        foreach (var r in _peekers.Values) await r.DisposeAsync().ConfigureAwait(false);
        _peekers.Clear();
    }
}
