using Azure.Storage.Blobs;
using Gateway.Handler.Home;
using Gateway.Handler.Hosting;
using Gateway.Handler.Intake;
using Gateway.Handler.Lifecycle;
using Gateway.Handler.Reference;
using Gateway.Handler.Replies;
using Gateway.Messaging;
using Gateway.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Simulation;

/// <summary>Bugs the planted-bug tests put into a run, to show the simulator finds what each invariant guards against.</summary>
[Flags]
public enum PlantedBug
{
    None = 0,
    /// <summary>A late <c>completed</c> reply completes a failed settlement (failed is no longer final).</summary>
    ReviveFailedOnLateReply = 1,
    /// <summary>The journal is posted before the transition is stored.</summary>
    PostBeforeTransition = 2,
    /// <summary>The home region's accumulator commit skips its ETag.</summary>
    SkipAccumulatorETag = 4,
    /// <summary>Failing a settlement owes (and sends) no void.</summary>
    ForgetVoid = 8,
    /// <summary>Completing a settlement owes no posting (the sweep cannot repair a lost one).</summary>
    SkipPostingDebt = 16,
    /// <summary>Leaving live (rejected, failed, cancelled) releases no traceability codes and owes no release.</summary>
    ForgetRelease = 32,
}

/// <summary>
/// One simulated process of the Function App: the gateway's functions and the home regions' evaluators, over the shared
/// storage and broker, with the caches a real process has (the settlement store's recent records, the ledger's period
/// state, the signals). A restart loses them all: every object is built again.
/// </summary>
public sealed class SimProcess(string name, SimWorld world)
{
    public string Name { get; } = name;
    public int Incarnation { get; private set; }
    public Invocation? Busy { get; set; }

    public SettlementStore Settlements { get; private set; } = null!;
    public SettlementTransitions Transitions { get; private set; } = null!;
    public SettlementIntake Intake { get; private set; } = null!;
    public ApplyReplyFunction ApplyReply { get; private set; } = null!;
    public EvaluateHomeFunction EvaluateHome { get; private set; } = null!;
    public SweepSettlementsFunction Sweep { get; private set; } = null!;
    public ClosePeriodFunction ClosePeriod { get; private set; } = null!;
    public DeadLetterRecorder DeadLetters { get; private set; } = null!;
    public Dispatcher Dispatcher { get; private set; } = null!;

    /// <summary>(Re)starts the process: a new incarnation with nothing in memory.</summary>
    public void Start()
    {
        Incarnation++;
        Busy = null;
        var storage = new GatewayStorage(world.Tables);
        var clock = world.Clock;
        var claims = new ClaimCheck(new BlobContainerClient(new Uri("http://127.0.0.1:9/devstoreaccount1/message-claims")), clock: clock);
        Settlements = new SettlementStore(storage, clock);
        var members = new MemberStore(storage);
        var ledger = new LedgerStore(storage, world.Regions, clock);
        var postings = new SettlementPostings(ledger, storage);
        var signals = new SettlementSignals();
        Dispatcher = new Dispatcher(world.Queues, claims, NullLogger<Dispatcher>.Instance);
        var codes = new TraceCodeStore(storage);
        Transitions = new SettlementTransitions(Settlements, postings, Dispatcher, signals, claims, world.Policy, clock, NullLogger<SettlementTransitions>.Instance, codes)
        {
            Decide = Planted(world.Bugs),
            PlantPostBeforeTransition = world.Bugs.HasFlag(PlantedBug.PostBeforeTransition),
        };
        Intake = new SettlementIntake(Settlements, Transitions, clock, codes) { NewToken = () => $"a{world.NextToken():D5}" };
        ApplyReply = new ApplyReplyFunction(Transitions, claims);
        var directory = NationalDirectory.Off();
        EvaluateHome = new EvaluateHomeFunction(members, RulePackSet.Default, directory, claims, clock, NullLogger<EvaluateHomeFunction>.Instance);
        Sweep = new SweepSettlementsFunction(Settlements, Transitions, clock, world.Hospitals, Dispatcher, RulePackSet.Default, NullLogger<SweepSettlementsFunction>.Instance, Intake);
        ClosePeriod = new ClosePeriodFunction(ledger, clock);
        DeadLetters = new DeadLetterRecorder(Transitions, world.Settings, Dispatcher, claims, NullLogger<DeadLetterRecorder>.Instance);
    }

    private static Func<SettlementState, LifecycleEvent, DateTimeOffset, LifecyclePolicy, Decision> Planted(PlantedBug bugs) => (s, e, now, policy) =>
    {
        if (bugs.HasFlag(PlantedBug.ReviveFailedOnLateReply) && s.Status == SettlementStatus.Failed && e is LifecycleEvent.Evaluated)
            return SettlementLifecycle.Decide(s with { Status = SettlementStatus.Pending }, e, now, policy);
        var d = SettlementLifecycle.Decide(s, e, now, policy);
        if (bugs.HasFlag(PlantedBug.ForgetVoid))
            d = d with { WithTransition = d.WithTransition.Where(w => w is not Work.OweVoid).ToList(), After = d.After.Where(w => w is not (Work.SendVoid or Work.OweVoid)).ToList() };
        if (bugs.HasFlag(PlantedBug.ForgetRelease))
            d = d with { WithTransition = d.WithTransition.Where(w => w is not Work.OweRelease).ToList(), After = d.After.Where(w => w is not (Work.ReleaseCodes or Work.DiscardRelease)).ToList() };
        if (bugs.HasFlag(PlantedBug.SkipPostingDebt))
            d = d with { WithTransition = d.WithTransition.Where(w => w is not Work.OwePosting).ToList() };
        return d;
    };
}
