using System.Text;
using Azure.Storage.Queues;
using Gateway.Messaging;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Gateway.LocalHost;

/// <summary>The outcome of one invocation: success, the handler's outputs and logs.</summary>
public sealed record InvocationOutcome(bool Succeeded, int StatusCode, JObject Outputs, IReadOnlyList<string> Logs, string? Error);

/// <summary>
/// Invokes the handler as the Functions host does (DefaultHttpWorkerService.ProcessDefaultInvocationRequest: POST
/// /{FunctionName} with {"Data","Metadata"}; a non-2xx answer fails the invocation before its body is read, so its Logs are
/// never used) and carries the Outputs to the output bindings: a Service Bus output becomes one message per value on the
/// Azurite queue of the same name, written as the host writes it (<see cref="HostContract.OutputMessages"/>) in a
/// <see cref="LocalQueueEnvelope"/> with a new MessageId, refused over the broker's size limit
/// (<c>LocalHostMaxMessageKilobytes</c>, default 256: Service Bus Standard).
/// </summary>
public sealed class Invoker(HttpClient http, QueueServiceClient queues, Settings settings, QueueSignals signals, QueueStatistics stats, Action<string> log)
{
    public QueueSignals Signals => signals;

    private int MaxMessageBytes => (int.TryParse(settings["LocalHostMaxMessageKilobytes"], out var k) && k > 0 ? k : 256) * 1024;

    public async Task<InvocationOutcome> InvokeAsync(FunctionDefinition function, JObject data, JObject metadata, CancellationToken ct)
    {
        using var content = new StringContent(HostContract.Payload(data, metadata), Encoding.UTF8, "application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/" + function.Name) { Content = content };
        request.Headers.TryAddWithoutValidation("x-azure-functions-invocationid", Guid.NewGuid().ToString());
        request.Headers.TryAddWithoutValidation("User-Agent", "Azure-Functions-Host/4");
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            return new InvocationOutcome(false, 0, new JObject(), [], $"handler unreachable: {e.Message}");
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
                return new InvocationOutcome(false, (int)response.StatusCode, new JObject(), [], $"handler answered {(int)response.StatusCode}");
            var text = await response.Content.ReadAsStringAsync(ct);
            JObject body;
            try { body = text.Length == 0 ? new JObject() : JObject.Parse(text); }
            catch (JsonReaderException) { return new InvocationOutcome(false, (int)response.StatusCode, new JObject(), [], "the handler's answer is not JSON"); }
            var outputs = body["Outputs"] as JObject ?? new JObject();
            var logs = (body["Logs"] as JArray)?.Select(l => l.ToString()).ToList() ?? [];
            foreach (var line in logs) log($"[{function.Name}] {line}");
            return new InvocationOutcome(true, (int)response.StatusCode, outputs, logs, null);
        }
    }

    /// <summary>Sends the queue outputs of a successful invocation (before its trigger message is completed: at-least-once).</summary>
    public async Task SendQueueOutputsAsync(FunctionDefinition function, JObject outputs, CancellationToken ct)
    {
        foreach (var binding in function.Bindings.Where(b => b.Direction == "out" && b.Type is "serviceBus"))
        {
            if (!outputs.TryGetValue(binding.Name, out var value) || value.Type == JTokenType.Null) continue;
            var queueName = settings.Resolve(binding.Get("queueName") ?? throw new InvalidOperationException($"{function.Name}.{binding.Name} names no queue."));
            var queue = queues.GetQueueClient(queueName);
            foreach (var body in HostContract.OutputMessages(value))
            {
                var bytes = Encoding.UTF8.GetByteCount(body);
                if (bytes > MaxMessageBytes)
                    throw new InvalidOperationException($"{function.Name}.{binding.Name}: a {bytes}-byte message is over the broker's {MaxMessageBytes / 1024} KB (MessageSizeExceeded).");
                // StringToMessageConverter: a new message with ContentType text/plain and nothing else set (the broker assigns the id).
                var envelope = new LocalQueueEnvelope { MessageId = Guid.NewGuid().ToString("N"), ContentType = "text/plain", EnqueuedTimeUtc = TimeProvider.System.GetUtcNow(), Body = body }.ToText();
                if (Encoding.UTF8.GetByteCount(envelope) > LocalQueueEnvelope.MaxBytes)
                    throw new InvalidOperationException($"{function.Name}.{binding.Name}: a {bytes}-byte message does not fit a local storage queue message (64 KiB).");
                await queue.SendMessageAsync(envelope, ct);
                stats.Sent(queueName, bytes);
            }
            signals.Notify(queueName);
        }
    }
}
