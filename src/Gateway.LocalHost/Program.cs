using Azure.Storage.Queues;
using Gateway.LocalHost;

// The embedded local Functions host: one set of function definitions, the same handler, Azurite for queues.
//   Gateway.LocalHost --root <dir with host.json> --handler <exe|dll> [--port 7071] [--settings local.settings.json] [--set Name=Value]...
var rootOption = new System.CommandLine.Option<string?>("--root") { Description = "The folder with host.json, functions/ and local.settings.json (default: the current folder)." };
var handlerOption = new System.CommandLine.Option<string?>("--handler") { Description = "The custom handler to start: an executable or a .dll run with dotnet (default: host.json's defaultExecutablePath)." };
var portOption = new System.CommandLine.Option<int>("--port") { Description = "The port the host listens on.", DefaultValueFactory = _ => 7071 };
var settingsOption = new System.CommandLine.Option<string?>("--settings") { Description = "The app settings file (default: local.settings.json in --root)." };
var setOption = new System.CommandLine.Option<string[]>("--set") { Description = "An app setting Name=Value over the file's and the environment's (repeatable)." };
setOption.Validators.Add(r =>
{
    foreach (var kv in r.GetValueOrDefault<string[]>() ?? [])
        if (kv.IndexOf('=') <= 0) r.AddError($"--set {kv}: give Name=Value.");
});
var command = new System.CommandLine.RootCommand("The embedded local Functions host: the function definitions of --root, the same handler, Azurite for queues.")
{
    rootOption, handlerOption, portOption, settingsOption, setOption,
};
var parsed = command.Parse(args);
if (parsed.Errors.Count > 0 || parsed.Action is not null)
{
    // --help, --version, or arguments that do not parse: System.CommandLine says so (and exits non-zero on errors).
    return parsed.Errors.Count > 0 ? PrintErrors(parsed) : parsed.Invoke();
}
var root = Path.GetFullPath(parsed.GetValue(rootOption) ?? Directory.GetCurrentDirectory());
var settings = Settings.Load(parsed.GetValue(settingsOption) ?? Path.Combine(root, "local.settings.json"));
foreach (var kv in parsed.GetValue(setOption) ?? [])
{
    var i = kv.IndexOf('=');
    settings.Set(kv[..i], kv[(i + 1)..]);
}
var port = parsed.GetValue(portOption);
var functions = FunctionApp.Load(root);
var handlerPath = parsed.GetValue(handlerOption)
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

static int PrintErrors(System.CommandLine.ParseResult parsed)
{
    foreach (var e in parsed.Errors) Console.Error.WriteLine(e.Message);
    return 2;
}
