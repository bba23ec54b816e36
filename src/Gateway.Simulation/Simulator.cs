namespace Gateway.Simulation;

/// <summary>What a run of many seeds found.</summary>
public sealed record SimSummary(int Seeds, int Settlements, int Violations, int Steps, int Faults, IReadOnlyList<SimResult> Failed);

/// <summary>
/// Runs seeds of <see cref="SimWorld"/>; on a violation, shrinks the run to a minimal trace: the faults injected are
/// suppressed one by one, keeping each suppression that still ends in a violation, so what is left is a trace with only
/// the faults that cause it (the seed's other choices stay as they were).
/// </summary>
public static class Simulator
{
    public static async Task<SimResult> RunAsync(int seed, SimOptions options, CancellationToken ct, HashSet<int>? suppressed = null)
    {
        // On a pool thread, outside any SynchronizationContext (a test runner's would take continuations off the scheduler's
        // thread): every continuation then runs inline where the scheduler resumes it, and the run is one interleaving.
        var world = new SimWorld(seed, options, suppressed ?? []);
        return await Task.Run(() => world.RunAsync(ct), ct).ConfigureAwait(false);
    }

    public static async Task<SimSummary> RunSeedsAsync(int first, int count, SimOptions options, CancellationToken ct, Action<SimResult>? each = null)
    {
        var failed = new List<SimResult>();
        int settlements = 0, violations = 0, steps = 0, faults = 0;
        for (var seed = first; seed < first + count; seed++)
        {
            ct.ThrowIfCancellationRequested();
            var r = await RunAsync(seed, options, ct).ConfigureAwait(false);
            settlements += r.Settlements;
            violations += r.Violations.Count;
            steps += r.Steps;
            faults += r.FaultsInjected;
            if (r.Violations.Count > 0) failed.Add(r);
            each?.Invoke(r);
        }
        return new SimSummary(count, settlements, violations, steps, faults, failed);
    }

    /// <summary>The same seed with as few of its faults as still give a violation.</summary>
    public static async Task<SimResult> ShrinkAsync(SimResult failing, SimOptions options, CancellationToken ct)
    {
        var suppressed = new HashSet<int>();
        var best = failing;
        for (var ordinal = 0; ordinal < failing.FaultsDrawn; ordinal++)
        {
            var attempt = new HashSet<int>(suppressed) { ordinal };
            var r = await RunAsync(failing.Seed, options, ct, attempt).ConfigureAwait(false);
            if (r.Violations.Count == 0 || r.FaultsInjected > best.FaultsInjected) continue;
            suppressed = attempt;
            best = r;
        }
        return best;
    }
}
