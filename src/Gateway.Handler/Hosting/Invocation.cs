using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Gateway.Handler.Hosting;

/// <summary>
/// The custom-handler invocation contract of the Azure Functions host: the host POSTs
/// <c>{"Data": {binding: value}, "Metadata": {...}}</c> to <c>/{FunctionName}</c> and expects
/// <c>{"Outputs": {binding: value}, "Logs": [...], "ReturnValue": ...}</c>.
/// </summary>
public sealed class InvocationRequest
{
    public JObject Data { get; init; } = new();
    public JObject Metadata { get; init; } = new();

    public static async Task<InvocationRequest> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        using var reader = new StreamReader(request.Body);
        var text = await reader.ReadToEndAsync(ct).ConfigureAwait(false);
        using var json = new JsonTextReader(new StringReader(text)) { DateParseHandling = DateParseHandling.None, FloatParseHandling = FloatParseHandling.Decimal };
        var root = JObject.Load(json);
        return new InvocationRequest
        {
            Data = root["Data"] as JObject ?? new JObject(),
            Metadata = root["Metadata"] as JObject ?? new JObject(),
        };
    }

    /// <summary>
    /// A trigger's message body as text. The host passes a queue/Service Bus message either as a JSON string
    /// holding the body or, when the body is JSON, as the parsed object: accept both.
    /// </summary>
    public string MessageText(string binding)
    {
        var token = Data[binding] ?? throw new InvalidOperationException($"The invocation has no '{binding}' data.");
        return token.Type == JTokenType.String ? (string)token! : token.ToString(Formatting.None);
    }

    /// <summary>Service Bus delivery count (1 on first delivery); storage queues call it DequeueCount.</summary>
    public int DeliveryCount =>
        Metadata.Value<int?>("DeliveryCount") ?? Metadata.Value<int?>("DequeueCount") ?? 1;
}

public sealed class InvocationResult
{
    [JsonProperty("Outputs")]
    public Dictionary<string, object?> Outputs { get; } = new();

    [JsonProperty("Logs")]
    public List<string> Logs { get; } = new();

    [JsonProperty("ReturnValue")]
    public object? ReturnValue { get; set; }

    public IResult ToResult() => Results.Text(JsonConvert.SerializeObject(this), "application/json");
}
