using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure.Data.Tables;
using Gateway.Contracts;
using Gateway.Handler.Hosting;
using Gateway.Handler.Lifecycle;
using Gateway.Handler.Reference;
using Gateway.Storage;
using Newtonsoft.Json.Linq;

namespace Gateway.Simulation;

/// <summary>How big one seed's world is, and what goes wrong in it.</summary>
public sealed record SimOptions
{
    public int Settlements { get; init; } = 8;
    public int Processes { get; init; } = 2;
    public int MaxSteps { get; init; } = 1500;
    public double FaultRate { get; init; } = 0.05;
    public PlantedBug Bugs { get; init; } = PlantedBug.None;
    /// <summary>Where data/ (catalogs) is; found from the working directory up when null.</summary>
    public string? DataDirectory { get; init; }
}

/// <summary>The outcome of one seed.</summary>
public sealed record SimResult(int Seed, int Settlements, IReadOnlyList<string> Violations, string Trace, int Steps, int FaultsInjected, int FaultsDrawn, int Nondeterminism)
{
    /// <summary>Submissions answered trace-code-reused (a code was held by another live settlement).</summary>
    public int TraceCodesReused { get; init; }

    public string TraceSha256 => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Trace)));
}

/// <summary>
/// One seed's world: hospitals of three treatment regions, members of the four seed regions, two processes of the Function
/// App (gateway and home evaluators), the broker and the storage, all in memory, driven by one <see cref="Scheduler"/> and one
/// <see cref="SimClock"/>. Hospitals submit, retry and cancel; messages are delivered in any order, duplicated, delayed and
/// lost; processes crash between any two operations and restart with nothing in memory; sweeps and period closes run at any
/// moment. After every step every invariant is checked (<see cref="Invariants"/>); at the end the world is drained without
/// faults and checked strictly.
/// </summary>
public sealed class SimWorld
{
    public static readonly DateTimeOffset Start = new(2026, 5, 31, 15, 40, 0, TimeSpan.Zero); // 23:40 in Beijing: a period ends during the run
    private const string Function = "Simulated";

    private readonly SimOptions _options;
    private readonly List<SimProcess> _processes = [];
    private readonly List<Planned> _planned = [];
    private readonly Dictionary<string, string> _callbacksSeen = new(StringComparer.Ordinal);
    private readonly List<string> _violations = [];
    private int _invocations, _nonces, _tokens;

    /// <summary>The next intake attempt's token (deterministic: the trace names hold rows by it).</summary>
    public int NextToken() => ++_tokens;
    private DateTimeOffset? _lastCleanSweep;

    public SimWorld(int seed, SimOptions options, HashSet<int>? suppressed = null)
    {
        _options = options;
        Seed = seed;
        Scheduler = new Scheduler(seed) { FaultRate = options.FaultRate, Suppressed = suppressed ?? [] };
        Clock = new SimClock(Start);
        Raw = InMemoryTables.Create(Clock);
        Tables = new SimTableService(Raw, Scheduler);
        if (options.Bugs.HasFlag(PlantedBug.SkipAccumulatorETag)) Tables.IgnoreETagsOn.Add(GatewayStorage.MembersTable);
        Queues = new SimQueues(Scheduler, Clock) { MaxDeliveryCount = Settings.MaxDeliveryCount };
        Bugs = options.Bugs;
        var data = options.DataDirectory ?? FindData();
        Catalogs = CatalogRegistry.Load(Path.Combine(data, "catalogs"));
        Regions = RulePackSet.Default.Regions.Union(Catalogs.All.Select(c => c.Region)).OrderBy(r => r.Value, StringComparer.Ordinal).ToList();
    }

