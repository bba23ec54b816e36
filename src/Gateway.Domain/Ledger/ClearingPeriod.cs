using System.Globalization;

namespace Gateway.Domain;

/// <summary>A clearing period (清算期): a calendar month in China Standard Time (<see cref="ChinaTime"/>), written yyyy-MM.</summary>
public readonly record struct ClearingPeriod(int Year, int Month) : IComparable<ClearingPeriod>
{
    /// <summary>The period of an instant: its month in China (07:00 Beijing time on 1 June, 23:00 UTC on 31 May, is June).</summary>
    public static ClearingPeriod Of(DateTimeOffset at) => Of(ChinaTime.DateOf(at));

    /// <summary>The instant the period starts (00:00 China time on its first day).</summary>
    public DateTimeOffset Start => ChinaTime.StartOf(new DateOnly(Year, Month, 1));

    /// <summary>The instant the period ends (the start of the next).</summary>
    public DateTimeOffset End => Next().Start;

    public static ClearingPeriod Of(DateOnly date) => new(date.Year, date.Month);

    public static bool TryParse(string? s, out ClearingPeriod period)
    {
        period = default;
        if (s is null || s.Length != 7 || s[4] != '-') return false;
        if (!int.TryParse(s.AsSpan(0, 4), NumberStyles.None, CultureInfo.InvariantCulture, out var y)
            || !int.TryParse(s.AsSpan(5, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var m) || m is < 1 or > 12 || y < 2000) return false;
        period = new ClearingPeriod(y, m);
        return true;
    }

    public static ClearingPeriod Parse(string s) => TryParse(s, out var p) ? p : throw new FormatException($"'{s}' is not a clearing period yyyy-MM.");

    public ClearingPeriod Next() => Month == 12 ? new(Year + 1, 1) : new(Year, Month + 1);

    public ClearingPeriod Previous() => Month == 1 ? new(Year - 1, 12) : new(Year, Month - 1);

    public int CompareTo(ClearingPeriod other) => (Year * 12 + Month).CompareTo(other.Year * 12 + other.Month);

    public static bool operator <(ClearingPeriod a, ClearingPeriod b) => a.CompareTo(b) < 0;
    public static bool operator >(ClearingPeriod a, ClearingPeriod b) => a.CompareTo(b) > 0;
    public static bool operator <=(ClearingPeriod a, ClearingPeriod b) => a.CompareTo(b) <= 0;
    public static bool operator >=(ClearingPeriod a, ClearingPeriod b) => a.CompareTo(b) >= 0;

    public override string ToString() => $"{Year:D4}-{Month:D2}";
}
