using System.Globalization;
using Gateway.Messaging;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Gateway.LocalHost;

/// <summary>
/// The invocation payloads of the real Azure Functions host, reproduced: what it POSTs to <c>/{FunctionName}</c> for a
/// Service Bus trigger and a timer trigger, and how it reads the answer. Each rule names the host source it follows
/// (Azure/azure-functions-host at <see cref="HostCommit"/>); the fixtures in tests/Gateway.Integration.Tests/HostContract
/// are these shapes, and a test compares this class's output with them field by field.
/// </summary>
public static class HostContract
{
    public const string HostCommit = "89dc438d476542786f2fc4070f553423213a6223";

    /// <summary>
    /// <c>ScriptInvocationContextExtensions.GetHttpScriptInvocationContextValue</c>
    /// (src/WebJobs.Script/Workers/MessageExtensions/ScriptInvocationContextExtensions.cs): byte[] → base64; DateTime and
    /// DateTimeOffset → re-parsed from their culture string (second precision, no zone for DateTime); anything
    /// <c>JObject.FromObject</c> accepts → that object; everything else → <c>JsonConvert.SerializeObject(value)</c>, so a
    /// string becomes a JSON string literal (quotes included) and a number its text.
    /// </summary>
    public static JToken Value(object? value)
    {
        switch (value)
        {
            case byte[] bytes: return Convert.ToBase64String(bytes);
            case DateTime dt: return new JValue(DateTime.Parse(dt.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture).ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture));
            case DateTimeOffset dto: return new JValue(DateTimeOffset.Parse(dto.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture).ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture));
            case JObject o: return o;
            case IDictionary<string, string> d: return JObject.FromObject(d);
            case string text: return JsonConvert.SerializeObject(text);
            case null: return JValue.CreateNull();
            default: return JsonConvert.SerializeObject(value);
        }
    }

    /// <summary>
    /// Data and Metadata of a Service Bus trigger invocation. Data holds the body, a .NET string for a trigger without
    /// dataType (JobHostMetadataProvider.GetDefaultType; the extension's MessageToStringConverter), so <see cref="Value"/>
    /// encodes it once more. Metadata is the Service Bus extension's binding data (ServiceBusTriggerBindingStrategy.GetBindingData,
    /// nulls left out), then <c>sys</c> (the WebJobs SDK's SystemBindingData), then the top-level properties of a JSON body
    /// merged over them (the host's Utility.ApplyBindingData: scalars as their string, objects as objects, arrays dropped,
    /// case-insensitive, a body property replacing a binding-data entry of the same name); every value through
    /// <see cref="Value"/>; keys ending in "trigger" skipped.
    /// </summary>
    public static (JObject Data, JObject Metadata) ServiceBus(string functionName, string binding, LocalQueueEnvelope message, int deliveryCount, long sequenceNumber,
        string lockToken, DateTimeOffset expiresAt, DateTimeOffset utcNow, Guid randGuid, string fullyQualifiedNamespace = "localhost", string clientIdentifier = "local-host")
    {
        var data = new JObject { [binding] = Value(message.Body) };
        var properties = message.ApplicationProperties.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var actions = new JObject(); // ServiceBusMessageActions / ReceiveActions: no public properties
        var bindingData = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase)
        {
            ["MessageReceiver"] = actions,
            ["MessageSession"] = actions,
            ["MessageActions"] = actions,
            ["SessionActions"] = actions,
            ["ReceiveActions"] = actions,
            ["Client"] = new JObject { ["FullyQualifiedNamespace"] = fullyQualifiedNamespace, ["IsClosed"] = false, ["TransportType"] = 0, ["Identifier"] = clientIdentifier },
            ["DeliveryCount"] = deliveryCount,
            ["DeadLetterSource"] = message.DeadLetterSource,
            ["LockToken"] = lockToken,
            ["ExpiresAtUtc"] = expiresAt.UtcDateTime,
            ["ExpiresAt"] = expiresAt.ToUniversalTime(),
            ["EnqueuedTimeUtc"] = message.EnqueuedTimeUtc.UtcDateTime,
            ["EnqueuedTime"] = message.EnqueuedTimeUtc.ToUniversalTime(),
            ["MessageId"] = message.MessageId,
            ["ContentType"] = message.ContentType,
            ["SequenceNumber"] = sequenceNumber,
            ["Subject"] = message.Subject,
            ["Label"] = message.Subject,
            ["ApplicationProperties"] = properties,
            ["UserProperties"] = properties,
            ["sys"] = Sys(functionName, utcNow, randGuid),
        };
        // Utility.ApplyBindingData: JObject.Parse with Newtonsoft's defaults (ISO dates become dates), scalars cast to string.
        if (IsJson(message.Body))
        {
            try
            {
                foreach (var p in JObject.Parse(message.Body).Properties())
                {
                    if (p.Value.Type == JTokenType.Array) continue;
                    if ((p.Value is JObject o ? o : (object?)(string?)p.Value) is { } v) bindingData[p.Name] = v;
                }
            }
            catch (Exception e) when (e is JsonException or ArgumentException or InvalidCastException) { } // not JSON: no extra binding data
        }
        var metadata = new JObject();
        foreach (var (key, value) in bindingData)
        {
            if (value is null || key.EndsWith("trigger", StringComparison.OrdinalIgnoreCase)) continue;
            metadata[key] = Value(value);
        }
        return (data, metadata);
    }

    /// <summary>
    /// A timer invocation: Data.{binding} is the TimerInfo (JObject.FromObject: Schedule.AdjustForDST true for a CRON schedule,
    /// ScheduleStatus with local times, never run = default(DateTime)), Metadata only <c>sys</c> (the trigger's one binding-data
    /// entry, "TimerTrigger", ends in "trigger" and is skipped).
    /// </summary>
    public static (JObject Data, JObject Metadata) Timer(string functionName, string binding, DateTime? last, DateTime? next, DateTime lastUpdated, DateTime utcNow, bool isPastDue, Guid randGuid)
    {
        // Newtonsoft's ISO format for a local DateTime: fraction trimmed, local offset.
        static string Local(DateTime t) => (t == default ? default(DateTime).ToLocalTime() : t.ToLocalTime()).ToString("yyyy-MM-ddTHH:mm:ss.FFFFFFFK", CultureInfo.InvariantCulture);
        var timer = new JObject
        {
            ["Schedule"] = new JObject { ["AdjustForDST"] = true },
            ["ScheduleStatus"] = new JObject
            {
                ["Last"] = Local(last ?? default),
                ["Next"] = Local(next ?? default),
                ["LastUpdated"] = Local(lastUpdated),
            },
            ["IsPastDue"] = isPastDue,
        };
        return (new JObject { [binding] = timer }, new JObject { ["sys"] = Sys(functionName, new DateTimeOffset(utcNow, TimeSpan.Zero), randGuid) });
    }

    /// <summary>The host's SystemBindingData: MethodName, UtcNow, RandGuid.</summary>
    public static JObject Sys(string functionName, DateTimeOffset utcNow, Guid randGuid) => new()
    {
        ["MethodName"] = functionName,
        ["UtcNow"] = utcNow.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.FFFFFFFZ", CultureInfo.InvariantCulture),
        ["RandGuid"] = randGuid.ToString(),
    };

    /// <summary>The invocation request body: <c>{"Data":…,"Metadata":…}</c> (HttpScriptInvocationContext, JSON).</summary>
    public static string Payload(JObject data, JObject metadata) => new JObject { ["Data"] = data, ["Metadata"] = metadata }.ToString(Formatting.None);

    /// <summary>
    /// A Service Bus output value as the host turns it into message bodies (FunctionBinding.BindAsyncCollectorAsync): a string
    /// that is JSON is parsed and written out again with JToken.ToString() (indented), an array (or a string holding one) is one
    /// message per element, anything else its text. That growth is why the handler claim-checks every body over 32 KiB.
    /// </summary>
    public static IEnumerable<string> OutputMessages(JToken value)
    {
        var token = value;
        if (value.Type == JTokenType.String && IsJson((string)value!))
        {
            using var reader = new JsonTextReader(new StringReader((string)value!)) { DateParseHandling = DateParseHandling.None, FloatParseHandling = FloatParseHandling.Decimal };
            token = JToken.Load(reader);
        }
        IEnumerable<JToken> items = token is JArray a ? a : [token];
        foreach (var item in items)
        {
            if (item.Type == JTokenType.Null) continue;
            yield return item.Type == JTokenType.String ? (string)item! : item.ToString(Formatting.Indented);
        }
    }

    /// <summary>The host's Utility.IsJson: trimmed text that starts with { and ends with }, or [ and ].</summary>
    private static bool IsJson(string text)
    {
        var t = text.Trim();
        return t.Length > 1 && ((t[0] == '{' && t[^1] == '}') || (t[0] == '[' && t[^1] == ']'));
    }

    private static JObject? TryParseObject(string text)
    {
        if (text.Length == 0 || text[0] != '{') return null;
        try
        {
            using var reader = new JsonTextReader(new StringReader(text)) { DateParseHandling = DateParseHandling.None, FloatParseHandling = FloatParseHandling.Decimal };
            return JObject.Load(reader);
        }
        catch (JsonException) { return null; }
    }
}