    public int Seed { get; }
    public Scheduler Scheduler { get; }
    public SimClock Clock { get; }
    public TableServiceClient Raw { get; }
    public SimTableService Tables { get; }
    public SimQueues Queues { get; }
    public PlantedBug Bugs { get; }
    public CatalogRegistry Catalogs { get; }
    public IReadOnlyList<RegionCode> Regions { get; }
    public HandlerSettings Settings { get; } = new()
    {
        StorageConnection = "in-memory",
        DataDirectory = "",
        Transport = Gateway.Messaging.QueueTransport.StorageQueues,
        MaxDeliveryCount = 5,
        SettlementTimeout = TimeSpan.FromMinutes(10),
        RedispatchAfter = TimeSpan.FromSeconds(60),
    };
    public LifecyclePolicy Policy => new(Settings.RedispatchAfter, Settings.SettlementTimeout);

    public HospitalRegistry Hospitals { get; } = new(
    [
        new Hospital("H440300001", "Shenzhen People's Hospital", RegionCode.Parse("440300"), HospitalLevel.Level3, "k-H440300001") { CallbackHosts = ["his.example.cn"] },
        new Hospital("H350200001", "Xiamen First Hospital", RegionCode.Parse("350200"), HospitalLevel.Level2, "k-H350200001") { CallbackHosts = ["his.example.cn"] },
        new Hospital("H441900001", "Dongguan People's Hospital", RegionCode.Parse("441900"), HospitalLevel.Level3, "k-H441900001"),
    ], new Dictionary<string, string>());

    private static readonly MemberProfile[] Members =
    [
        Member("M511300001", "511300", InsuranceType.Resident, 0m),
        Member("M511300002", "511300", InsuranceType.Resident, 0m),
        Member("M440300001", "440300", InsuranceType.Employee, 3000m),
        Member("M350200001", "350200", InsuranceType.Employee, 1500m),
    ];

    private static MemberProfile Member(string id, string region, InsuranceType type, decimal account) =>
        new(id, RegionCode.Parse(region), type, false, new DateOnly(1980, 1, 1), 5, AssistanceCategory.None, false, [],
            [new Filing(RegionCode.Parse("440300"), new DateOnly(2026, 1, 1), null), new Filing(RegionCode.Parse("350200"), new DateOnly(2026, 1, 1), null),
             new Filing(RegionCode.Parse("441900"), new DateOnly(2026, 1, 1), null)], account, MemberStatus.Active);

    private sealed class Planned(int n, Hospital hospital, string memberId, RegionCode home)
    {
        public int N { get; } = n;
        public Hospital Hospital { get; } = hospital;
        public string MemberId { get; } = memberId;
        public RegionCode Home { get; } = home;
        public string Id => $"S{N:D2}";
        public string Key => Keys.SettlementKey(Hospital.Code, Id);
        public SettlementRecord? Record { get; set; }
        public (PricedEncounter, string)? Priced { get; set; }
        public bool Acknowledged { get; set; }
        public bool WantsCancel { get; set; }
        public bool CancelAcknowledged { get; set; }
        public bool InFlight { get; set; }
        /// <summary>Answered trace-code-reused: the hospital does not send it again.</summary>
        public bool Reused { get; set; }
    }

    public async Task<SimResult> RunAsync(CancellationToken ct)
    {
        await SetUpAsync(ct).ConfigureAwait(false);
        Scheduler.Armed = true;
        var steps = 0;
        long checkedAt = -1;
        DateTimeOffset? sweptAt = null;
        while (steps++ < _options.MaxSteps && !Finished())
        {
            await StepAsync(ct).ConfigureAwait(false);
            // After every step that changed storage (or ended a sweep): the invariants are a function of both.
            if (Tables.Writes == checkedAt && _lastCleanSweep == sweptAt) continue;
            (checkedAt, sweptAt) = (Tables.Writes, _lastCleanSweep);
            await CheckAsync(strict: false, ct).ConfigureAwait(false);
            if (_violations.Count > 0) break;
        }
        Scheduler.Armed = false;
        if (_violations.Count == 0) await DrainAsync(ct).ConfigureAwait(false);
        if (_violations.Count == 0) await CheckAsync(strict: true, ct).ConfigureAwait(false);
        return new SimResult(Seed, _planned.Count, _violations, Scheduler.Trace, Scheduler.Steps, Scheduler.Injected.Count, Scheduler.FaultsDrawn, Scheduler.Nondeterminism)
        {
            TraceCodesReused = _planned.Count(p => p.Reused),
        };
    }

