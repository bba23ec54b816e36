using Gateway.Domain;
using Gateway.Integration.Tests.InMemory;
using Gateway.Storage;
using Gateway.TestSupport;

namespace Gateway.Integration.Tests.Ledger;

public sealed class AzuriteHost : IAsyncLifetime
{
    public AzuriteFixture Azurite { get; private set; } = null!;

    public async Task InitializeAsync() => Azurite = await AzuriteFixture.StartAsync();

    public async Task DisposeAsync() => await Azurite.DisposeAsync();
}

/// <summary>A fixed clock the test moves.</summary>
public sealed class TestClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;
    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>
/// The ledger on real Azurite (one per class; distinct keys and periods keep tests apart) and on the in-memory store (a
/// fresh account per test): every test on both.
/// </summary>
public sealed class LedgerStoreTests(AzuriteHost host) : IClassFixture<AzuriteHost>
{
    private static readonly RegionCode Nanchong = RegionCode.Parse("511300");
    private static readonly RegionCode Shenzhen = RegionCode.Parse("440300");
    private static readonly RegionCode Dongguan = RegionCode.Parse("441900");
    private static readonly RegionCode[] Regions = [RegionCode.Parse("350200"), Shenzhen, Dongguan, Nanchong];
    private static readonly DateTimeOffset MidMay = new(2026, 5, 15, 8, 0, 0, TimeSpan.Zero);

    private StorageBackend _backend = null!;

    private void Use(Backend backend) => _backend = StorageBackend.Open(backend, host.Azurite);

    private async Task<(LedgerStore Ledger, GatewayStorage Storage, TestClock Clock)> FreshAsync(string test)
    {
        // One Azurite per class; distinct hospital/settlement keys and periods keep tests apart.
        var storage = _backend.Storage();
        await storage.EnsureCreatedAsync();
        var clock = new TestClock(MidMay);
        return (new LedgerStore(storage, Regions, clock), storage, clock);
    }

    private static LedgerPosting Posting(string key, decimal basic, RegionCode? home = null, RegionCode? treatment = null) =>
        new(key, "H440300001", home ?? Nanchong, treatment ?? Shenzhen, new FundAmounts(basic, 0m, 0m, 0m, 10m), basic + 110m, 100m);

    [Theory]
    [InlineData(Backend.Azurite)]
    [InlineData(Backend.Memory)]
    public async Task A_replayed_posting_posts_nothing_twice(Backend backend)
    {
        Use(backend);
        var (ledger, _, _) = await FreshAsync("replay");
        var period = new ClearingPeriod(2031, 1);
        var at = new DateTimeOffset(2031, 1, 10, 0, 0, 0, TimeSpan.Zero);
        var first = await ledger.PostAsync(Posting("H440300001~replay-1", 100m), at, CancellationToken.None);
        var again = await ledger.PostAsync(Posting("H440300001~replay-1", 100m), at, CancellationToken.None);
        Assert.Equal(first.Period, again.Period);
        var positions = await ledger.PositionsAsync(period, CancellationToken.None);
        var pair = Assert.Single(positions);
        Assert.Equal(1, pair.Postings);
        Assert.Equal(110m, pair.Total);
        Assert.Single(await ledger.EntriesBySettlementAsync("H440300001~replay-1", CancellationToken.None));
    }

    [Theory]
    [InlineData(Backend.Azurite)]
    [InlineData(Backend.Memory)]
    public async Task A_reversal_after_close_goes_to_the_open_period_and_a_late_replay_still_finds_the_original(Backend backend)
    {
        Use(backend);
        var (ledger, _, _) = await FreshAsync("reverse");
        var may = new ClearingPeriod(2032, 5);
        var inMay = new DateTimeOffset(2032, 5, 20, 0, 0, 0, TimeSpan.Zero);
        await ledger.PostAsync(Posting("H440300001~rev-1", 500m), inMay, CancellationToken.None);
        var statements = await ledger.CloseAsync(may, CancellationToken.None);
        Assert.Equal(510m, Assert.Single(statements).Total);

        var reversal = await ledger.ReverseAsync("H440300001~rev-1", new DateTimeOffset(2032, 5, 31, 23, 0, 0, TimeSpan.Zero), CancellationToken.None);
        Assert.Equal(may.Next(), reversal.Period); // May is closed: the reversal lands in June
        Assert.Equal(-510m, reversal.Funds.Total);

        var replay = await ledger.PostAsync(Posting("H440300001~rev-1", 500m), inMay, CancellationToken.None);
        Assert.Equal(may, replay.Period);
        Assert.Equal(2, (await ledger.EntriesBySettlementAsync("H440300001~rev-1", CancellationToken.None)).Count);
        var june = Assert.Single(await ledger.PositionsAsync(may.Next(), CancellationToken.None));
        Assert.Equal((-510m, 0, 1), (june.Total, june.Postings, june.Reversals));
        var mayStatement = Assert.Single(await ledger.StatementsAsync(may, CancellationToken.None));
        Assert.Equal(510m, mayStatement.Total);
    }

