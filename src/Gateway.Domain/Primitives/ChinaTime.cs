namespace Gateway.Domain;

/// <summary>
/// The one zone of the gateway: China Standard Time (UTC+8, no daylight saving). Clearing periods are its calendar months,
/// reconciliation days its calendar days, "today" (the future-date check) its date. Instants are stored in UTC; this is the
/// only place that turns them into days.
/// </summary>
public static class ChinaTime
{
    public static readonly TimeSpan Offset = TimeSpan.FromHours(8);

    /// <summary>The calendar day in China at <paramref name="at"/>.</summary>
    public static DateOnly DateOf(DateTimeOffset at) => DateOnly.FromDateTime(at.ToOffset(Offset).DateTime);

    public static DateOnly Today(TimeProvider clock) => DateOf(clock.GetUtcNow());

    /// <summary>The instant a China calendar day starts (00:00 UTC+8 = 16:00 UTC the day before), as a UTC value.</summary>
    public static DateTimeOffset StartOf(DateOnly day) => new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), Offset).ToUniversalTime();

    /// <summary>The instants [start, end) of the China calendar days <paramref name="from"/> to <paramref name="to"/> inclusive.</summary>
    public static (DateTimeOffset From, DateTimeOffset To) Days(DateOnly from, DateOnly to) => (StartOf(from), StartOf(to.AddDays(1)));
}