    private async Task SetUpAsync(CancellationToken ct)
    {
        var storage = new GatewayStorage(Raw);
        await storage.EnsureCreatedAsync(ct).ConfigureAwait(false);
        var members = new MemberStore(storage);
        foreach (var m in Members) await members.UpsertProfileAsync(m, ct).ConfigureAwait(false);
        for (var i = 0; i < _options.Processes; i++)
        {
            var p = new SimProcess(((char)('A' + i)).ToString(), this);
            p.Start();
            _processes.Add(p);
        }
        var hospitals = Hospitals.All.OrderBy(h => h.Code, StringComparer.Ordinal).ToList();
        for (var n = 1; n <= _options.Settlements; n++)
        {
            var hospital = hospitals[Scheduler.Random.Next(hospitals.Count)];
            var candidates = Members.Where(m => m.HomeRegion != hospital.Region).ToList();
            // A few settlements name a member the home region does not know: they end rejected.
            var unknown = Scheduler.Random.Next(10) == 0;
            var member = candidates[Scheduler.Random.Next(candidates.Count)];
            _planned.Add(new Planned(n, hospital, unknown ? "M000000000" : member.MemberId, member.HomeRegion) { WantsCancel = Scheduler.Random.Next(3) == 0 });
        }
        Scheduler.Log($"seed {Seed}: {_planned.Count} settlements, {_processes.Count} processes, faults {_options.FaultRate:0.###}, bugs {Bugs}");
    }

    private bool Finished() =>
        _planned.All(p => p.Acknowledged && (!p.WantsCancel || p.CancelAcknowledged || p.Record?.Status != SettlementStatus.Completed))
        && Scheduler.ParkedOperations.Count == 0 && _processes.All(p => p.Busy is null);

    // ---- One step: the scheduler's choice ----

    private async Task StepAsync(CancellationToken ct)
    {
        var r = Scheduler.Random;
        var idle = _processes.Where(p => p.Busy is null).ToList();
        var options = new List<(double Weight, Func<Task> Do)>();
        var parked = Scheduler.ParkedOperations.OrderBy(p => p.Invocation.Id).ThenBy(p => p.Operation, StringComparer.Ordinal).ToList();
        if (parked.Count > 0) options.Add((8, () => ResumeAsync(parked[r.Next(parked.Count)])));
        if (idle.Count > 0)
        {
            var process = idle[r.Next(idle.Count)];
            var submit = _planned.Where(p => !p.Acknowledged && !p.InFlight).ToList();
            if (submit.Count > 0) options.Add((2, () => SubmitAsync(process, submit[r.Next(submit.Count)])));
            var visible = Queues.Visible();
            if (visible.Count > 0) options.Add((5, () => DeliverAsync(process, visible[r.Next(visible.Count)])));
            var cancels = _planned.Where(p => p is { WantsCancel: true, CancelAcknowledged: false, InFlight: false, Acknowledged: true }).ToList();
            if (cancels.Count > 0) options.Add((0.7, () => CancelAsync(process, cancels[r.Next(cancels.Count)])));
            options.Add((0.4, () => SweepAsync(process)));
            options.Add((0.1, () => CloseAsync(process)));
            if (r.Next(200) == 0) options.Add((0.2, () => { Restart(process, "restarted"); return Task.CompletedTask; }));
        }
        options.Add((1, () => { Advance(TimeSpan.FromSeconds(1 + r.Next(90))); return Task.CompletedTask; }));
        var total = options.Sum(o => o.Weight);
        var pick = r.NextDouble() * total;
        foreach (var (w, run) in options)
        {
            if ((pick -= w) > 0) continue;
            await run().ConfigureAwait(false);
            break;
        }
        Settle();
    }