    [Theory]
    [InlineData(Backend.Azurite)]
    [InlineData(Backend.Memory)]
    public async Task Closing_twice_gives_the_same_statements_and_later_postings_go_to_the_next_period(Backend backend)
    {
        Use(backend);
        var (ledger, _, _) = await FreshAsync("close");
        var period = new ClearingPeriod(2033, 3);
        var at = new DateTimeOffset(2033, 3, 3, 0, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < 12; i++) await ledger.PostAsync(Posting($"H440300001~close-{i}", 10m * (i + 1), i % 2 == 0 ? Nanchong : Dongguan), at, CancellationToken.None);
        var first = await ledger.CloseAsync(period, CancellationToken.None);
        var second = await ledger.CloseAsync(period, CancellationToken.None);
        Assert.Equal(first.OrderBy(s => s.Home.Value).Select(s => (s.Home, s.Treatment, s.Total, s.Postings)), second.OrderBy(s => s.Home.Value).Select(s => (s.Home, s.Treatment, s.Total, s.Postings)));
        Assert.Equal(12, first.Sum(s => s.Postings));
        var late = await ledger.PostAsync(Posting("H440300001~close-late", 1m), at, CancellationToken.None);
        Assert.Equal(period.Next(), late.Period);
        Assert.Equal(12, (await ledger.PositionsAsync(period, CancellationToken.None)).Sum(p => p.Postings));
    }

    [Theory]
    [InlineData(Backend.Azurite)]
    [InlineData(Backend.Memory)]
    public async Task Postings_racing_a_close_land_exactly_once_in_one_of_the_two_periods(Backend backend)
    {
        Use(backend);
        var (ledger, _, _) = await FreshAsync("race");
        var period = new ClearingPeriod(2034, 7);
        var at = new DateTimeOffset(2034, 7, 30, 0, 0, 0, TimeSpan.Zero);
        var posts = Enumerable.Range(0, 60).Select(i => Task.Run(() => ledger.PostAsync(Posting($"H440300001~race-{i}", 1m + i), at, CancellationToken.None))).ToList();
        await Task.Delay(30);
        var statements = await ledger.CloseAsync(period, CancellationToken.None);
        var entries = await Task.WhenAll(posts);
        var inPeriod = entries.Where(e => e.Period == period).ToList();
        var statement = Assert.Single(statements);
        Assert.Equal(inPeriod.Count, statement.Postings);
        Assert.Equal(inPeriod.Sum(e => e.Funds.Total), statement.Total);
        var next = (await ledger.PositionsAsync(period.Next(), CancellationToken.None)).SingleOrDefault();
        Assert.Equal(60, statement.Postings + (next?.Postings ?? 0));
        Assert.Equal(entries.Sum(e => e.Funds.Total), statement.Total + (next?.Total ?? 0m));
    }

    [Theory]
    [InlineData(Backend.Azurite)]
    [InlineData(Backend.Memory)]
    public async Task Close_costs_the_same_storage_operations_for_few_and_many_settlements(Backend backend)
    {
        Use(backend);
        async Task<long> CloseCost(int settlements, ClearingPeriod period)
        {
            var counter = new StorageRoundTripCounter();
            var storage = _backend.Storage(counter);
            await storage.EnsureCreatedAsync(); // not left to another test having run first
            var ledger = new LedgerStore(storage, Regions, new TestClock(MidMay));
            var at = new DateTimeOffset(period.Year, period.Month, 2, 0, 0, 0, TimeSpan.Zero);
            await Parallel.ForEachAsync(Enumerable.Range(0, settlements), new ParallelOptions { MaxDegreeOfParallelism = 8 },
                async (i, ct) => await ledger.PostAsync(Posting($"H440300001~cost-{period}-{i}", 1m, i % 3 == 0 ? Dongguan : Nanchong), at, ct));
            var before = counter.Count;
            await ledger.CloseAsync(period, CancellationToken.None);
            return counter.Count - before;
        }
        var few = await CloseCost(20, new ClearingPeriod(2035, 1));
        var many = await CloseCost(400, new ClearingPeriod(2035, 2));
        Assert.Equal(few, many);
    }

    /// <summary>Settlement keys of one hospital whose postings share a ledger shard.</summary>
    private static List<string> KeysInOneShard(string prefix, int count, int shard = 0) =>
        Enumerable.Range(0, 10_000).Select(i => $"H440300001~{prefix}-{i}").Where(k => LedgerRows.Shard(k) == shard).Take(count).ToList();

