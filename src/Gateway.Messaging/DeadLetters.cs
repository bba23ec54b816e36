using Azure.Messaging.ServiceBus;
using Azure.Storage.Queues;

namespace Gateway.Messaging;

/// <summary>A dead-lettered message as an operator sees it.</summary>
public sealed record DeadLetter(string MessageId, DateTimeOffset EnqueuedTime, string? Reason, string? Description, int DeliveryCount,
    string? Subject, IReadOnlyDictionary<string, string> Properties, string Body);

/// <summary>
/// The dead-letter sub-queue of a queue: Service Bus's <c>{queue}/$DeadLetterQueue</c> in Azure, the local host's
/// <c>{queue}-deadletter</c> on Azurite. Resubmission puts the original message (same MessageId, body and properties) back on its
/// queue and then removes the dead letter; every consumer is idempotent, so a resubmission interrupted between the two
/// steps, or made twice, changes nothing more than one.
/// </summary>
public interface IDeadLetterQueues : IAsyncDisposable
{
    Task<IReadOnlyList<DeadLetter>> ListAsync(string queue, int max, CancellationToken ct);

    /// <summary>True when the dead letter was found and resubmitted; false when it is not (or no longer) there.</summary>
    Task<bool> ResubmitAsync(string queue, string messageId, CancellationToken ct);
}

public sealed class ServiceBusDeadLetters(ServiceBusClient client) : IDeadLetterQueues
{
    public async Task<IReadOnlyList<DeadLetter>> ListAsync(string queue, int max, CancellationToken ct)
    {
        await using var receiver = client.CreateReceiver(queue, new ServiceBusReceiverOptions { SubQueue = SubQueue.DeadLetter });
        var list = new List<DeadLetter>();
        long? from = null;
        while (list.Count < max)
        {
            var page = await receiver.PeekMessagesAsync(Math.Min(100, max - list.Count), from, ct).ConfigureAwait(false);
            if (page.Count == 0) break;
            list.AddRange(page.Select(From));
            from = page[^1].SequenceNumber + 1;
        }
        return list;
    }

    public async Task<bool> ResubmitAsync(string queue, string messageId, CancellationToken ct)
    {
        await using var receiver = client.CreateReceiver(queue, new ServiceBusReceiverOptions { SubQueue = SubQueue.DeadLetter });
        await using var sender = client.CreateSender(queue);
        var passed = new List<ServiceBusReceivedMessage>();
        try
        {
            for (var round = 0; round < 100; round++)
            {
                var batch = await receiver.ReceiveMessagesAsync(50, TimeSpan.FromSeconds(5), ct).ConfigureAwait(false);
                if (batch.Count == 0) return false;
                foreach (var m in batch)
                {
                    if (m.MessageId != messageId) { passed.Add(m); continue; }
                    var copy = new ServiceBusMessage(m.Body) { MessageId = m.MessageId, ContentType = m.ContentType, Subject = m.Subject, CorrelationId = m.CorrelationId };
                    foreach (var (k, v) in m.ApplicationProperties)
                        if (k is not ("DeadLetterReason" or "DeadLetterErrorDescription")) copy.ApplicationProperties[k] = v;
                    await sender.SendMessageAsync(copy, ct).ConfigureAwait(false);
                    await receiver.CompleteMessageAsync(m, ct).ConfigureAwait(false);
                    return true;
                }
            }
            return false;
        }
        finally
        {
            foreach (var m in passed) await receiver.AbandonMessageAsync(m, cancellationToken: CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static DeadLetter From(ServiceBusReceivedMessage m) => new(m.MessageId, m.EnqueuedTime, m.DeadLetterReason, m.DeadLetterErrorDescription, m.DeliveryCount,
        m.Subject, m.ApplicationProperties.ToDictionary(p => p.Key, p => p.Value?.ToString() ?? "", StringComparer.Ordinal), m.Body.ToString());

    public ValueTask DisposeAsync() => client.DisposeAsync();
}

public sealed class StorageQueueDeadLetters(QueueServiceClient queues, TimeProvider clock) : IDeadLetterQueues
{
    public async Task<IReadOnlyList<DeadLetter>> ListAsync(string queue, int max, CancellationToken ct)
    {
        var dlq = queues.GetQueueClient(LocalQueueEnvelope.DeadLetterQueueName(queue));
        if (!await dlq.ExistsAsync(ct).ConfigureAwait(false)) return [];
        // Storage queues peek at most 32 messages.
        var page = (await dlq.PeekMessagesAsync(Math.Clamp(max, 1, 32), ct).ConfigureAwait(false)).Value;
        return page.Select(m => From(LocalQueueEnvelope.Parse(m.Body.ToString(), m.MessageId, m.InsertedOn ?? clock.GetUtcNow()))).ToList();
    }

    public async Task<bool> ResubmitAsync(string queue, string messageId, CancellationToken ct)
    {
        var dlq = queues.GetQueueClient(LocalQueueEnvelope.DeadLetterQueueName(queue));
        if (!await dlq.ExistsAsync(ct).ConfigureAwait(false)) return false;
        var passed = new List<Azure.Storage.Queues.Models.QueueMessage>();
        try
        {
            for (var round = 0; round < 100; round++)
            {
                var batch = (await dlq.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(30), ct).ConfigureAwait(false)).Value;
                if (batch.Length == 0) return false;
                foreach (var m in batch)
                {
                    var e = LocalQueueEnvelope.Parse(m.Body.ToString(), m.MessageId, m.InsertedOn ?? clock.GetUtcNow());
                    if (e.MessageId != messageId) { passed.Add(m); continue; }
                    var original = e with { DeadLetterReason = null, DeadLetterErrorDescription = null, DeliveryCount = null, DeadLetterSource = null, EnqueuedTimeUtc = clock.GetUtcNow() };
                    await queues.GetQueueClient(queue).SendMessageAsync(original.ToText(), ct).ConfigureAwait(false);
                    await dlq.DeleteMessageAsync(m.MessageId, m.PopReceipt, ct).ConfigureAwait(false);
                    return true;
                }
            }
            return false;
        }
        finally
        {
            foreach (var m in passed)
                await dlq.UpdateMessageAsync(m.MessageId, m.PopReceipt, visibilityTimeout: TimeSpan.Zero, cancellationToken: CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static DeadLetter From(LocalQueueEnvelope e) => new(e.MessageId, e.EnqueuedTimeUtc, e.DeadLetterReason, e.DeadLetterErrorDescription, e.DeliveryCount ?? 0,
        e.Subject, e.ApplicationProperties, e.Body);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
