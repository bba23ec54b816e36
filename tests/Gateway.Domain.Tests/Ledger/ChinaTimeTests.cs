using Gateway.Domain;
using Xunit;

namespace Gateway.Domain.Tests.Ledger;

/// <summary>One zone: clearing periods and days are China Standard Time (UTC+8), whatever the instant's own offset.</summary>
public sealed class ChinaTimeTests
{
    [Theory]
    [InlineData("2026-05-31T15:59:59.9999999Z", "2026-05")] // 23:59:59 on 31 May in Beijing
    [InlineData("2026-05-31T16:00:00Z", "2026-06")]          // 00:00 on 1 June in Beijing
    [InlineData("2026-05-31T23:00:00Z", "2026-06")]          // 07:00 on 1 June in Beijing: June, not the UTC month May
    [InlineData("2026-06-01T07:00:00+08:00", "2026-06")]
    [InlineData("2026-12-31T16:00:00Z", "2027-01")]          // the year turns in China first
    [InlineData("2026-12-31T15:59:59Z", "2026-12")]
    [InlineData("2026-06-30T20:00:00-05:00", "2026-07")]     // 01:00 UTC 1 July = 09:00 in Beijing
    public void A_period_is_the_China_calendar_month_of_the_instant(string instant, string period)
    {
        Assert.Equal(period, ClearingPeriod.Of(DateTimeOffset.Parse(instant, System.Globalization.CultureInfo.InvariantCulture)).ToString());
    }

    [Fact]
    public void A_period_starts_and_ends_at_midnight_in_China()
    {
        var june = ClearingPeriod.Parse("2026-06");
        Assert.Equal(DateTimeOffset.Parse("2026-05-31T16:00:00Z", System.Globalization.CultureInfo.InvariantCulture), june.Start);
        Assert.Equal(DateTimeOffset.Parse("2026-06-30T16:00:00Z", System.Globalization.CultureInfo.InvariantCulture), june.End);
        Assert.Equal(june.Next().Start, june.End);
        Assert.Equal(june, ClearingPeriod.Of(june.Start));
        Assert.Equal(june.Previous(), ClearingPeriod.Of(june.Start.AddTicks(-1)));
        Assert.Equal(TimeSpan.Zero, june.Start.Offset);
    }

    [Fact]
    public void Days_are_China_calendar_days()
    {
        var at = DateTimeOffset.Parse("2026-03-09T17:30:00Z", System.Globalization.CultureInfo.InvariantCulture); // 01:30 on 10 March in Beijing
        Assert.Equal(new DateOnly(2026, 3, 10), ChinaTime.DateOf(at));
        var (from, to) = ChinaTime.Days(new DateOnly(2026, 3, 10), new DateOnly(2026, 3, 10));
        Assert.True(from <= at && at < to);
        Assert.Equal(TimeSpan.FromHours(24), to - from);
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.Parse("2026-12-31T16:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(new DateOnly(2027, 1, 1), ChinaTime.Today(clock));
        Assert.Equal(new DateOnly(2026, 12, 31), ChinaTime.Today(new Microsoft.Extensions.Time.Testing.FakeTimeProvider(clock.GetUtcNow().AddTicks(-1))));
    }
}