    private void Advance(TimeSpan by)
    {
        Clock.Advance(by);
        Scheduler.Log($"t+{(Clock.GetUtcNow() - Start).TotalSeconds:0} advance {by.TotalSeconds:0}s");
    }

    private string T => $"t+{(Clock.GetUtcNow() - Start).TotalSeconds:0}";

    private Task ResumeAsync(Scheduler.Parked p)
    {
        var fault = Scheduler.DrawFault(p.Write, p.Operation);
        Scheduler.Log($"{T} {p.Invocation.Process.Name}#{p.Invocation.Id} {p.Operation}{(fault == Fault.None ? "" : " !" + fault)}");
        Scheduler.Resume(p, fault);
        return Task.CompletedTask;
    }

    private readonly Dictionary<Invocation, Action<Exception?>> _onDone = [];

    private void Begin(SimProcess process, string what, Func<Task> body, Action<Exception?> done)
    {
        var invocation = Scheduler.Start(process, what, body, ++_invocations);
        Scheduler.Log($"{T} {process.Name}#{invocation.Id} start {what}");
        _onDone[invocation] = done;
    }

    /// <summary>Finishes every invocation that ran to its end (and restarts the process of one that crashed).</summary>
    private void Settle()
    {
        foreach (var process in _processes)
        {
            if (process.Busy is not { Task.IsCompleted: true } invocation) continue;
            process.Busy = null;
            // A cancelled invocation is a crashed one: a ProcessCrash (an OperationCanceledException) is the run's only cancellation.
            var error = invocation.Task.Exception?.GetBaseException() ?? (invocation.Task.IsCanceled ? new ProcessCrash("(the invocation was cancelled)") : null);
            Scheduler.Log($"{T} {process.Name}#{invocation.Id} end {(error is null ? "ok" : Describe(error))}");
            if (_onDone.Remove(invocation, out var done)) done(error);
            if (error is ProcessCrash) Restart(process, "crashed");
        }
    }

    private static string Describe(Exception e) => e switch
    {
        ProcessCrash c => "crash " + c.Message,
        Azure.RequestFailedException r => $"storage {r.Status}",
        _ => e.GetType().Name,
    };

    private void Restart(SimProcess process, string why)
    {
        Scheduler.Abandon(process);
        if (process.Busy is { } orphan && _onDone.Remove(orphan, out var done)) done(new ProcessCrash(why));
        process.Start();
        Scheduler.Log($"{T} {process.Name} {why}: restarted with nothing in memory");
    }

    // ---- Hospitals ----

    private Task SubmitAsync(SimProcess process, Planned p)
    {
        p.InFlight = true;
        // The hospital sends the same body every time; the gateway stamps each request with its own time.
        var record = Build(p);
        var nonce = new NonceUse(p.Hospital.KeyId, $"n{++_nonces:D5}", Clock.GetUtcNow());
        IntakeOutcome? answer = null;
        Begin(process, $"submit {p.Key}", async () => answer = await process.Intake.RecordAsync(record, nonce, CancellationToken.None).ConfigureAwait(false), error =>
        {
            p.InFlight = false;
            if (error is not null) return; // the hospital saw a failure (5xx / no answer): it retries the same body under a new nonce
            var (result, stored) = answer!;
            if (result is IntakeResult.Created or IntakeResult.Existing) p.Acknowledged = true;
            else if (result is IntakeResult.TraceCodeReused)
            {
                p.Acknowledged = p.Reused = true; // a 422: the hospital corrects the bill instead
                p.WantsCancel = false;
            }
            else Violation($"submit of {p.Key} answered {result} although the hospital sent this body once per nonce");
            _ = stored;
        });
        return Task.CompletedTask;
    }

