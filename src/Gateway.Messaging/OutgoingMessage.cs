namespace Gateway.Messaging;

/// <summary>
/// One message for a queue, as the gateway's own code sends it (not through a Functions output binding): the body (UTF-8
/// JSON), the <c>MessageId</c> (stable per logical message, so Service Bus duplicate detection can be switched on), the
/// subject (the message kind) and string application properties.
/// </summary>
public sealed record OutgoingMessage(string Body, string MessageId, string Subject, IReadOnlyDictionary<string, string> Properties)
{
    public const string ContentType = "application/json";
}

/// <summary>
/// The port every in-process send goes through (intake dispatch, the sweep's re-dispatches and voids, the dead-letter path).
/// Two adapters: <see cref="ServiceBusMessageSender"/> (Azure Service Bus, production) and
/// <see cref="StorageQueueMessageSender"/> (the Azurite queue the local host maps that Service Bus queue to). Which one runs
/// is configuration (<c>QueueTransport</c>), never a guess at the host. Bodies are claim-checked before they reach it.
/// </summary>
public interface IMessageSender
{
    Task SendAsync(string queueName, OutgoingMessage message, CancellationToken ct);

    /// <summary>
    /// When the oldest message still waiting on <paramref name="queueName"/> was enqueued (null: the queue is empty, or the
    /// transport cannot tell). The sweep reads it to tell a settlement whose evaluation is merely queued behind a backlog
    /// from one whose evaluation was consumed and lost: only the second is dispatched again.
    /// </summary>
    Task<DateTimeOffset?> OldestWaitingAsync(string queueName, CancellationToken ct) => Task.FromResult<DateTimeOffset?>(null);
}

/// <summary>A send the transport refused for good (too large, unknown queue): retrying the same send cannot help.</summary>
public sealed class MessageRejectedException(string message, Exception? inner = null) : Exception(message, inner);
