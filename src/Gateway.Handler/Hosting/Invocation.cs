using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Gateway.Handler.Hosting;

/// <summary>
/// The custom-handler invocation contract of the Azure Functions host (docs/design.md, "The host contract"; fixtures in
/// tests/Gateway.Integration.Tests/HostContract): the host POSTs <c>{"Data": {binding: value}, "Metadata": {...}}</c> to
/// <c>/{FunctionName}</c> and expects <c>{"Outputs": {binding: value}, "Logs": [...], "ReturnValue": ...}</c>.
/// The host builds every value with <c>ScriptInvocationContextExtensions.GetHttpScriptInvocationContextValue</c>: an object
/// becomes a JSON object, anything else <c>JsonConvert.SerializeObject(value)</c>, so a string trigger value (a Service Bus
/// body) arrives JSON-encoded once more, and metadata scalars arrive as strings (<c>DeliveryCount</c> = <c>"1"</c>,
/// <c>MessageId</c> = <c>"\"…\""</c>).
/// </summary>
public sealed class InvocationRequest
{
    public JObject Data { get; init; } = new();
    public JObject Metadata { get; init; } = new();

    public static async Task<InvocationRequest> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        using var reader = new StreamReader(request.Body);
        var text = await reader.ReadToEndAsync(ct).ConfigureAwait(false);
        return Parse(text);
    }

    public static InvocationRequest Parse(string text)
    {
        var root = Gateway.Contracts.GatewayJson.Parse(text) as JObject ?? throw new JsonReaderException("The invocation payload is not a JSON object.");
        return new InvocationRequest
        {
            Data = root["Data"] as JObject ?? new JObject(),
            Metadata = root["Metadata"] as JObject ?? new JObject(),
        };
    }

    /// <summary>
    /// A trigger's message body as text. The real host sends a string body as <c>JsonConvert.SerializeObject(body)</c>: a
    /// JSON string whose content is the body with its quotes (<c>"\"{…}\""</c>); that layer is removed. A body the host
    /// could turn into an object (never a string, for a Service Bus trigger without dataType) is taken as its JSON.
    /// </summary>
    public string MessageText(string binding)
    {
        var token = Data[binding] ?? throw new InvocationContractException($"The invocation has no '{binding}' data.");
        if (token.Type != JTokenType.String) return token.ToString(Formatting.None);
        return Unquote((string)token!);
    }

    /// <summary>A metadata value as the host encodes it (a JSON-serialized scalar in a string), decoded; null when absent.</summary>
    public string? MetadataText(string name)
    {
        var token = Metadata[name];
        if (token is null || token.Type == JTokenType.Null) return null;
        if (token.Type != JTokenType.String) return token.ToString(Formatting.None);
        return Unquote((string)token!);
    }

    /// <summary>Service Bus delivery count (1 on first delivery), sent by the host as the string <c>"1"</c>.</summary>
    public int DeliveryCount => int.TryParse(MetadataText("DeliveryCount"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var d) && d > 0 ? d : 1;

    public string? MessageId => MetadataText("MessageId");

    private static string Unquote(string text)
    {
        if (text.Length < 2 || text[0] != '"') return text;
        try
        {
            return JsonConvert.DeserializeObject<string>(text, Gateway.Contracts.GatewayJson.Settings) ?? text;
        }
        catch (JsonException)
        {
            return text;
        }
    }
}

/// <summary>An invocation that does not follow the host contract (a missing binding): a fault of the caller, never retried into success.</summary>
public sealed class InvocationContractException(string message) : Exception(message);

public sealed class InvocationResult
{
    [JsonProperty("Outputs")]
    public Dictionary<string, object?> Outputs { get; } = new();

    [JsonProperty("Logs")]
    public List<string> Logs { get; } = new();

    [JsonProperty("ReturnValue")]
    public object? ReturnValue { get; set; }

    public IResult ToResult(int status = StatusCodes.Status200OK) => GatewayResults.Invocation(this, status);
}

/// <summary>
/// Runs an invocation function: reads the host's envelope, runs the handler, answers its result. A failing invocation answers
/// 500, so the host abandons the message (redelivered, then dead-lettered by the broker). The real host reads an invocation's
/// Logs only after EnsureSuccessStatusCode, so a failure is written to the handler's own log (stdout, which the host collects)
/// here; the 500's Logs repeat it, without internals, for the local host's console.
/// </summary>
public static class InvocationEndpoint
{
    public static async Task<IResult> RunAsync(HttpRequest request, string function, DeadLetterRecorder? deadLetters, ILogger log,
        Func<InvocationRequest, CancellationToken, Task<InvocationResult>> handle, CancellationToken ct)
    {
        InvocationRequest invocation;
        try
        {
            invocation = await InvocationRequest.ReadAsync(request, ct).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            log.LogError("{Function}: the invocation payload is not JSON.", function);
            var bad = new InvocationResult();
            bad.Logs.Add("the invocation payload is not JSON");
            return bad.ToResult(StatusCodes.Status400BadRequest);
        }
        try
        {
            return (await handle(invocation, ct).ConfigureAwait(false)).ToResult();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogError(e, "{Function} failed on delivery {Delivery} of message {MessageId}", function, invocation.DeliveryCount, invocation.MessageId);
            if (deadLetters is not null) await deadLetters.RecordIfLastAsync(function, invocation, e, ct).ConfigureAwait(false);
            var failed = new InvocationResult();
            failed.Logs.Add($"{function} failed on delivery {invocation.DeliveryCount}: {FailureText.Describe(e)}");
            return failed.ToResult(StatusCodes.Status500InternalServerError);
        }
    }
}
