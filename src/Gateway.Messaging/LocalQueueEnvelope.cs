using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Gateway.Messaging;

/// <summary>
/// How a Service Bus message is kept on the Azurite (Storage) queue the local host maps a Service Bus queue to: storage
/// queues have no MessageId of the sender's choosing, no content type and no application properties, so one queue
/// message is this JSON envelope. The local host turns it back into the metadata the real host gives a Service Bus
/// trigger. A queue message that is not an envelope (written by hand or by a tool) is taken as a bare body.
/// </summary>
public sealed record LocalQueueEnvelope
{
    /// <summary>Storage queue messages hold at most 64 KiB; envelopes over this are refused at send time.</summary>
    public const int MaxBytes = 64 * 1024;
    private const string Marker = "localServiceBus";

    public required string MessageId { get; init; }
    public string ContentType { get; init; } = OutgoingMessage.ContentType;
    public string? Subject { get; init; }
    public IReadOnlyDictionary<string, string> ApplicationProperties { get; init; } = new Dictionary<string, string>();
    public required DateTimeOffset EnqueuedTimeUtc { get; init; }
    public required string Body { get; init; }
    /// <summary>On a dead-letter sub-queue only: why, as Service Bus gives it.</summary>
    public string? DeadLetterReason { get; init; }
    public string? DeadLetterErrorDescription { get; init; }
    public int? DeliveryCount { get; init; }
    public string? DeadLetterSource { get; init; }

    public static LocalQueueEnvelope From(OutgoingMessage m, DateTimeOffset now) => new()
    {
        MessageId = m.MessageId,
        Subject = m.Subject,
        ApplicationProperties = m.Properties,
        EnqueuedTimeUtc = now,
        Body = m.Body,
    };

    /// <summary>
    /// One line of header JSON (no newline in it), a newline, then the body exactly as sent: the body is never escaped, so
    /// an envelope is only a few hundred bytes more than its body.
    /// </summary>
    public string ToText()
    {
        var o = new JObject
        {
            [Marker] = 1,
            ["messageId"] = MessageId,
            ["contentType"] = ContentType,
            ["enqueuedTimeUtc"] = EnqueuedTimeUtc.UtcDateTime.ToString("O"),
            ["applicationProperties"] = JObject.FromObject(ApplicationProperties),
        };
        if (Subject is not null) o["subject"] = Subject;
        if (DeadLetterReason is not null) o["deadLetterReason"] = DeadLetterReason;
        if (DeadLetterErrorDescription is not null) o["deadLetterErrorDescription"] = DeadLetterErrorDescription;
        if (DeliveryCount is { } d) o["deliveryCount"] = d;
        if (DeadLetterSource is not null) o["deadLetterSource"] = DeadLetterSource;
        return o.ToString(Formatting.None) + "\n" + Body;
    }

    /// <summary>Reads an envelope; a text that is not one is a bare body with the storage queue's own id and insertion time.</summary>
    public static LocalQueueEnvelope Parse(string text, string fallbackId, DateTimeOffset fallbackTime)
    {
        var newline = text.IndexOf('\n', StringComparison.Ordinal);
        if (newline > 0 && text.StartsWith("{\"" + Marker + "\"", StringComparison.Ordinal))
        {
            try
            {
                using var reader = new JsonTextReader(new StringReader(text[..newline])) { DateParseHandling = DateParseHandling.None };
                var o = JObject.Load(reader);
                return new LocalQueueEnvelope
                {
                    MessageId = (string?)o["messageId"] ?? fallbackId,
                    ContentType = (string?)o["contentType"] ?? OutgoingMessage.ContentType,
                    Subject = (string?)o["subject"],
                    ApplicationProperties = (o["applicationProperties"] as JObject)?.Properties().ToDictionary(p => p.Name, p => p.Value.ToString(), StringComparer.Ordinal)
                        ?? new Dictionary<string, string>(),
                    EnqueuedTimeUtc = DateTimeOffset.TryParse((string?)o["enqueuedTimeUtc"], System.Globalization.CultureInfo.InvariantCulture,
                        System.Globalization.DateTimeStyles.AssumeUniversal, out var t) ? t : fallbackTime,
                    Body = text[(newline + 1)..],
                    DeadLetterReason = (string?)o["deadLetterReason"],
                    DeadLetterErrorDescription = (string?)o["deadLetterErrorDescription"],
                    DeliveryCount = (int?)o["deliveryCount"],
                    DeadLetterSource = (string?)o["deadLetterSource"],
                };
            }
            catch (JsonException) { }
        }
        return new LocalQueueEnvelope { MessageId = fallbackId, EnqueuedTimeUtc = fallbackTime, Body = text };
    }

    /// <summary>The local name of a queue's dead-letter sub-queue (Service Bus: <c>{queue}/$DeadLetterQueue</c>).</summary>
    public static string DeadLetterQueueName(string queue) => queue + "-deadletter";
}