    private SettlementRecord Build(Planned p)
    {
        var (priced, bodyHash) = p.Priced ??= Price(p);
        var now = Clock.GetUtcNow();
        var message = new EvaluationRequestMessage
        {
            Kind = EvaluationRequestMessage.Evaluate,
            CorrelationId = p.Key,
            SettlementId = p.Key,
            HospitalCode = p.Hospital.Code,
            HomeRegion = p.Home.Value,
            TreatmentRegion = p.Hospital.Region.Value,
            MemberId = p.MemberId,
            Encounter = PricedEncounterDto.From(priced),
            SentAt = now,
        };
        return new SettlementRecord
        {
            HospitalCode = p.Hospital.Code,
            HospitalSettlementId = p.Id,
            Status = SettlementStatus.Pending,
            RequestHash = bodyHash,
            HomeRegion = p.Home.Value,
            TreatmentRegion = p.Hospital.Region.Value,
            MemberId = p.MemberId,
            ServiceDate = priced.Encounter.ServiceDate,
            SubmittedAt = now,
            RequestMessage = GatewayJson.Serialize(message),
            CallbackUrl = p.Hospital.CallbackHosts.Count > 0 ? $"https://{p.Hospital.CallbackHosts[0]}/settlements" : null,
            Total = priced.Total,
            TraceCodes = TraceCodes.Of(priced.Encounter),
        };
    }

