using Gateway.Domain;
using Gateway.Handler.Clearing;
using Gateway.Handler.Home;
using Gateway.Handler.Hosting;
using Gateway.Handler.Intake;
using Gateway.Handler.Reference;
using Gateway.Handler.Replies;
using Gateway.Handler.Security;
using Gateway.Messaging;
using Gateway.Storage;

var builder = WebApplication.CreateSlimBuilder(args);
var port = builder.Configuration["FUNCTIONS_CUSTOMHANDLER_PORT"] ?? "7072";
builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
builder.Logging.AddFilter("System.Net.Http", LogLevel.Warning);

var settings = HandlerSettings.From(builder.Configuration);
var services = builder.Services;
services.AddSingleton(settings);
services.AddSingleton(TimeProvider.System);
var faultSeed = int.TryParse(builder.Configuration["FaultInjectionSeed"], out var fs) ? fs : (int?)null;
var faultRate = double.TryParse(builder.Configuration["FaultInjectionRate"], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var fr) ? fr : 0;
var faults = faultSeed is { } seed && faultRate > 0 ? new FaultInjectionPolicy(seed, faultRate) : null;
if (faults is not null) Console.Error.WriteLine($"FAULT INJECTION ON: seed {faultSeed}, rate {faultRate} per storage write");
services.AddSingleton(new GatewayStorage(settings.StorageConnection, faults: faults, retry: settings.StorageRetry));
services.AddSingleton(sp => new IntakeAdmission(sp.GetRequiredService<GatewayStorage>().Pressure, settings.Shedding)); // 503 at the door while the store is slow
services.AddSingleton(RulePackSet.Default);
services.AddSingleton(AuditRuleSet.Default);
services.AddSingleton(CatalogRegistry.Load(Path.Combine(settings.DataDirectory, "catalogs")));
services.AddSingleton(HospitalRegistry.Load(settings.DataDirectory, builder.Configuration, settings.Demo));
services.AddSingleton<SettlementStore>();
services.AddSingleton<TraceCodeStore>();
services.AddSingleton<ReviewStore>();
services.AddSingleton<Gateway.Handler.Clearing.Reviews>();
services.AddSingleton<MemberStore>();
services.AddSingleton<SettlementSignals>();
services.AddSingleton<SettlementWaiter>();
services.AddSingleton<HospitalAuthenticator>();
services.AddSingleton<SubmitSettlementFunction>();
services.AddSingleton<GetSettlementFunction>();
services.AddSingleton<EvaluateHomeFunction>();
services.AddSingleton<ApplyReplyFunction>();
services.AddSingleton<SweepSettlementsFunction>();
services.AddSingleton<DeadLetterRecorder>();
services.AddSingleton(sp => new LedgerStore(sp.GetRequiredService<GatewayStorage>(),
    sp.GetRequiredService<RulePackSet>().Regions.Union(sp.GetRequiredService<CatalogRegistry>().All.Select(c => c.Region)).OrderBy(r => r.Value, StringComparer.Ordinal).ToList(),
    sp.GetRequiredService<TimeProvider>()));
services.AddSingleton<SettlementPostings>();
services.AddSingleton(new LifecyclePolicy(settings.RedispatchAfter, settings.SettlementTimeout));
services.AddSingleton<Gateway.Handler.Lifecycle.SettlementTransitions>();
services.AddSingleton<Gateway.Handler.Lifecycle.SettlementIntake>();
services.AddSingleton<CancelSettlementFunction>();
services.AddSingleton<ReconcileFunction>();
services.AddSingleton<ListSettlementsFunction>();
services.AddSingleton<ImportMembersFunction>();
services.AddSingleton<NotifyHospitalFunction>();
services.AddSingleton(CallbackPolicy.From(builder.Configuration));
services.AddHttpClient<CallbackSender>(c => c.Timeout = TimeSpan.FromSeconds(30))
    .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
    {
        // SSRF: the policy resolves and checks every address at connect time; a redirect could point anywhere.
        ConnectCallback = sp.GetRequiredService<CallbackPolicy>().ConnectAsync,
        AllowAutoRedirect = false,
        UseCookies = false,
    });
