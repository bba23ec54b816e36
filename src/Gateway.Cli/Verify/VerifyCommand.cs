using System.CommandLine;
using Gateway.Domain;
using Gateway.Storage;
using Spectre.Console;

namespace Gateway.Cli.Verify;

/// <summary><c>gateway verify --storage CONNECTION</c>: checks the ledger and accumulator invariants of a store; exit 1 on any violation.</summary>
public static class VerifyCommand
{
    public static Command Create()
    {
        var storage = new Option<string>("--storage") { Description = "Table storage connection string (default: $AzureWebJobsStorage, else the one ./gateway up wrote to .tools/run/connection).", };
        var wait = new Option<int?>("--wait") { Description = "First wait (up to this many seconds, default 120 when given without a value) until no settlement is pending.", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("verify", "Check a store: journals balance, positions equal journals, nets sum to zero, one journal per settlement, accumulators equal their deltas. "
            + "Safe on a live store: settlements in flight are reported apart, and a difference is a violation only if a second pass finds it again.") { storage, wait };
        command.SetAction(async (parse, ct) =>
        {
            var connection = parse.GetValue(storage) ?? Environment.GetEnvironmentVariable("AzureWebJobsStorage")
                ?? LocalGateway.StorageConnection();
            if (string.IsNullOrEmpty(connection))
            {
                Console.Error.WriteLine("Give --storage, set AzureWebJobsStorage, or run ./gateway up first.");
                return 2;
            }
            var verifier = Verifier(connection);
            if (parse.GetResult(wait) is not null)
            {
                var seconds = parse.GetValue(wait) ?? 120;
                var deadline = TimeProvider.System.GetUtcNow().UtcDateTime.AddSeconds(seconds);
                int pending;
                while ((pending = await verifier.CountPendingAsync(ct)) > 0 && TimeProvider.System.GetUtcNow().UtcDateTime < deadline)
                {
                    Console.WriteLine($"verify: waiting, {pending} settlement(s) in flight");
                    await Task.Delay(TimeSpan.FromSeconds(2), ct);
                }
                if (pending > 0) Console.WriteLine($"verify: still {pending} in flight after {seconds} s; verifying anyway");
            }
            var results = await verifier.VerifyConfirmedAsync(TimeSpan.FromSeconds(2), ct);
            var table = new Table().AddColumns("invariant", "checked", "result");
            foreach (var r in results) table.AddRow(Markup.Escape(r.Name), r.Checked.ToString(System.Globalization.CultureInfo.InvariantCulture), r.Holds ? "[green]holds[/]" : $"[red]{r.Violations.Count} violation(s)[/]");
            AnsiConsole.Write(table);
            foreach (var r in results.Where(r => !r.Holds))
            {
                Console.WriteLine($"{r.Name}:");
                foreach (var v in r.Violations) Console.WriteLine("  " + v);
            }
            if (verifier.Pending > 0) Console.WriteLine($"verify: {verifier.Pending} settlement(s) in flight (pending): not violations; verify --wait lets them finish first");
            if (verifier.Transient > 0) Console.WriteLine($"verify: {verifier.Transient} difference(s) of the first pass were gone in the second (writes in flight): not reported");
            var ok = results.All(r => r.Holds);
            Console.WriteLine(ok ? "verify: the store is clean" : "verify: VIOLATIONS FOUND");
            return ok ? 0 : 1;
        });
        return command;
    }

    private static StoreVerifier Verifier(string connection) =>
        new(new GatewayStorage(connection), RulePackSet.Default.Regions.OrderBy(r => r.Value, StringComparer.Ordinal).ToList());

    /// <summary>The confirmed verify of a store (a violation is one found twice, two seconds apart).</summary>
    public static Task<IReadOnlyList<InvariantResult>> RunAsync(string connection, CancellationToken ct) =>
        Verifier(connection).VerifyConfirmedAsync(TimeSpan.FromSeconds(2), ct);
}
