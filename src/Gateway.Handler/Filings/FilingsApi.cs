using Gateway.Contracts;
using Gateway.Domain;
using Gateway.Handler.Hosting;
using Gateway.Handler.Security;
using Gateway.Messaging;
using Gateway.Storage;

namespace Gateway.Handler.Filings;

/// <summary>
/// Online filing (秒备案, spec §9.5), wired in one place so Program.cs needs one line: <c>POST /api/v1/filings</c> (function
/// SubmitFiling), <c>GET /api/v1/filings/{id}</c> (GetFiling) and the invocation route of ApplyFilingReply (queue
/// filing-replies). The home side (the filing request on <c>eval-requests-{home}</c>) is <see cref="HomeFilingEvaluator"/>,
/// run by EvaluateHome{region}.
/// </summary>
public static class FilingsApi
{
    public static void Map(WebApplication app)
    {
        var sp = app.Services;
        var storage = sp.GetRequiredService<GatewayStorage>();
        var clock = sp.GetRequiredService<TimeProvider>();
        var filings = new FilingStore(storage);
        var signals = new FilingSignals();
        var dispatcher = new FilingDispatcher(sp.GetRequiredService<IMessageSender>(), sp.GetRequiredService<ClaimCheck>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<FilingDispatcher>());
        var intake = new FilingIntake(sp.GetRequiredService<HospitalAuthenticator>(), sp.GetRequiredService<RulePackSet>(), filings, dispatcher, signals,
            sp.GetRequiredService<HandlerSettings>(), clock);
        var replies = new ApplyFilingReplyFunction(filings, signals, sp.GetRequiredService<ClaimCheck>(), clock);
        var log = sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(FilingsApi));

        app.MapPost("/api/v1/filings", (HttpRequest r, CancellationToken ct) => intake.SubmitAsync(r, ct));
        app.MapGet("/api/v1/filings/{id}", (HttpRequest r, string id, CancellationToken ct) => intake.GetAsync(r, id, ct));
        app.MapPost("/" + ApplyFilingReplyFunction.Name, (HttpRequest r, CancellationToken ct) =>
            InvocationEndpoint.RunAsync(r, ApplyFilingReplyFunction.Name, null, log, replies.HandleAsync, ct));
    }
}

/// <summary>
/// Puts a filing request on its home region's queue (<c>eval-requests-{home}</c>, where evaluations go): <c>MessageId</c>
/// <c>{filingId}:file</c>, <c>Subject</c> and property <c>kind</c> = <c>file</c>. A failed send is not lost: the filing stays
/// pending and is sent again by the hospital's next poll or retry.
/// </summary>
public sealed class FilingDispatcher(IMessageSender sender, ClaimCheck claims, ILogger<FilingDispatcher> log)
{
    public async Task<bool> DispatchAsync(FilingRecord filing, CancellationToken ct)
    {
        var outgoing = new OutgoingMessage(await claims.WrapAsync(filing.RequestMessage, ct).ConfigureAwait(false), filing.FilingId + ":" + FilingRequestMessage.FileKind,
            FilingRequestMessage.FileKind, new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["schemaVersion"] = FilingRequestMessage.CurrentSchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["kind"] = FilingRequestMessage.FileKind,
                ["filingId"] = filing.FilingId,
                ["homeRegion"] = filing.HomeRegion,
                ["treatmentRegion"] = filing.TreatmentRegion,
            });
        try
        {
            await sender.SendAsync(Intake.Dispatcher.QueueFor(filing.HomeRegion), outgoing, ct).ConfigureAwait(false);
            return true;
        }
        catch (MessageRejectedException e)
        {
            log.LogError("Dispatch of filing {Filing} refused: {Error}", filing.FilingId, e.Message);
        }
        catch (Exception e) when (e is Azure.RequestFailedException or Azure.Messaging.ServiceBus.ServiceBusException or HttpRequestException or TimeoutException
                                      or TaskCanceledException && !ct.IsCancellationRequested)
        {
            log.LogWarning("Dispatch of filing {Filing} failed ({Error}); the next poll sends it again.", filing.FilingId, e.GetType().Name);
        }
        return false;
    }
}

/// <summary>Wakes a request waiting (Prefer: wait) for a filing when this process records the home region's answer.</summary>
public sealed class FilingSignals
{
    private readonly object _gate = new();
    private readonly Dictionary<string, TaskCompletionSource<FilingRecord>> _slots = new(StringComparer.Ordinal);

    /// <summary>A task that completes with the record when <see cref="Signal"/> is called for the filing (taken before the dispatch).</summary>
    public Task<FilingRecord> Listen(string filingId)
    {
        lock (_gate)
        {
            if (!_slots.TryGetValue(filingId, out var slot) || slot.Task.IsCompleted)
                _slots[filingId] = slot = new TaskCompletionSource<FilingRecord>(TaskCreationOptions.RunContinuationsAsynchronously);
            return slot.Task;
        }
    }

    /// <summary>Stops listening (the wait ended without a signal): the slot goes, so unanswered filings leave nothing behind.</summary>
    public void Forget(string filingId, Task<FilingRecord> listening)
    {
        lock (_gate)
        {
            if (_slots.TryGetValue(filingId, out var slot) && slot.Task == listening && !slot.Task.IsCompleted) _slots.Remove(filingId);
        }
    }

    public void Signal(FilingRecord record)
    {
        TaskCompletionSource<FilingRecord>? slot;
        lock (_gate) _slots.Remove(record.FilingId, out slot);
        slot?.TrySetResult(record);
    }
}
