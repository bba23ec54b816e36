using System.Text;
using Azure.Storage.Queues;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Gateway.LocalHost;

/// <summary>The outcome of one invocation: success, the handler's outputs and logs.</summary>
public sealed record InvocationOutcome(bool Succeeded, int StatusCode, JObject Outputs, IReadOnlyList<string> Logs, string? Error);

/// <summary>
/// Invokes the handler exactly as the Functions host does (POST /{FunctionName} with {"Data","Metadata"}) and
/// carries its Outputs to the output bindings: Service Bus outputs become messages on the Azurite queue of the
/// same name (a string is one message, an array many, an object its JSON).
/// </summary>
public sealed class Invoker(HttpClient http, QueueServiceClient queues, ClaimCheck claims, Settings settings, QueueSignals signals, Action<string> log)
{
    public QueueSignals Signals => signals;

    public async Task<InvocationOutcome> InvokeAsync(FunctionDefinition function, JObject data, JObject metadata, CancellationToken ct)
    {
        var payload = new JObject { ["Data"] = data, ["Metadata"] = metadata };
        using var content = new StringContent(payload.ToString(Formatting.None), Encoding.UTF8, "application/json");
        HttpResponseMessage response;
        try
        {
            response = await http.PostAsync("/" + function.Name, content, ct);
        }
        catch (HttpRequestException e)
        {
            return new InvocationOutcome(false, 0, new JObject(), [], $"handler unreachable: {e.Message}");
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            JObject body;
            try { body = text.Length == 0 ? new JObject() : JObject.Parse(text); }
            catch (JsonReaderException) { body = new JObject(); }
            var outputs = body["Outputs"] as JObject ?? new JObject();
            var logs = (body["Logs"] as JArray)?.Select(l => l.ToString()).ToList() ?? [];
            foreach (var line in logs) log($"[{function.Name}] {line}");
            if (!response.IsSuccessStatusCode)
                return new InvocationOutcome(false, (int)response.StatusCode, outputs, logs, $"handler answered {(int)response.StatusCode}");
            return new InvocationOutcome(true, (int)response.StatusCode, outputs, logs, null);
        }
    }

    /// <summary>Sends the queue outputs of a successful invocation (before its trigger message is deleted: at-least-once).</summary>
    public ClaimCheck Claims => claims;

    public async Task SendQueueOutputsAsync(FunctionDefinition function, JObject outputs, CancellationToken ct)
    {
        foreach (var binding in function.Bindings.Where(b => b.Direction == "out" && b.Type is "serviceBus" or "queue"))
        {
            if (!outputs.TryGetValue(binding.Name, out var value) || value.Type == JTokenType.Null) continue;
            var queueName = settings.Resolve(binding.Get("queueName") ?? binding.Get("queue") ?? throw new InvalidOperationException($"{function.Name}.{binding.Name} names no queue."));
            var queue = queues.GetQueueClient(queueName);
            IEnumerable<JToken> messages = value is JArray arr ? arr : [value];
            foreach (var m in messages)
            {
                var text = m.Type == JTokenType.String ? (string)m! : m.ToString(Formatting.None);
                await queue.SendMessageAsync(await claims.WrapAsync(text, ct), ct);
            }
            signals.Notify(queueName);
        }
    }
}
