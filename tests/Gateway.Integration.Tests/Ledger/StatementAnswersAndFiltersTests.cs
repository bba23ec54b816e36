using Gateway.Domain;
using Gateway.Integration.Tests.InMemory;
using Gateway.Storage;
using Gateway.TestSupport;

namespace Gateway.Integration.Tests.Ledger;

/// <summary>
/// The ledger store on real Azurite and on the in-memory store (every test on both): answers kept per side of a statement (with history), disputed ids checked against
/// the pair's own journal rows, and a pair's entries filtered and paged server-side.
/// </summary>
public sealed class StatementAnswersAndFiltersTests(AzuriteHost host) : IClassFixture<AzuriteHost>
{
    private static readonly RegionCode Nanchong = RegionCode.Parse("511300");
    private static readonly RegionCode Shenzhen = RegionCode.Parse("440300");
    private static readonly RegionCode Dongguan = RegionCode.Parse("441900");
    private static readonly RegionCode[] Regions = [RegionCode.Parse("350200"), Shenzhen, Dongguan, Nanchong];

    private StorageBackend _backend = null!;

    private void Use(Backend backend) => _backend = StorageBackend.Open(backend, host.Azurite);

    private async Task<(LedgerStore Ledger, TestClock Clock, StorageRoundTripCounter Counter)> FreshAsync()
    {
        var counter = new StorageRoundTripCounter();
        var storage = _backend.Storage(counter);
        await storage.EnsureCreatedAsync();
        var clock = new TestClock(new DateTimeOffset(2026, 5, 15, 8, 0, 0, TimeSpan.Zero));
        return (new LedgerStore(storage, Regions, clock), clock, counter);
    }

    private static LedgerPosting Posting(string key, decimal basic, RegionCode? home = null, RegionCode? treatment = null)
    {
        var hospital = key[..key.IndexOf('~')];
        return new LedgerPosting(key, hospital, home ?? Nanchong, treatment ?? Shenzhen, new FundAmounts(basic, 0m, 0m, 0m, 10m), basic + 110m, 100m);
    }