    /// <summary>The hospital's encounter, priced, and the hash of "its body" (the same on every retry).</summary>
    private (PricedEncounter, string) Price(Planned p)
    {
        var catalog = Catalogs.For(p.Hospital.Region, new DateOnly(2026, 5, 20))!;
        var items = catalog.Items.Select(i => i.Key).Order(StringComparer.Ordinal).ToList();
        var r = Scheduler.Random;
        var lines = Enumerable.Range(1, 1 + r.Next(3)).Select(i =>
        {
            var qty = 1 + r.Next(3);
            var price = Math.Round((decimal)(50 + r.Next(4000)) + 0.5m * r.Next(2), 2);
            return new EncounterLine(i, items[r.Next(items.Count)], null, qty, price, qty * price);
        }).ToList();
        // Half the bills carry a drug line with traceability codes drawn from a small pool, so settlements race for codes
        // (and a code released by a cancel, rejection or failure is taken by a later one).
        var drugs = catalog.Items.Where(i => i.Value.Category == ItemCategory.Drug).Select(i => i.Key).Order(StringComparer.Ordinal).ToList();
        if (drugs.Count > 0 && r.Next(2) == 0)
        {
            var first = r.Next(TraceCodePool);
            var qty = 1 + r.Next(2);
            var codes = Enumerable.Range(0, qty).Select(k => TraceCode((first + k) % TraceCodePool)).ToList();
            lines.Add(new EncounterLine(lines.Count + 1, drugs[r.Next(drugs.Count)], null, qty, 20m, qty * 20m) { TraceCodes = codes });
        }
        var encounter = new Encounter(p.Hospital.Code, p.Hospital.Region, p.Hospital.Level, EncounterType.Inpatient, new DateOnly(2026, 5, 10), new DateOnly(2026, 5, 20),
            ["I21.9"], null, false, p.Home.Value == "440300", null, lines);
        var priced = SettlementEngine.Price(catalog, encounter);
        var body = GatewayJson.Serialize(PricedEncounterDto.From(priced)) + "|" + p.MemberId + "|" + p.Home.Value + "|" + string.Join(',', TraceCodes.Of(encounter));
        return (priced, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body))));
    }

    private const int TraceCodePool = 6;

    private static string TraceCode(int n) => $"8{n:D19}";

    private Task CancelAsync(SimProcess process, Planned p)
    {
        p.InFlight = true;
        TransitionOutcome? outcome = null;
        Begin(process, $"cancel {p.Key}", async () => outcome = await process.Transitions.ApplyAsync(p.Hospital.Code, p.Id, new LifecycleEvent.CancelRequested("simulated"), CancellationToken.None).ConfigureAwait(false),
            error =>
            {
                p.InFlight = false;
                if (error is not null || outcome is null) return;
                p.Record = outcome.Record;
                // Refused (still pending, rejected, failed): the hospital stops asking; accepted: it waits for the callback.
                p.CancelAcknowledged = true;
            });
        return Task.CompletedTask;
    }

    // ---- Queues ----

    private Task DeliverAsync(SimProcess process, SimMessage m)
    {
        Queues.Lock(m);
        if (m.Queue == Gateway.Handler.Intake.Dispatcher.CallbackQueue)
        {
            // The hospital's endpoint: it fails now and then (the message is redelivered), and records what it was told.
            var fails = Scheduler.Armed && Scheduler.Random.Next(4) == 0;
            Scheduler.Log($"{T} hospital callback {m.MessageId} (d{m.DeliveryCount}) {(fails ? "endpoint down" : "ok")}");
            if (fails) { Queues.Abandon(m, TimeSpan.FromSeconds(5)); return Task.CompletedTask; }
            var callback = GatewayJson.Deserialize<Gateway.Handler.Replies.CallbackMessage>(m.Body);
            _callbacksSeen[callback.SettlementId] = (string)JObject.Parse(callback.Body)["status"]!;
            Queues.Complete(m);
            return Task.CompletedTask;
        }
        var request = Gateway.Handler.Hosting.InvocationRequest.Parse(new JObject
        {
            ["Data"] = new JObject { ["msg"] = Newtonsoft.Json.JsonConvert.SerializeObject(m.Body) },
            ["Metadata"] = new JObject { ["DeliveryCount"] = m.DeliveryCount.ToString(CultureInfo.InvariantCulture), ["MessageId"] = Newtonsoft.Json.JsonConvert.SerializeObject(m.MessageId) },
        }.ToString());
        InvocationResult? result = null;
        var (function, run) = m.Queue == "eval-replies"
            ? ("ApplyReply", (Func<Task<InvocationResult>>)(() => process.ApplyReply.HandleAsync(request, CancellationToken.None)))
            : ("EvaluateHome" + m.Queue["eval-requests-".Length..], () => process.EvaluateHome.HandleAsync(m.Queue["eval-requests-".Length..], request, CancellationToken.None));
        Begin(process, $"deliver {m.Queue} {m.MessageId} (d{m.DeliveryCount})", async () =>
        {
            try
            {
                result = await run().ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                await process.DeadLetters.RecordIfLastAsync(function, request, e, CancellationToken.None).ConfigureAwait(false);
                throw;
            }
        }, error =>
        {
            if (error is not null)
            {
                // A failed delivery is abandoned (visible again soon); a crashed one when its lock expires; both dead-letter after the last.
                Queues.Abandon(m, error is ProcessCrash ? TimeSpan.FromSeconds(30) : TimeSpan.FromSeconds(1));
                return;
            }
            foreach (var (binding, value) in result!.Outputs)
            {
                var queue = binding == "reply" ? "eval-replies" : Gateway.Handler.Intake.Dispatcher.CallbackQueue;
                if (binding == "reply" && Scheduler.Armed && Scheduler.Random.Next(40) == 0)
                {
                    Scheduler.Log($"{T} reply of {m.MessageId} lost");
                    continue;
                }
                Queues.Enqueue(queue, (string)value!, $"{m.MessageId}:{binding}");
            }
            if (Scheduler.Armed && Scheduler.Random.Next(20) == 0)
            {
                Scheduler.Log($"{T} completion of {m.MessageId} lost: delivered again later");
                Queues.Redeliver(m, TimeSpan.FromSeconds(20));
            }
            else Queues.Complete(m);
        });
        return Task.CompletedTask;
    }

    // ---- Timers ----

    private Task SweepAsync(SimProcess process)
    {
        var started = Clock.GetUtcNow();
        Gateway.Handler.Replies.SweepReport? report = null;
        Begin(process, "sweep", async () => report = await process.Sweep.SweepAsync(CancellationToken.None).ConfigureAwait(false), error =>
        {
            // A clean sweep ran to its end with every piece of owed work done (an item that met an error waits for the next one).
            if (error is null && report is { Errors: 0 } && (_lastCleanSweep is null || started > _lastCleanSweep)) _lastCleanSweep = started;
        });
        return Task.CompletedTask;
    }

    private Task CloseAsync(SimProcess process)
    {
        Begin(process, "close period", () => process.ClosePeriod.HandleAsync(CancellationToken.None), _ => { });
        return Task.CompletedTask;
    }

    // ---- The end: no more faults, everything delivered, swept until nothing is owed ----

    private async Task DrainAsync(CancellationToken ct)
    {
        Scheduler.Log($"{T} drain");
        for (var i = 0; i < 3000; i++)
        {
            var parked = Scheduler.ParkedOperations.OrderBy(p => p.Invocation.Id).ToList();
            if (parked.Count > 0)
            {
                await ResumeAsync(parked[0]).ConfigureAwait(false);
                Settle();
                continue;
            }
            var process = _processes.FirstOrDefault(p => p.Busy is null);
            if (process is null)
            {
                Violation("an invocation is neither running nor parked at a storage operation (a continuation left the scheduler)");
                return;
            }
            var visible = Queues.Visible().OrderBy(m => m.Sequence).ToList();
            if (visible.Count > 0)
            {
                await DeliverAsync(process, visible[0]).ConfigureAwait(false);
                Settle();
                continue;
            }
            var unsent = _planned.FirstOrDefault(p => !p.Acknowledged && !p.InFlight);
            if (unsent is not null)
            {
                await SubmitAsync(process, unsent).ConfigureAwait(false);
                Settle();
                continue;
            }
            if (!await OwesWorkAsync(ct).ConfigureAwait(false) && Queues.All.Count == 0) return;
            Advance(Queues.NextVisibleAt() is { } next && next > Clock.GetUtcNow() ? next - Clock.GetUtcNow() : Settings.RedispatchAfter);
            await SweepAsync(process).ConfigureAwait(false);
            Settle();
        }
        Violation($"the world did not quiesce: still owed after the drain: {string.Join(", ", await OwedAsync(ct).ConfigureAwait(false))}; {Queues.All.Count} message(s) queued");
    }

    private async Task<bool> OwesWorkAsync(CancellationToken ct) => (await OwedAsync(ct).ConfigureAwait(false)).Count > 0;

    private async Task<List<string>> OwedAsync(CancellationToken ct)
    {
        var owed = new List<string>();
        var table = Raw.GetTableClient(GatewayStorage.SettlementsTable);
        await foreach (var e in table.QueryAsync<TableEntity>($"RowKey ge '{SettlementStore.PostPrefix}' and RowKey lt '{SettlementStore.WaitPrefix}~'", select: ["PartitionKey", "RowKey"], cancellationToken: ct).ConfigureAwait(false))
        {
            if (e.RowKey != SettlementStore.WaitBackfilled) owed.Add($"{e.PartitionKey}/{e.RowKey}");
        }
        return owed;
    }

    // ---- Invariants ----

    private void Violation(string what)
    {
        _violations.Add(what);
        Scheduler.Log($"{T} VIOLATION {what}");
    }

    private async Task CheckAsync(bool strict, CancellationToken ct)
    {
        foreach (var v in await Invariants.CheckAsync(new GatewayStorage(Raw), Regions, Clock.GetUtcNow(), Policy, _lastCleanSweep, strict, ct).ConfigureAwait(false))
            Violation(v);
        if (!strict) return;
        foreach (var p in _planned.Where(p => !p.Acknowledged)) Violation($"{p.Key} was never recorded");
    }

    private static string FindData()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "data", "hospitals.json"))) return Path.Combine(dir.FullName, "data");
            }
        }
        throw new DirectoryNotFoundException("data/ (catalogs) not found above the working directory; pass --data.");
    }
}
