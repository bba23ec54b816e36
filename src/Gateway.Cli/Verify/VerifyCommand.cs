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
        var command = new Command("verify", "Check a store: journals balance, positions equal journals, nets sum to zero, one journal per settlement, accumulators equal their deltas.") { storage };
        command.SetAction(async (parse, ct) =>
        {
            var connection = parse.GetValue(storage) ?? Environment.GetEnvironmentVariable("AzureWebJobsStorage")
                ?? LocalGateway.StorageConnection();
            if (string.IsNullOrEmpty(connection))
            {
                Console.Error.WriteLine("Give --storage, set AzureWebJobsStorage, or run ./gateway up first.");
                return 2;
            }
            var results = await RunAsync(connection, ct);
            var table = new Table().AddColumns("invariant", "checked", "result");
            foreach (var r in results) table.AddRow(Markup.Escape(r.Name), r.Checked.ToString(System.Globalization.CultureInfo.InvariantCulture), r.Holds ? "[green]holds[/]" : $"[red]{r.Violations.Count} violation(s)[/]");
            AnsiConsole.Write(table);
            foreach (var r in results.Where(r => !r.Holds))
            {
                Console.WriteLine($"{r.Name}:");
                foreach (var v in r.Violations) Console.WriteLine("  " + v);
            }
            var ok = results.All(r => r.Holds);
            Console.WriteLine(ok ? "verify: the store is clean" : "verify: VIOLATIONS FOUND");
            return ok ? 0 : 1;
        });
        return command;
    }

    public static Task<IReadOnlyList<InvariantResult>> RunAsync(string connection, CancellationToken ct) =>
        new StoreVerifier(new GatewayStorage(connection), RulePackSet.Default.Regions.OrderBy(r => r.Value, StringComparer.Ordinal).ToList()).VerifyAsync(ct);
}