    [Theory]
    [InlineData(Backend.Azurite)]
    [InlineData(Backend.Memory)]
    public async Task Each_side_keeps_its_own_answer_and_the_statement_state_derives_from_both(Backend backend)
    {
        Use(backend);
        var (ledger, clock, _) = await FreshAsync();
        var period = new ClearingPeriod(2041, 4);
        var at = new DateTimeOffset(2041, 4, 9, 0, 0, 0, TimeSpan.Zero);
        var keys = new[] { "H440300001~ans-1", "H440300002~ans-2", "H440300001~ans-3" };
        for (var i = 0; i < keys.Length; i++) await ledger.PostAsync(Posting(keys[i], 100m * (i + 1)), at, CancellationToken.None);
        var closed = Assert.Single(await ledger.CloseAsync(period, CancellationToken.None));
        Assert.Equal((StatementStatus.Pending, StatementStatus.Pending, StatementStatus.Pending), (closed.HomeStatus, closed.TreatmentStatus, closed.Status));
        var positions = await ledger.PositionsAsync(period, CancellationToken.None);

        // The home side disputes one settlement…
        clock.Now = new DateTimeOffset(2041, 5, 2, 9, 0, 0, TimeSpan.Zero);
        var s = await ledger.RespondAsync(period, Nanchong, Shenzhen, Nanchong, false, "member not insured", [keys[0]], "nanchong", CancellationToken.None);
        Assert.NotNull(s);
        Assert.Equal((StatementStatus.Disputed, StatementStatus.Pending, StatementStatus.Disputed), (s!.HomeStatus, s.TreatmentStatus, s.Status));
        Assert.Equal(("member not insured", "nanchong", clock.Now), (s.HomeSide.Reason, s.HomeSide.By, s.HomeSide.At!.Value));
        Assert.Equal([keys[0]], s.HomeSide.SettlementIds);

        // …the treatment side disputes others: the home side's dispute is not overwritten.
        clock.Now = clock.Now.AddHours(1);
        s = await ledger.RespondAsync(period, Nanchong, Shenzhen, Shenzhen, false, "amount differs from our books", [keys[1], keys[2]], "shenzhen", CancellationToken.None);
        Assert.Equal(("member not insured", "amount differs from our books"), (s!.HomeSide.Reason, s.TreatmentSide.Reason));
        Assert.Equal([keys[0]], s.HomeSide.SettlementIds);
        Assert.Equal([keys[1], keys[2]], s.TreatmentSide.SettlementIds);
        Assert.Equal(("nanchong", "shenzhen"), (s.HomeSide.By, s.TreatmentSide.By));

        // The home side changes its answer: confirmed, its old reason and ids gone; the statement is still disputed (treatment side).
        clock.Now = clock.Now.AddHours(1);
        s = await ledger.RespondAsync(period, Nanchong, Shenzhen, Nanchong, true, null, [], "nanchong", CancellationToken.None);
        Assert.Equal((StatementStatus.Confirmed, StatementStatus.Disputed, StatementStatus.Disputed), (s!.HomeStatus, s.TreatmentStatus, s.Status));
        Assert.Null(s.HomeSide.Reason);
        Assert.Empty(s.HomeSide.SettlementIds);
        Assert.Equal("amount differs from our books", s.TreatmentSide.Reason);

        // The treatment side confirms too: confirmed overall.
        s = await ledger.RespondAsync(period, Nanchong, Shenzhen, Shenzhen, true, "settled after review", [], "shenzhen", CancellationToken.None);
        Assert.Equal((StatementStatus.Confirmed, StatementStatus.Confirmed, StatementStatus.Confirmed), (s!.HomeStatus, s.TreatmentStatus, s.Status));
        Assert.Equal("settled after review", s.TreatmentSide.Reason);
        Assert.Empty(s.TreatmentSide.SettlementIds);

        // What a re-read sees is the same; the history keeps every answer in order; the list of statements holds only statements.
        var read = await ledger.GetStatementAsync(period, Nanchong, Shenzhen, CancellationToken.None);
        Assert.Equal((s.HomeSide.Status, s.TreatmentSide.Status, s.TreatmentSide.Reason), (read!.HomeSide.Status, read.TreatmentSide.Status, read.TreatmentSide.Reason));
        var history = await ledger.ResponsesAsync(period, Nanchong, Shenzhen, CancellationToken.None);
        Assert.Equal([(1, "511300", "disputed"), (2, "440300", "disputed"), (3, "511300", "confirmed"), (4, "440300", "confirmed")],
            history.Select(h => (h.Sequence, h.Side.Value, h.Status)).ToList());
        Assert.Equal("member not insured", history[0].Reason);
        Assert.Equal([keys[1], keys[2]], history[1].SettlementIds);
        var statement = Assert.Single(await ledger.StatementsAsync(period, CancellationToken.None));
        Assert.Equal(StatementStatus.Confirmed, statement.Status);

        // Disputes never change the ledger: the positions and the statement's totals are as closed.
        Assert.Equal(positions.Select(p => (p.Total, p.Postings)), (await ledger.PositionsAsync(period, CancellationToken.None)).Select(p => (p.Total, p.Postings)));
        Assert.Equal((closed.Total, closed.Postings), (statement.Total, statement.Postings));
        // Closing again gives the same statement and keeps the answers.
        var again = Assert.Single(await ledger.CloseAsync(period, CancellationToken.None));
        Assert.Equal((closed.Total, StatementStatus.Confirmed), (again.Total, again.Status));
    }