    [Theory]
    [InlineData(Backend.Azurite)]
    [InlineData(Backend.Memory)]
    public async Task Postings_to_a_shard_whose_counter_this_process_knows_cost_one_round_trip_each(Backend backend)
    {
        Use(backend);
        var counter = new StorageRoundTripCounter();
        var storage = _backend.Storage(counter);
        await storage.EnsureCreatedAsync();
        var ledger = new LedgerStore(storage, Regions, new TestClock(MidMay));
        var at = new DateTimeOffset(2036, 3, 3, 0, 0, 0, TimeSpan.Zero);
        var keys = KeysInOneShard("one", 11);
        await ledger.PostAsync(Posting(keys[0], 5m), at, CancellationToken.None); // learns the shard's counter
        var before = counter.Count;
        foreach (var k in keys.Skip(1).Take(5)) await ledger.PostAsync(Posting(k, 5m), at, CancellationToken.None, indexedAtAnchor: true);
        Assert.Equal(5, counter.Count - before); // journal + counter, one transaction each: no read, no period row
        before = counter.Count;
        foreach (var k in keys.Skip(6)) await ledger.PostAsync(Posting(k, 5m), at, CancellationToken.None);
        Assert.Equal(10, counter.Count - before); // + the index rows (one transaction) when no transition wrote them
        var position = Assert.Single(await ledger.PositionsAsync(new ClearingPeriod(2036, 3), CancellationToken.None));
        Assert.Equal(11, position.Postings);

        // A replay finds the entry (the journal insert conflicts, then one read): nothing posted twice.
        var replay = await ledger.PostAsync(Posting(keys[3], 5m), at, CancellationToken.None, indexedAtAnchor: true);
        Assert.Equal(new ClearingPeriod(2036, 3), replay.Period);
        Assert.Equal(11, Assert.Single(await ledger.PositionsAsync(new ClearingPeriod(2036, 3), CancellationToken.None)).Postings);
    }

    [Theory]
    [InlineData(Backend.Azurite)]
    [InlineData(Backend.Memory)]
    public async Task A_close_by_another_process_turns_away_postings_made_from_a_remembered_counter(Backend backend)
    {
        Use(backend);
        var (poster, storage, _) = await FreshAsync("remembered");
        var closer = new LedgerStore(storage, Regions, new TestClock(MidMay));
        var period = new ClearingPeriod(2037, 8);
        var at = new DateTimeOffset(2037, 8, 8, 0, 0, 0, TimeSpan.Zero);
        var keys = KeysInOneShard("remembered", 3);
        var first = await poster.PostAsync(Posting(keys[0], 100m), at, CancellationToken.None); // poster now knows shard 0's counter
        Assert.Equal(period, first.Period);
        var statement = Assert.Single(await closer.CloseAsync(period, CancellationToken.None));
        Assert.Equal(1, statement.Postings);

        // The remembered counter's ETag no longer matches (frozen): the posting reads, sees it frozen, moves on.
        var late = await poster.PostAsync(Posting(keys[1], 7m), at, CancellationToken.None);
        Assert.Equal(period.Next(), late.Period);
        // A shard the poster never touched: the close created its counter frozen, so the first posting there moves on too.
        var otherShard = KeysInOneShard("remembered", 1, shard: 2)[0];
        Assert.Equal(period.Next(), (await poster.PostAsync(Posting(otherShard, 9m), at, CancellationToken.None)).Period);
        Assert.Equal(1, (await poster.PositionsAsync(period, CancellationToken.None)).Sum(p => p.Postings));
        Assert.Equal(2, (await poster.PositionsAsync(period.Next(), CancellationToken.None)).Sum(p => p.Postings));
        Assert.Equal(1, Assert.Single(await closer.StatementsAsync(period, CancellationToken.None)).Postings);
    }

    [Theory]
    [InlineData(Backend.Azurite)]
    [InlineData(Backend.Memory)]
    public async Task Index_rows_written_for_the_anchor_period_follow_a_posting_that_lands_in_the_next_one(Backend backend)
    {
        Use(backend);
        var (ledger, storage, _) = await FreshAsync("moved");
        var period = new ClearingPeriod(2038, 2);
        var at = new DateTimeOffset(2038, 2, 27, 0, 0, 0, TimeSpan.Zero);
        var key = "H440300001~moved-1";
        // The settlement transition writes the index rows for the anchor's period with the settlement row…
        var rows = LedgerStore.IndexAtAnchor(key, 0, Nanchong, Shenzhen, at);
        await storage.Table(GatewayStorage.SettlementsTable).SubmitTransactionAsync(rows.Select(r => new Azure.Data.Tables.TableTransactionAction(Azure.Data.Tables.TableTransactionActionType.UpsertReplace, r)));
        // …the period closes before the posting…
        await ledger.CloseAsync(period, CancellationToken.None);
        var entry = await ledger.PostAsync(Posting(key, 50m), at, CancellationToken.None, indexedAtAnchor: true);
        Assert.Equal(period.Next(), entry.Period);
        // …and the index follows the entry.
        Assert.Equal(period.Next(), Assert.Single(await ledger.EntriesBySettlementAsync(key, CancellationToken.None)).Period);
        Assert.Empty((await ledger.EntriesByHospitalAsync("H440300001", period, 100, null, CancellationToken.None)).Items);
        var listed = Assert.Single((await ledger.EntriesByHospitalAsync("H440300001", period.Next(), 100, null, CancellationToken.None)).Items);
        Assert.Equal(key, listed.SettlementKey);
        var stale = await storage.Table(GatewayStorage.SettlementsTable).GetEntityIfExistsAsync<Azure.Data.Tables.TableEntity>("H440300001", LedgerRows.PeriodIndexRow(period, "moved-1", 0));
        Assert.False(stale.HasValue);
    }
}