services.AddHttpClient<NationalDirectory>(c => c.Timeout = TimeSpan.FromSeconds(30));
services.AddSingleton<ReconciliationStore>();
services.AddSingleton<ClosePeriodFunction>();
services.AddClearingIdentity(builder.Configuration, settings.DataDirectory, settings.Demo); // Basic users or App Service Authentication, policies, sign-in limits
// The messaging port: the Service Bus SDK in Azure, the Azurite queues of the local host otherwise (QueueTransport).
string? Setting(string name) => builder.Configuration[name];
services.AddSingleton(sp => MessagingFactory.ClaimCheck(settings.StorageConnection, Setting, sp.GetRequiredService<TimeProvider>()));
if (settings.Transport == QueueTransport.ServiceBus)
{
    services.AddSingleton(_ => MessagingFactory.ServiceBusClient(Setting));
    services.AddSingleton<IMessageSender>(sp => new ServiceBusMessageSender(sp.GetRequiredService<Azure.Messaging.ServiceBus.ServiceBusClient>()));
}
else
{
    var wake = builder.Configuration["LocalHostWakeUrl"] is { Length: > 0 } wakeUrl
        ? new LocalQueueWake(new HttpClient { Timeout = TimeSpan.FromSeconds(2) }, new Uri(wakeUrl), builder.Configuration["LocalHostWakeKey"] ?? "")
        : null;
    services.AddSingleton<IMessageSender>(sp => new StorageQueueMessageSender(MessagingFactory.StorageQueues(Setting), sp.GetRequiredService<TimeProvider>(), wake));
}
services.AddSingleton<Dispatcher>();
services.AddSingleton(sp => new HealthProbe(settings.StorageConnection, sp.GetRequiredService<TimeProvider>()));

var app = builder.Build();
var storage = app.Services.GetRequiredService<GatewayStorage>();
await storage.EnsureCreatedAsync();
await app.Services.GetRequiredService<ClaimCheck>().EnsureAsync(CancellationToken.None);
if (settings.Demo) await DemoData.LoadAsync(settings.DataDirectory, app.Services.GetRequiredService<MemberStore>(), CancellationToken.None);
if (faults is not null) faults.Armed = true;

app.Use(async (context, next) =>
{
    try { await next(context); }
    catch (Exception e) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
    {
        // Never a stack trace on the wire; the log has it. Storage that did not answer is a 503 the client may retry
        // (with the same settlement id: idempotent); anything else is a 500.
        app.Logger.LogError(e, "Unhandled error on {Path}", context.Request.Path);
        if (StorageUnavailable(e))
        {
            context.Response.Headers.RetryAfter = "2";
            await Gateway.Handler.Problems.Problems.Unavailable("Storage did not answer in time; retry with the same settlement id.").ToResult().ExecuteAsync(context);
        }
        else await Gateway.Handler.Problems.Problems.Internal().ToResult().ExecuteAsync(context);
    }
});

// Admission control: a hospital write is refused with 503 + Retry-After while the store is under pressure (issue 21).
var admission = app.Services.GetRequiredService<IntakeAdmission>();
app.Use((context, next) => admission.InvokeAsync(context, () => next(context)));

app.UseClearingIdentity();

// Forwarded HTTP functions (enableForwardingHttpRequest): the host passes the request at its own path.
// Health: up or down and nothing else (unauthenticated: load balancers and App Service's health check call it). Down when
// storage does not answer a probe (cached a few seconds, on a client of its own so it never counts as the app's work).
app.MapGet("/api/v1/health", async (HealthProbe probe, CancellationToken ct) =>
    await probe.IsUpAsync(ct) ? Results.Json(new { status = "up" }) : Results.Json(new { status = "down" }, statusCode: 503));
// Diagnostics for operators (a clearing-staff credential): the storage round-trips this instance has made (the load harness reads them).
app.MapGet("/api/v1/diagnostics", (GatewayStorage s, IntakeAdmission a) => Results.Json(new
    {
        storageRoundTrips = s.Counter.Count, storageRoundTripsByOperation = s.Counter.ByOperation,
        storageInFlight = s.Pressure.Read().InFlight, storageLatencyMilliseconds = Math.Round(s.Pressure.Read().LatencyMilliseconds, 1), intakeShed = a.Shed,
    }))
    .RequireAuthorization(ClearingPolicies.Read);