    [Theory]
    [InlineData(Backend.Azurite)]
    [InlineData(Backend.Memory)]
    public async Task Answers_racing_on_both_sides_are_all_kept(Backend backend)
    {
        Use(backend);
        var (ledger, _, _) = await FreshAsync();
        var period = new ClearingPeriod(2041, 6);
        await ledger.PostAsync(Posting("H440300001~race-ans", 50m), new DateTimeOffset(2041, 6, 3, 0, 0, 0, TimeSpan.Zero), CancellationToken.None);
        await ledger.CloseAsync(period, CancellationToken.None);
        await Task.WhenAll(
            Task.Run(() => ledger.RespondAsync(period, Nanchong, Shenzhen, Nanchong, false, "home reason", ["H440300001~race-ans"], "nanchong", CancellationToken.None)),
            Task.Run(() => ledger.RespondAsync(period, Nanchong, Shenzhen, Shenzhen, false, "treatment reason", ["H440300001~race-ans"], "shenzhen", CancellationToken.None)));
        var s = await ledger.GetStatementAsync(period, Nanchong, Shenzhen, CancellationToken.None);
        Assert.Equal(("home reason", "treatment reason"), (s!.HomeSide.Reason, s.TreatmentSide.Reason));
        Assert.Equal(2, (await ledger.ResponsesAsync(period, Nanchong, Shenzhen, CancellationToken.None)).Count);
    }

    [Theory]
    [InlineData(Backend.Azurite)]
    [InlineData(Backend.Memory)]
    public async Task Disputed_ids_are_checked_against_the_pairs_journal_rows_of_that_period(Backend backend)
    {
        Use(backend);
        var (ledger, _, counter) = await FreshAsync();
        var period = new ClearingPeriod(2041, 8);
        var at = new DateTimeOffset(2041, 8, 9, 0, 0, 0, TimeSpan.Zero);
        await ledger.PostAsync(Posting("H440300001~chk-in", 10m), at, CancellationToken.None);
        await ledger.PostAsync(Posting("H440300001~chk-reversed", 20m), at, CancellationToken.None);
        await ledger.ReverseAsync("H440300001~chk-reversed", at, CancellationToken.None);
        await ledger.PostAsync(Posting("H440300001~chk-other-pair", 10m, Dongguan), at, CancellationToken.None);
        await ledger.PostAsync(Posting("H440300001~chk-next-month", 10m), at.AddMonths(1), CancellationToken.None);
        await ledger.CloseAsync(period, CancellationToken.None);

        string[] ids = ["H440300001~chk-in", "H440300001~chk-reversed", "H440300001~chk-other-pair", "H440300001~chk-next-month", "H440300001~never", "no-hospital-part", "H440300001~chk"];
        var before = counter.Count;
        var unknown = await ledger.NotInStatementAsync(period, Nanchong, Shenzhen, ids, CancellationToken.None);
        Assert.Equal(["H440300001~chk-other-pair", "H440300001~chk-next-month", "H440300001~never", "no-hospital-part", "H440300001~chk"], unknown);
        Assert.True(counter.Count - before <= ids.Length, "one partition-scoped query per id at most, never a scan");
    }

