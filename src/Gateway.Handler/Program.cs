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
// Polly logs every timeout and retry of an outbound call with its exception's stack trace (about 100 lines each: a
// hospital whose callback URL stops answering filled the console with them). What matters is reported by the gateway
// itself: a callback that fails every try fails its delivery, and the host dead-letters it after the last one.
builder.Logging.AddFilter("Polly", LogLevel.None);

// Typed options, validated at start (ValidateOnStart); read now too, for the choices made while registering.
HandlerOptions options;
try { options = HandlerOptionsSetup.Load(builder.Configuration); }
catch (Exception e) when (e is Microsoft.Extensions.Options.OptionsValidationException or InvalidOperationException)
{
    Console.Error.WriteLine($"The handler's settings are not valid: {e.Message}");
    return 1;
}
var settings = HandlerSettings.From(options);
var services = builder.Services;
services.AddHandlerOptions(builder.Configuration);
services.AddGatewayProblemDetails();
services.AddSingleton(TimeProvider.System);
var faults = options.FaultInjectionSeed is { } seed && options.FaultInjectionRate > 0 ? new FaultInjectionPolicy(seed, options.FaultInjectionRate) : null;
if (faults is not null) Console.Error.WriteLine($"FAULT INJECTION ON: seed {options.FaultInjectionSeed}, rate {options.FaultInjectionRate} per storage write");
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
services.AddCallbackSender(builder.Configuration);     // resilience handler (CallbackOptions), each try signed, SSRF-checked connections
services.AddNationalDirectory(builder.Configuration);  // resilience handler (NationalDirectoryOptions)
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
// The national platform's interface (POST /api/v1/national/{infno}): stays, their transactions, msgid idempotency.
services.AddSingleton<StayStore>();
// The registry's certificate index (1101): HMAC with each home region's secret, RegistryCertificateKey{region} (base64, from
// Key Vault in Azure); in demo mode a fixed demo key where none is set.
services.AddSingleton(sp => new MemberCertificates(sp.GetRequiredService<GatewayStorage>(), region =>
    builder.Configuration["RegistryCertificateKey" + region.Value] is { Length: > 0 } key ? Convert.FromBase64String(key)
    : settings.Demo ? MemberCertificates.DemoKey(region) : null));
services.AddSingleton<NationalMessageStore>();
services.AddSingleton<Gateway.Handler.National.StayTransactions>();
services.AddSingleton<Gateway.Handler.National.SettleTransactions>();
services.AddSingleton<Gateway.Handler.National.NationalQueries>();
services.AddSingleton<Gateway.Handler.National.NationalFunction>();
services.AddGatewayHealthChecks(settings); // liveness, readiness (storage and queues reachable)

var app = builder.Build();
var storage = app.Services.GetRequiredService<GatewayStorage>();
await storage.EnsureCreatedAsync();
await app.Services.GetRequiredService<ClaimCheck>().EnsureAsync(CancellationToken.None);
if (settings.Demo) await DemoData.LoadAsync(settings.DataDirectory, app.Services.GetRequiredService<MemberStore>(), CancellationToken.None);
if (faults is not null) faults.Armed = true;

app.UseExceptionHandler(); // GatewayExceptionHandler: 503 for storage that did not answer, else 500; never a stack trace

// Admission control: a hospital write is refused with 503 + Retry-After while the store is under pressure (issue 21).
var admission = app.Services.GetRequiredService<IntakeAdmission>();
app.Use((context, next) => admission.InvokeAsync(context, () => next(context)));

app.UseClearingIdentity();

app.MapHealth();                 // /api/v1/health (ready), /api/v1/health/live, /api/v1/diagnostics, /api/v1/openapi.json
app.MapHospitalSettlements();    // /api/v1/settlements…, /api/v1/reconciliations (signed by the hospital)
Gateway.Handler.Filings.FilingsApi.Map(app); // online filing (秒备案): POST/GET /api/v1/filings and ApplyFilingReply
app.MapNational();               // /api/v1/national/{infno} (the national platform's interface)
app.MapRegions();                // /api/v1/regions/{region}/members (a region's administrator)
ClearingApi.Map(app);            // /api/v1/clearing/… (policies per role)
ClearingPages.Map(app);          // /api/clearing/… (the staff pages)
app.MapInvocations();            // the queue and timer functions
app.MapNotFound();

app.Run();
return 0;

public partial class Program;
