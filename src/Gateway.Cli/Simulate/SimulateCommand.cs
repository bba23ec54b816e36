using System.CommandLine;
using System.Globalization;
using Gateway.Simulation;

namespace Gateway.Cli.Simulate;

/// <summary>
/// <c>gateway simulate</c>: the whole pipeline (hospitals, the gateway, the home regions) in one process over in-memory
/// storage and queues, driven by a seeded scheduler and a simulated clock, with crashes, timeouts, duplicated, reordered,
/// delayed and lost messages, sweeps and period closes at any moment; every invariant checked after every step.
/// </summary>
public static class SimulateCommand
{
    public static Command Create()
    {
        var seeds = new Option<int>("--seeds") { Description = "How many seeds to run (from --first); prints 'N seeds, M settlements, V violations' last.", DefaultValueFactory = _ => 100 };
        var first = new Option<int>("--first") { Description = "The first seed of a --seeds run.", DefaultValueFactory = _ => 1 };
        var seed = new Option<int?>("--seed") { Description = "Run this one seed." };
        var trace = new Option<bool>("--trace") { Description = "With --seed: print the run's trace, then 'trace sha256 <hex>' (the same seed gives the same trace, byte for byte)." };
        var settlements = new Option<int>("--settlements") { Description = "Settlements per seed.", DefaultValueFactory = _ => 8 };
        var faults = new Option<double>("--fault-rate") { Description = "Probability of a fault at each storage operation or send.", DefaultValueFactory = _ => 0.05 };
        var bug = new Option<PlantedBug>("--plant") { Description = "Plant a bug (to see the simulator find it): " + string.Join(", ", Enum.GetNames<PlantedBug>().Skip(1)), DefaultValueFactory = _ => PlantedBug.None };
        var data = new Option<string?>("--data") { Description = "The data/ folder (catalogs); found above the working directory by default." };
        var command = new Command("simulate", "Seeded simulation of the whole settlement pipeline under faults, checking every invariant after every step.")
            { seeds, first, seed, trace, settlements, faults, bug, data };
        command.SetAction(async (parse, ct) =>
        {
            var options = new SimOptions
            {
                Settlements = parse.GetValue(settlements),
                FaultRate = parse.GetValue(faults),
                Bugs = parse.GetValue(bug),
                DataDirectory = parse.GetValue(data),
            };
            if (parse.GetValue(seed) is { } one)
            {
                var r = await Simulator.RunAsync(one, options, ct);
                if (parse.GetValue(trace)) Console.Write(r.Trace);
                Report(r);
                if (r.Violations.Count > 0) await PrintMinimalAsync(r, options, ct);
                Console.WriteLine($"trace sha256 {r.TraceSha256}");
                return r.Violations.Count == 0 ? 0 : 1;
            }
            var count = parse.GetValue(seeds);
            var started = TimeProvider.System.GetTimestamp();
            var summary = await Simulator.RunSeedsAsync(parse.GetValue(first), count, options, ct, r =>
            {
                if (r.Violations.Count > 0) Report(r);
            });
            foreach (var failed in summary.Failed.Take(3)) await PrintMinimalAsync(failed, options, ct);
            var seconds = TimeProvider.System.GetElapsedTime(started).TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"simulate: {summary.Steps} steps, {summary.Faults} faults injected, {seconds:0.0} s"));
            Console.WriteLine($"{summary.Seeds} seeds, {summary.Settlements} settlements, {summary.Violations} violations");
            return summary.Violations == 0 ? 0 : 1;
        });
        return command;
    }

    private static void Report(SimResult r)
    {
        foreach (var v in r.Violations) Console.WriteLine($"seed {r.Seed}: VIOLATION {v}");
        if (r.Nondeterminism > 0) Console.WriteLine($"seed {r.Seed}: {r.Nondeterminism} continuation(s) ran off the scheduler's thread");
    }

    private static async Task PrintMinimalAsync(SimResult r, SimOptions options, CancellationToken ct)
    {
        var minimal = await Simulator.ShrinkAsync(r, options, ct);
        Console.WriteLine($"seed {r.Seed}: minimal trace ({minimal.FaultsInjected} of {r.FaultsInjected} faults kept; replay with --seed {r.Seed} --trace):");
        Console.Write(minimal.Trace);
    }
}
