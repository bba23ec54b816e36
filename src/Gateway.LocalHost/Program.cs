using Azure.Storage.Queues;
using Gateway.LocalHost;

// The embedded local Functions host: one set of function definitions, the same handler, Azurite for queues.
//   Gateway.LocalHost --root <dir with host.json> --handler <exe|dll> [--port 7071] [--settings local.settings.json] [--set Name=Value]...
var options = Args.Parse(args);
var root = Path.GetFullPath(options.Get("root") ?? Directory.GetCurrentDirectory());
var settings = Settings.Load(options.Get("settings") ?? Path.Combine(root, "local.settings.json"));
foreach (var kv in options.All("set"))
{
    var i = kv.IndexOf('=');
    if (i > 0) settings.Set(kv[..i], kv[(i + 1)..]);
}
var port = int.Parse(options.Get("port") ?? "7071", System.Globalization.CultureInfo.InvariantCulture);
var functions = FunctionApp.Load(root);
var handlerPath = options.Get("handler")
    ?? Path.Combine(root, functions.HostJson.SelectToken("customHandler.description.defaultExecutablePath")?.ToString() ?? throw new InvalidOperationException("host.json names no handler."));

void Log(string line) => Console.WriteLine($"{TimeProvider.System.GetUtcNow().UtcDateTime:HH:mm:ss.fff} {line}");

var storage = settings["AzureWebJobsStorage"] ?? throw new InvalidOperationException("Set AzureWebJobsStorage (the Azurite connection string).");
var queueConnection = settings["ServiceBusConnection"] is { } sb && sb.Contains("QueueEndpoint", StringComparison.Ordinal) ? sb : storage;
var queues = new QueueServiceClient(queueConnection, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
var keys = FunctionKeys.From(settings);
var stats = new QueueStatistics();
var signals = new QueueSignals();

// Not disposed: SIGTERM's ProcessExit may fire after Main has returned.
var stopping = new CancellationTokenSource();
void Stop()
{
    try { stopping.Cancel(); }
    catch (ObjectDisposedException) { }
}
Console.CancelKeyPress += (_, e) => { e.Cancel = true; Stop(); };
AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop();

// Every queue a function names exists before anything runs (Service Bus queues are declared in infra/).
var queueNames = functions.Functions.SelectMany(f => f.Bindings)
    .Where(b => b.Type is "serviceBusTrigger" or "serviceBus" or "queueTrigger" or "queue")
    .Select(b => settings.Resolve(b.Get("queueName") ?? b.Get("queue") ?? ""))
    .Where(n => n.Length > 0).Distinct().ToList();
foreach (var name in queueNames)
{
    await queues.GetQueueClient(name).CreateIfNotExistsAsync(cancellationToken: stopping.Token);
    await queues.GetQueueClient(Gateway.Messaging.LocalQueueEnvelope.DeadLetterQueueName(name)).CreateIfNotExistsAsync(cancellationToken: stopping.Token);
}

// The handler sends its own messages (QueueTransport StorageQueues: to these Azurite queues) and may wake a pump at once.
if (settings["QueueTransport"] is null) settings.Set("QueueTransport", "StorageQueues");
settings.Set("LocalHostWakeUrl", $"http://127.0.0.1:{port}/");
settings.Set("LocalHostWakeKey", keys.MasterKey);
await using var handler = await HandlerProcess.StartAsync(Path.GetFullPath(handlerPath), Path.GetDirectoryName(Path.GetFullPath(handlerPath))!, settings, port, stopping.Token);
Log($"handler listening on 127.0.0.1:{handler.Port}");
using var handlerClient = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{handler.Port}"), Timeout = TimeSpan.FromSeconds(230) };
var invoker = new Invoker(handlerClient, queues, settings, signals, stats, Log);

var builder = WebApplication.CreateSlimBuilder();
builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 64 * 1024 * 1024);
var app = builder.Build();
// The host's own answers (no route, a method the route does not take) are problem+json like the handler's.
app.UseStatusCodePages(async context =>
{
    var c = context.HttpContext;
    if (c.Response.StatusCode == 405) await LocalProblems.WriteAsync(c, 405, "method-not-allowed", "Method not allowed", $"{c.Request.Method} is not allowed on {c.Request.Path}.");
    else if (c.Response.StatusCode == 404) await LocalProblems.WriteAsync(c, 404, "not-found", "Not found", $"No route {c.Request.Method} {c.Request.Path}.");
    else if (c.Response.StatusCode == 400) await LocalProblems.WriteAsync(c, 400, "bad-request", "Bad request", "The request could not be read.");
});
HttpTriggers.Map(app, functions, handlerClient, invoker, keys);
// Host administration (master key), like the real host's /admin routes: wake a pump (the handler after a send; carries no
// message) and the per-queue figures (messages, largest body, dead letters).
app.MapPost("/admin/host/queues/{queue}/wake", (HttpRequest r, string queue) =>
{
    if (!keys.Allows(AuthLevel.Admin, r)) return Results.Problem(statusCode: 401, title: "Unauthorized", type: "https://gateway.example.org/problems/unauthorized", detail: "The master key is needed.");
    signals.Notify(queue);
    return Results.NoContent();
});
app.MapGet("/admin/host/queues", (HttpRequest r) =>
{
    if (!keys.Allows(AuthLevel.Admin, r)) return Results.Problem(statusCode: 401, title: "Unauthorized", type: "https://gateway.example.org/problems/unauthorized", detail: "The master key is needed.");
    return Results.Json(stats.Snapshot.ToDictionary(kv => kv.Key, kv => new
    {
        received = kv.Value.Received, largestBodyBytes = kv.Value.LargestBodyBytes, sent = kv.Value.Sent, largestSentBytes = kv.Value.LargestSentBytes, deadLettered = kv.Value.DeadLettered,
    }));
});

var background = new List<Task>();
foreach (var f in functions.Functions)
{
    var trigger = f.Trigger;
    if (trigger is null) continue;
    switch (trigger.Type)
    {
        case "serviceBusTrigger" or "queueTrigger":
            var pump = new QueuePump(f, trigger, queues, invoker, settings, functions.MaxConcurrentCalls, stats, Log);
            background.Add(Task.Run(() => pump.RunAsync(stopping.Token)));
            break;
        case "timerTrigger":
            background.Add(Task.Run(() => new TimerRunner(f, trigger, invoker, settings, Log).RunAsync(stopping.Token)));
            break;
    }
}

await app.StartAsync(stopping.Token);
Log($"Functions host listening on http://127.0.0.1:{port}/{functions.RoutePrefix}/ ({functions.Functions.Count} functions)");
try
{
    while (!stopping.IsCancellationRequested)
    {
        if (handler.HasExited) { Log("the handler exited; stopping"); break; }
        await Task.Delay(500, stopping.Token);
    }
}
catch (OperationCanceledException) { }
await app.StopAsync(CancellationToken.None);
stopping.Cancel();
await Task.WhenAll(background.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
Log("stopped");
return 0;

internal sealed class Args(Dictionary<string, List<string>> values)
{
    public string? Get(string name) => values.TryGetValue(name, out var v) ? v[^1] : null;

    public IEnumerable<string> All(string name) => values.TryGetValue(name, out var v) ? v : [];

    public static Args Parse(string[] args)
    {
        var values = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length) throw new ArgumentException($"Unexpected argument '{args[i]}'.");
            var name = args[i][2..];
            if (!values.TryGetValue(name, out var list)) values[name] = list = [];
            list.Add(args[++i]);
        }
        return new Args(values);
    }
}
