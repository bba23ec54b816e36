namespace Gateway.Domain;

/// <summary>
/// Yuan amounts. Every product is rounded once, half away from zero, to 0.01 (spec §3);
/// sums of rounded amounts need no rounding, so identities hold exactly.
/// </summary>
public static class Money
{
    public static decimal Round(decimal value)
    {
        // Exactly Math.Round(value, 2, AwayFromZero), value and scale: in integers when the value is small and not negative.
        if (SmallDecimal.TryGet(value, out var raw, out var scale) && scale <= 18)
        {
            return scale <= 2 ? value : SmallDecimal.ToDecimal(SmallDecimal.Round2(raw, scale, out var resultScale), resultScale);
        }
        return Math.Round(value, 2, MidpointRounding.AwayFromZero);
    }

    public static decimal Min(decimal a, decimal b) => a < b ? a : b;

    public static decimal Max(decimal a, decimal b) => a > b ? a : b;

    public static decimal NonNegative(decimal a) => a < 0m ? 0m : a;

    public static string Format(decimal value) => Round(value).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Amounts beyond this are treated as absurd input (a single encounter of 100 million yuan).</summary>
    public const decimal AbsurdAmount = 100_000_000m;
}
