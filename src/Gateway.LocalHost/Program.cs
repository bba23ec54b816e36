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

void Log(string line) => Console.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {line}");

var storage = settings["AzureWebJobsStorage"] ?? throw new InvalidOperationException("Set AzureWebJobsStorage (the Azurite connection string).");
var queueConnection = settings["ServiceBusConnection"] is { } sb && sb.Contains("QueueEndpoint", StringComparison.Ordinal) ? sb : storage;
var queues = new QueueServiceClient(queueConnection, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
var claims = new ClaimCheck(new Azure.Storage.Blobs.BlobServiceClient(queueConnection));

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
    await queues.GetQueueClient(name + "-poison").CreateIfNotExistsAsync(cancellationToken: stopping.Token);
}

await claims.EnsureAsync(stopping.Token);
await using var handler = await HandlerProcess.StartAsync(Path.GetFullPath(handlerPath), Path.GetDirectoryName(Path.GetFullPath(handlerPath))!, settings, port, stopping.Token);
Log($"handler listening on 127.0.0.1:{handler.Port}");
using var handlerClient = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{handler.Port}"), Timeout = TimeSpan.FromSeconds(230) };
var invoker = new Invoker(handlerClient, queues, claims, settings, new QueueSignals(), Log);

var builder = WebApplication.CreateSlimBuilder();
builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 64 * 1024 * 1024);
var app = builder.Build();
HttpTriggers.Map(app, functions, handlerClient, invoker);

var background = new List<Task>();
foreach (var f in functions.Functions)
{
    var trigger = f.Trigger;
    if (trigger is null) continue;
    switch (trigger.Type)
    {
        case "serviceBusTrigger" or "queueTrigger":
            var pump = new QueuePump(f, trigger, queues, invoker, settings, functions.MaxConcurrentCalls, Log);
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
