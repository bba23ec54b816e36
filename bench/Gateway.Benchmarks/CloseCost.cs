using System.Diagnostics;
using Azure.Data.Tables;
using Gateway.Domain;
using Gateway.Storage;

namespace Gateway.Benchmarks;

/// <summary>
/// Issue 6: period close with 1,000 and with 100,000 settlements costs the same number of storage operations.
/// Postings are written through the ledger's own row layout in bulk (entity-group transactions of up to 100
/// journal rows, and the matching shard counters), then each period is closed and its requests are counted in the
/// Azure SDK pipeline.
/// </summary>
public static class CloseCost
{
    private static readonly RegionCode[] Regions = new[] { "350200", "440300", "441900", "511300" }.Select(RegionCode.Parse).ToArray();

    public static async Task<int> RunAsync(string connection)
    {
        foreach (var (settlements, period) in new[] { (1_000, new ClearingPeriod(2040, 1)), (100_000, new ClearingPeriod(2040, 2)) })
        {
            var setup = Stopwatch.StartNew();
            await SeedAsync(connection, period, settlements);
            var counter = new StorageRoundTripCounter();
            var ledger = new LedgerStore(new GatewayStorage(connection, counter), Regions, TimeProvider.System);
            var clock = Stopwatch.StartNew();
            var statements = await ledger.CloseAsync(period, CancellationToken.None);
            Console.WriteLine($"{settlements,7:N0} settlements in {period}: close made {counter.Count} storage requests in {clock.ElapsedMilliseconds} ms " +
                              $"({statements.Count} statements, {statements.Sum(s => s.Postings):N0} postings, total {statements.Sum(s => s.Total):N2}); seeding took {setup.Elapsed.TotalSeconds:0} s");
        }
        return 0;
    }

    private static async Task SeedAsync(string connection, ClearingPeriod period, int settlements)
    {
        var storage = new GatewayStorage(connection);
        await storage.EnsureCreatedAsync();
        var table = storage.Table(GatewayStorage.LedgerTable);
        var pairs = (from h in Regions from t in Regions where h != t select (h, t)).ToArray();
        var entries = Enumerable.Range(0, settlements).Select(i =>
        {
            var (h, t) = pairs[i % pairs.Length];
            var key = $"HBENCH~{period}-{i}";
            var funds = new FundAmounts(100m + i % 50, 0m, i % 3, 0m, 5m);
            return (Shard: LedgerRows.Shard(key), Entry: Journal.Post(new LedgerPosting(key, "HBENCH", h, t, funds, funds.Total + 10m, 10m), period));
        }).GroupBy(x => LedgerRows.Partition(period, x.Entry.Home, x.Entry.Treatment, x.Shard)).ToList();
        await Parallel.ForEachAsync(entries, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (group, ct) =>
        {
            var list = group.ToList();
            foreach (var chunk in list.Chunk(100))
                await table.SubmitTransactionAsync(chunk.Select(x => new TableTransactionAction(TableTransactionActionType.UpsertReplace, LedgerRows.ToEntity(x.Entry, x.Shard, DateTimeOffset.UtcNow))), ct);
            var first = list[0].Entry;
            var position = list.Aggregate(PairPosition.Empty(period, first.Home, first.Treatment), (p, x) => p.Add(x.Entry));
            await table.UpsertEntityAsync(LedgerRows.Counter(group.Key, position, false), TableUpdateMode.Replace, ct);
        });
    }
}
