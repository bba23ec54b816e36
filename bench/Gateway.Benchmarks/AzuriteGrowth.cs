using System.Diagnostics;
using System.Globalization;
using Azure.Data.Tables;

namespace Gateway.Benchmarks;

/// <summary>
/// Issue 21: what Azurite's table store does as it grows, without the gateway in the way. One table is filled in
/// steps (entity-group transactions of 100 rows of ~1.5 KB, 100 rows per partition, the size of a settlement row), and
/// after each step it measures, on one connection at a time: point reads (PartitionKey + RowKey), partition queries
/// (a filter naming one partition of 100 rows: the shape of the gateway's member query), and a 12-second probe of a
/// point read every 50 ms whose worst latency shows the on-disk store's periodic save holding the event loop. With
/// <c>--location</c> (Azurite's <c>--location</c> folder) it also reports the size of the table database on disk (Loki's
/// file, or the journal folder's snapshot and journals).
/// <c>--payload N</c> sets the characters per row (default 1,500; up to 60,000) to reach a large store with few rows.
/// Bounded: loopback only, at most 200,000 rows.
/// </summary>
public static class AzuriteGrowth
{
    public static async Task<int> RunAsync(string[] args)
    {
        var connection = args[0];
        var rows = Option(args, "--rows", 100_000);
        var step = Option(args, "--step", 10_000);
        var location = args.SkipWhile(a => a != "--location").Skip(1).FirstOrDefault();
        if (!connection.Contains("127.0.0.1", StringComparison.Ordinal)) { Console.Error.WriteLine("azurite-growth runs against a loopback Azurite only."); return 2; }
        rows = Math.Clamp(rows, step, 200_000);
        var table = new TableServiceClient(connection).GetTableClient($"Growth{DateTime.UtcNow:HHmmss}");
        await table.CreateIfNotExistsAsync();
        var payload = new string('x', Math.Clamp(Option(args, "--payload", 1_500), 1, 60_000)); // characters per row (one string property)
        Console.WriteLine("rows | insert rows/s | point read p50 / p99 (ms) | partition query p50 / p99 (ms) | probe max (ms) | table db (MB)");
        var written = 0;
        while (written < rows)
        {
            var clock = Stopwatch.StartNew();
            var batches = Enumerable.Range(written / 100, step / 100).ToList();
            await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (p, ct) =>
                await table.SubmitTransactionAsync(Enumerable.Range(0, 100).Select(r =>
                    new TableTransactionAction(TableTransactionActionType.UpsertReplace, new TableEntity($"p{p:D6}", $"r{r:D3}") { ["V"] = payload })), ct));
            written += step;
            var insertRate = step / clock.Elapsed.TotalSeconds;
            var random = new Random(written);
            var reads = new List<double>();
            for (var i = 0; i < 200; i++)
            {
                var t = Stopwatch.StartNew();
                await table.GetEntityAsync<TableEntity>($"p{random.Next(written / 100):D6}", $"r{random.Next(100):D3}");
                reads.Add(t.Elapsed.TotalMilliseconds);
            }
            var queries = new List<double>();
            for (var i = 0; i < 50; i++)
            {
                var pk = $"p{random.Next(written / 100):D6}";
                var t = Stopwatch.StartNew();
                var n = 0;
                await foreach (var _ in table.QueryAsync<TableEntity>(e => e.PartitionKey == pk)) n++;
                queries.Add(t.Elapsed.TotalMilliseconds);
                if (n != 100) throw new InvalidOperationException($"partition {pk}: {n} rows");
            }
            var probeMax = 0.0;
            var probe = Stopwatch.StartNew();
            while (probe.Elapsed < TimeSpan.FromSeconds(12))
            {
                var t = Stopwatch.StartNew();
                await table.GetEntityAsync<TableEntity>("p000000", "r000");
                probeMax = Math.Max(probeMax, t.Elapsed.TotalMilliseconds);
                await Task.Delay(50);
            }
            // Loki's own file, or (with tools/azurite-table-journal.py) the journal folder's snapshot and journals.
            double? db = location is null ? null : TableDatabaseBytes(location) / 1048576.0;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{written,7:N0} | {insertRate,6:0} | {P(reads, 0.5):0.0} / {P(reads, 0.99):0.0} | {P(queries, 0.5):0.0} / {P(queries, 0.99):0.0} | {probeMax:0} | {(db is { } d ? d.ToString("0", CultureInfo.InvariantCulture) : "n/a")}"));
        }
        await table.DeleteAsync();
        return 0;
    }

    private static long TableDatabaseBytes(string location)
    {
        var loki = Path.Combine(location, "__azurite_db_table__.json");
        var journal = loki + ".journal";
        return (File.Exists(loki) ? new FileInfo(loki).Length : 0)
             + (Directory.Exists(journal) ? Directory.EnumerateFiles(journal).Sum(f => new FileInfo(f).Length) : 0);
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : fallback;
    }

    private static double P(List<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}
