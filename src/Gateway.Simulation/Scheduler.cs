using System.Text;

namespace Gateway.Simulation;

/// <summary>The simulated clock: time moves only when the scheduler says so.</summary>
public sealed class SimClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

/// <summary>What happens to one storage operation or queue send when the scheduler lets it run.</summary>
public enum Fault
{
    None,
    /// <summary>The process dies before the operation reaches storage.</summary>
    CrashBefore,
    /// <summary>The operation commits, then the process dies before it learns so.</summary>
    CrashAfter,
    /// <summary>The operation times out without reaching storage (a 408 after the SDK's retries).</summary>
    TimeoutBefore,
    /// <summary>The operation commits, but its answer is lost: the caller sees a timeout.</summary>
    TimeoutAfter,
    /// <summary>The operation commits, its answer is lost, and the SDK sends it again: the caller sees the second answer.</summary>
    RetriedAfterCommit,
}

/// <summary>
/// A simulated process died at this point. An <see cref="OperationCanceledException"/>, so that no handler code catches it
/// as a business failure (they let cancellations through): it unwinds the whole invocation, like a process that is gone.
/// </summary>
public sealed class ProcessCrash(string where) : OperationCanceledException($"simulated crash {where}");

/// <summary>One function invocation (or hospital request) running on a simulated process.</summary>
public sealed class Invocation(int id, SimProcess process, string what)
{
    public int Id { get; } = id;
    public SimProcess Process { get; } = process;
    public string What { get; } = what;
    public Task Task { get; set; } = Task.CompletedTask;
    /// <summary>Bumped at every restart of its process: an invocation of an earlier incarnation is dead.</summary>
    public int Incarnation { get; } = process.Incarnation;
    public bool Dead => Incarnation != Process.Incarnation;
}

/// <summary>
/// The deterministic scheduler. Every storage operation and every queue send of every invocation is a yield point: the
/// invocation parks there, and the scheduler, drawing from one seeded <see cref="Random"/>, picks which parked operation runs
/// next (and with which <see cref="Fault"/>), or starts a new invocation on an idle process. Parked operations complete
/// synchronously on the scheduler's thread (continuations inline), so one seed gives one interleaving, byte for byte.
/// Each process runs one invocation at a time; invocations of different processes interleave at every operation.
/// </summary>
public sealed class Scheduler(int seed)
{
    private static readonly AsyncLocal<Invocation?> CurrentInvocation = new();
    private readonly List<Parked> _parked = [];
    private readonly StringBuilder _trace = new();
    private int _thread = Environment.CurrentManagedThreadId;

    public Random Random { get; } = new(seed);
    public int Steps { get; private set; }
    public int Nondeterminism { get; private set; }

    /// <summary>Faults are drawn only while armed (not during set-up or the final drain).</summary>
    public bool Armed { get; set; }
    public double FaultRate { get; set; } = 0.06;
    /// <summary>Fault draws suppressed by the shrinker (by ordinal of the draw that chose a fault).</summary>
    public HashSet<int> Suppressed { get; init; } = [];
    public int FaultsDrawn { get; private set; }
    public List<(int Ordinal, string Line)> Injected { get; } = [];

    public sealed record Parked(Invocation Invocation, string Operation, bool Write, TaskCompletionSource<Fault> Resume);

    public IReadOnlyList<Parked> ParkedOperations => _parked;

    public string Trace => _trace.ToString();

    public void Log(string line)
    {
        Steps++;
        _trace.Append(Steps).Append(' ').AppendLine(line);
    }

    /// <summary>Called by the decorated storage and queues before an operation: parks the calling invocation.</summary>
    public Task<Fault> YieldAsync(string operation, bool write)
    {
        var invocation = CurrentInvocation.Value;
        if (invocation is null) return Task.FromResult(Fault.None); // set-up and the observer run without yielding
        if (invocation.Dead) throw new ProcessCrash($"(process {invocation.Process.Name} is gone)");
        if (Environment.CurrentManagedThreadId != _thread) Nondeterminism++;
        var resume = new TaskCompletionSource<Fault>();
        _parked.Add(new Parked(invocation, operation, write, resume));
        return resume.Task;
    }

    /// <summary>Starts an invocation; it runs synchronously until its first yield point (or to its end).</summary>
    public Invocation Start(SimProcess process, string what, Func<Task> body, int id)
    {
        _thread = Environment.CurrentManagedThreadId;
        var invocation = new Invocation(id, process, what);
        process.Busy = invocation;
        invocation.Task = RunAsync(invocation, body);
        return invocation;
    }

    private static async Task RunAsync(Invocation invocation, Func<Task> body)
    {
        CurrentInvocation.Value = invocation;
        await body().ConfigureAwait(false);
    }

    /// <summary>Resumes one parked operation with the fault drawn for it.</summary>
    public void Resume(Parked p, Fault fault)
    {
        _parked.Remove(p);
        p.Resume.SetResult(fault);
    }

    /// <summary>Drops the parked operations of a process that died (their invocations never continue).</summary>
    public void Abandon(SimProcess process) => _parked.RemoveAll(p => p.Invocation.Process == process);

    /// <summary>Draws the fault for one operation (armed only); a draw the shrinker suppressed gives none.</summary>
    public Fault DrawFault(bool write, string operation)
    {
        if (!Armed) return Fault.None;
        if (Random.NextDouble() >= FaultRate) return Fault.None;
        var f = write
            ? (Fault)(1 + Random.Next(5))
            : Random.Next(2) == 0 ? Fault.CrashBefore : Fault.TimeoutBefore;
        var ordinal = FaultsDrawn++;
        if (Suppressed.Contains(ordinal)) return Fault.None;
        Injected.Add((ordinal, $"{f} at {operation}"));
        return f;
    }
}
