using Gateway.Handler.Replies;
using Gateway.Storage;
using Gateway.Storage.InMemory;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Integration.Tests.Ledger;

/// <summary>
/// Clearing periods are China-time months, end to end in the ledger (in-memory storage, a fake clock): a settlement
/// completed at 07:00 Beijing time on 1 June (23:00 UTC on 31 May) posts in June, and the month-end close fires after the
/// China-time month has ended, not the UTC one.
/// </summary>
public sealed class ChinaTimePeriodTests
{
    private static readonly RegionCode Nanchong = RegionCode.Parse("511300"), Shenzhen = RegionCode.Parse("440300");

    private static LedgerPosting Posting(string id) =>
        new(Keys.SettlementKey("H440300001", id), "H440300001", Nanchong, Shenzhen, new FundAmounts(60m, 0m, 0m, 0m, 0m), 100m, 40m);

    [Theory]
    [InlineData("2026-05-31T15:59:59Z", "2026-05")]
    [InlineData("2026-05-31T16:00:00Z", "2026-06")]
    [InlineData("2026-05-31T23:00:00Z", "2026-06")]
    public async Task A_posting_lands_in_the_China_month_of_its_completion(string completedAt, string period)
    {
        var at = DateTimeOffset.Parse(completedAt, System.Globalization.CultureInfo.InvariantCulture);
        var clock = new FakeTimeProvider(at);
        var storage = GatewayStorage.InMemory(new InMemoryTableStore(clock));
        await storage.EnsureCreatedAsync();
        var ledger = new LedgerStore(storage, [Nanchong, Shenzhen], clock);
        var entry = await ledger.PostAsync(Posting("china-" + period.Replace("-", "")), at, CancellationToken.None);
        Assert.Equal(period, entry.Period.ToString());
    }

    [Fact]
    public async Task The_month_end_close_waits_for_the_China_month_to_end_and_runs_once()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-05-31T15:30:00Z", System.Globalization.CultureInfo.InvariantCulture)); // 23:30 in Beijing
        var storage = GatewayStorage.InMemory(new InMemoryTableStore(clock));
        await storage.EnsureCreatedAsync();
        var ledger = new LedgerStore(storage, [Nanchong, Shenzhen], clock);
        await ledger.PostAsync(Posting("may"), clock.GetUtcNow(), CancellationToken.None);
        var close = new ClosePeriodFunction(ledger, clock);

        await close.HandleAsync(CancellationToken.None); // still May in China: closes April (empty), not May
        Assert.False(await ledger.IsClosedAsync(ClearingPeriod.Parse("2026-05"), CancellationToken.None));
        Assert.True(await ledger.IsClosedAsync(ClearingPeriod.Parse("2026-04"), CancellationToken.None));

        clock.SetUtcNow(DateTimeOffset.Parse("2026-05-31T16:05:00Z", System.Globalization.CultureInfo.InvariantCulture)); // 00:05 on 1 June in Beijing
        var first = await close.HandleAsync(CancellationToken.None);
        Assert.True(await ledger.IsClosedAsync(ClearingPeriod.Parse("2026-05"), CancellationToken.None));
        Assert.Contains("closed 2026-05", first.Logs.Single());
        clock.Advance(TimeSpan.FromDays(1)); // the daily timer again: nothing to do
        Assert.Contains("closed already", (await close.HandleAsync(CancellationToken.None)).Logs.Single());
    }
}