app.MapPost("/api/v1/settlements", (HttpRequest r, SubmitSettlementFunction f, CancellationToken ct) => f.HandleAsync(r, ct));
app.MapGet("/api/v1/settlements", (HttpRequest r, ListSettlementsFunction f, CancellationToken ct) => f.HandleAsync(r, ct));
ImportMembersFunction.Map(app);
Gateway.Handler.Filings.FilingsApi.Map(app); // online filing (秒备案): POST/GET /api/v1/filings and ApplyFilingReply
app.MapGet("/api/v1/openapi.json", () => Results.File(Path.Combine(AppContext.BaseDirectory, "openapi.json"), "application/json"));
app.MapGet("/api/v1/settlements/{id}", (HttpRequest r, string id, GetSettlementFunction f, CancellationToken ct) => f.HandleAsync(r, id, ct));
app.MapPost("/api/v1/settlements/{id}/cancel", (HttpRequest r, string id, CancelSettlementFunction f, CancellationToken ct) => f.HandleAsync(r, id, ct));
app.MapPost("/api/v1/reconciliations", (HttpRequest r, ReconcileFunction f, CancellationToken ct) => f.HandleAsync(r, ct));
ClearingApi.Map(app);
ClearingPages.Map(app);

// Invocation functions: POST /{FunctionName} with {"Data","Metadata"} → {"Outputs","Logs","ReturnValue"}.
app.MapPost("/EvaluateHome{region}", (HttpRequest r, string region, EvaluateHomeFunction f, DeadLetterRecorder d, CancellationToken ct) =>
    Invoke(r, "EvaluateHome" + region, d, app.Logger, (inv, c) => f.HandleAsync(region, inv, c), ct));
app.MapPost("/ApplyReply", (HttpRequest r, ApplyReplyFunction f, DeadLetterRecorder d, CancellationToken ct) =>
    Invoke(r, "ApplyReply", d, app.Logger, f.HandleAsync, ct));
app.MapPost("/NotifyHospital", (HttpRequest r, NotifyHospitalFunction f, DeadLetterRecorder d, CancellationToken ct) =>
    Invoke(r, "NotifyHospital", d, app.Logger, f.HandleAsync, ct));
app.MapPost("/SweepSettlements", (HttpRequest r, SweepSettlementsFunction f, CancellationToken ct) =>
    Invoke(r, "SweepSettlements", null, app.Logger, (_, c) => f.HandleAsync(c), ct));
app.MapPost("/ClosePeriod", (HttpRequest r, ClosePeriodFunction f, CancellationToken ct) =>
    Invoke(r, "ClosePeriod", null, app.Logger, (_, c) => f.HandleAsync(c), ct));

app.MapFallback((HttpContext c) => Gateway.Handler.Problems.Problems.NotFound($"No route {c.Request.Method} {c.Request.Path}.").ToResult());

app.Run();

// A failing invocation answers 500, so the host abandons the message (redelivered, then dead-lettered by the broker). The
// real host reads an invocation's Logs only after EnsureSuccessStatusCode, so a failure is written to the handler's own log
// (stdout, which the host collects) here; the 500's Logs repeat it, without internals, for the local host's console.
static async Task<IResult> Invoke(HttpRequest request, string function, DeadLetterRecorder? deadLetters, ILogger log,
    Func<InvocationRequest, CancellationToken, Task<InvocationResult>> handle, CancellationToken ct)
{
    InvocationRequest invocation;
    try
    {
        invocation = await InvocationRequest.ReadAsync(request, ct);
    }
    catch (Newtonsoft.Json.JsonException)
    {
        log.LogError("{Function}: the invocation payload is not JSON.", function);
        return Results.Text("{\"Outputs\":{},\"Logs\":[\"the invocation payload is not JSON\"]}", "application/json", System.Text.Encoding.UTF8, 400);
    }
    try
    {
        return (await handle(invocation, ct)).ToResult();
    }
    catch (Exception e) when (e is not OperationCanceledException)
    {
        log.LogError(e, "{Function} failed on delivery {Delivery} of message {MessageId}", function, invocation.DeliveryCount, invocation.MessageId);
        if (deadLetters is not null) await deadLetters.RecordIfLastAsync(function, invocation, e, ct);
        var failed = new InvocationResult();
        failed.Logs.Add($"{function} failed on delivery {invocation.DeliveryCount}: {FailureText.Describe(e)}");
        return Results.Text(Newtonsoft.Json.JsonConvert.SerializeObject(failed), "application/json", System.Text.Encoding.UTF8, 500);
    }
}

/// <summary>A storage request that timed out or got a server-side error (after the SDK's own retries).</summary>
static bool StorageUnavailable(Exception e) => e switch
{
    Azure.RequestFailedException r => r.Status is 0 or 408 or 500 or 502 or 503 or 504,
    AggregateException a => a.InnerExceptions.Count > 0 && a.InnerExceptions.All(StorageUnavailable),
    TaskCanceledException or TimeoutException => true,
    _ => false,
};

public partial class Program;