    [Theory]
    [InlineData(Backend.Azurite)]
    [InlineData(Backend.Memory)]
    public async Task A_pairs_entries_are_filtered_and_paged_server_side(Backend backend)
    {
        Use(backend);
        var (ledger, clock, _) = await FreshAsync();
        var period = new ClearingPeriod(2042, 3);
        var posted = new List<(string Key, string Hospital, DateOnly Day, decimal Total, bool Reversal)>();
        for (var i = 0; i < 24; i++)
        {
            var hospital = i % 3 == 0 ? "H440300002" : "H440300001";
            var key = $"{hospital}~flt-{i:D2}";
            var day = new DateOnly(2042, 3, 1 + i);
            clock.Now = new DateTimeOffset(day.ToDateTime(new TimeOnly(10, 0)), TimeSpan.Zero);
            var e = await ledger.PostAsync(Posting(key, 100m * (i + 1)), clock.Now, CancellationToken.None);
            posted.Add((key, hospital, day, e.Funds.Total, false));
        }
        // Two reversals later in the month, and a posting of another pair that no filter may bring in.
        foreach (var i in new[] { 4, 9 })
        {
            clock.Now = new DateTimeOffset(2042, 3, 28, 12, 0, 0, TimeSpan.Zero);
            var r = await ledger.ReverseAsync(posted[i].Key, clock.Now, CancellationToken.None);
            posted.Add((posted[i].Key, posted[i].Hospital, new DateOnly(2042, 3, 28), r.Funds.Total, true));
        }
        await ledger.PostAsync(Posting("H440300001~flt-other", 500m, Dongguan), clock.Now, CancellationToken.None);

        async Task<List<PostedEntry>> All(EntryFilter f, int pageSize)
        {
            var all = new List<PostedEntry>();
            string? next = null;
            var pages = 0;
            do
            {
                var (items, n) = await ledger.EntriesByPairAsync(period, Nanchong, Shenzhen, f, pageSize, next, CancellationToken.None);
                Assert.True(items.Count <= pageSize);
                if (n is not null) Assert.Equal(pageSize, items.Count); // every page but the last is full, whatever the filter
                all.AddRange(items);
                next = n;
                Assert.True(++pages < 100);
            }
            while (next is not null);
            return all;
        }
        void Same(IEnumerable<(string Key, string Hospital, DateOnly Day, decimal Total, bool Reversal)> expected, List<PostedEntry> actual) =>
            Assert.Equal(expected.Select(x => (x.Key, x.Reversal)).OrderBy(x => x.Key, StringComparer.Ordinal).ThenBy(x => x.Reversal),
                actual.Select(x => (x.Entry.SettlementKey, x.Entry.IsReversal)).OrderBy(x => x.SettlementKey, StringComparer.Ordinal).ThenBy(x => x.IsReversal));

        var everything = await All(EntryFilter.None, 5);
        Same(posted, everything);
        Assert.Equal(everything.Count, everything.Select(x => (x.Entry.SettlementKey, x.Entry.Sequence)).Distinct().Count()); // no repeats across pages
        Assert.Equal((await ledger.PositionsAsync(period, CancellationToken.None)).Single(p => p.Treatment == Shenzhen && p.Home == Nanchong).Total, everything.Sum(x => x.Entry.Funds.Total));

        Same(posted.Where(x => x.Hospital == "H440300002"), await All(new EntryFilter(Hospital: "H440300002"), 3));
        Same(posted.Where(x => x.Day >= new DateOnly(2042, 3, 5) && x.Day <= new DateOnly(2042, 3, 10)), await All(new EntryFilter(From: new DateOnly(2042, 3, 5), To: new DateOnly(2042, 3, 10)), 4));
        Same(posted.Where(x => x.Reversal), await All(new EntryFilter(Reversal: true), 1));
        Same(posted.Where(x => !x.Reversal), await All(new EntryFilter(Reversal: false), 7));
        Same(posted.Where(x => Math.Abs(x.Total) >= 710m && Math.Abs(x.Total) <= 1510m), await All(new EntryFilter(MinAmount: 710m, MaxAmount: 1510m), 2));
        // Filters together, with pages smaller than what matches: the amount range is applied after the table's own filter.
        var combined = new EntryFilter("H440300001", new DateOnly(2042, 3, 2), new DateOnly(2042, 3, 28), false, 500m, null);
        var expected = posted.Where(x => x.Hospital == "H440300001" && x.Day >= combined.From && x.Day <= combined.To && !x.Reversal && Math.Abs(x.Total) >= 500m).ToList();
        Assert.True(expected.Count > 4);
        Same(expected, await All(combined, 2));
        Assert.Empty(await All(new EntryFilter(Hospital: "H999999999"), 10));
        Assert.All(everything, x => Assert.NotNull(x.PostedAt));

        // A continuation of another listing is refused.
        var (_, token) = await ledger.EntriesByPairAsync(period, Nanchong, Shenzhen, EntryFilter.None, 2, null, CancellationToken.None);
        await Assert.ThrowsAsync<ArgumentException>(() => ledger.EntriesByPairAsync(period, Nanchong, Dongguan, EntryFilter.None, 2, token, CancellationToken.None));
    }
}
