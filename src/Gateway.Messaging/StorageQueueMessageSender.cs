using System.Text;
using Azure.Storage.Queues;

namespace Gateway.Messaging;

/// <summary>
/// The local adapter: writes to the Azurite queue the local host maps the Service Bus queue of the same name to, as a
/// <see cref="LocalQueueEnvelope"/> (so MessageId, subject and properties survive), then wakes the host's pump at once.
/// </summary>
public sealed class StorageQueueMessageSender(QueueServiceClient queues, TimeProvider clock, LocalQueueWake? wake = null) : IMessageSender
{
    public async Task SendAsync(string queueName, OutgoingMessage message, CancellationToken ct)
    {
        var text = LocalQueueEnvelope.From(message, clock.GetUtcNow()).ToText();
        if (Encoding.UTF8.GetByteCount(text) > LocalQueueEnvelope.MaxBytes)
            throw new MessageRejectedException($"The message for {queueName} is over the storage queue's 64 KiB (claim-check it).");
        try
        {
            await queues.GetQueueClient(queueName).SendMessageAsync(text, ct).ConfigureAwait(false);
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
            throw new MessageRejectedException($"No queue {queueName}.", e);
        }
        if (wake is not null) await wake.NotifyAsync(queueName, ct).ConfigureAwait(false);
    }

    /// <summary>The first visible message's insertion time (a peek: nothing is locked or dequeued).</summary>
    public async Task<DateTimeOffset?> OldestWaitingAsync(string queueName, CancellationToken ct)
    {
        try
        {
            var peeked = (await queues.GetQueueClient(queueName).PeekMessageAsync(ct).ConfigureAwait(false)).Value;
            return peeked?.InsertedOn;
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }
}

/// <summary>
/// Tells the local host that a queue has a new message, so its pump receives at once instead of at its next idle poll.
/// Carries no message (it cannot put anything on a queue) and needs the host's master key; best effort: a lost wake only
/// costs the poll interval. Configured by the local host when it starts the handler (<c>LocalHostWakeUrl</c>,
/// <c>LocalHostWakeKey</c>); absent anywhere else.
/// </summary>
public sealed class LocalQueueWake(HttpClient http, Uri baseUrl, string key)
{
    public async Task NotifyAsync(string queueName, CancellationToken ct)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUrl, "admin/host/queues/" + Uri.EscapeDataString(queueName) + "/wake"));
            request.Headers.Add("x-functions-key", key);
            using var response = await http.SendAsync(request, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
    }
}
