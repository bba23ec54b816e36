using FsCheck;
using FsCheck.Fluent;

namespace Gateway.Domain.Tests;

/// <summary>
/// The pricer forms its totals and checks its lines with exact integer arithmetic when the figures are small, and builds
/// the per-line breakdown on demand: these pin that it gives the very decimals the decimal rules give (value, scale and even
/// the sign bit decimal leaves on some zero differences).
/// </summary>
public sealed class PricingArithmeticTests
{
    private static readonly Config Config = Config.QuickThrowOnFailure.WithMaxTest(2000);
    private static readonly RegionCode Region = RegionCode.Parse("440300");
    private static readonly DateOnly Date = new(2026, 5, 12);

    private static int[] Bits(decimal d) => decimal.GetBits(d);

    private static bool Same(decimal a, decimal b) => Bits(a).AsSpan().SequenceEqual(Bits(b));

    /// <summary>Any decimal: 96-bit integers small and large, either sign, scales 0–28.</summary>
    private static readonly Gen<int> AnyInt = from a in Gen.Choose(0, 65535) from b in Gen.Choose(0, 65535) select (a << 16) | b;

    private static readonly Gen<decimal> AnyDecimal =
        from lo in AnyInt
        from mid in Gen.Frequency((3, Gen.Constant(0)), (1, Gen.Choose(0, 3)), (1, AnyInt))
        from hi in Gen.Frequency((6, Gen.Constant(0)), (1, AnyInt))
        from negative in Gen.Frequency((5, Gen.Constant(false)), (1, Gen.Constant(true)))
        from scale in Gen.Choose(0, 28)
        from midpoint in Gen.Elements(false, true)
        select new decimal(midpoint ? lo / 10 * 10 + 5 : lo, mid, hi, negative, (byte)scale);

    [Fact]
    public void Money_Round_is_Math_Round_half_away_from_zero_to_the_bit()
    {
        Prop.ForAll(AnyDecimal.ToArbitrary(), d => Same(Money.Round(d), Math.Round(d, 2, MidpointRounding.AwayFromZero))).Check(Config);
        foreach (var d in new[] { 0.005m, 0.0050m, 0.0049999m, 0.00m, -0m, -0.005m, 1.125m, 99_999_999.995m, 1.2000m, 0.0000m, 18446744073709551615.555m })
            Assert.True(Same(Money.Round(d), Math.Round(d, 2, MidpointRounding.AwayFromZero)), d.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Items with ceilings and ratios of every scale, some outside the integer path's domain (7 digits, ratio above 1, negative).</summary>
    private static readonly Dictionary<string, CatalogItem> Items = new(StringComparer.Ordinal)
    {
        ["A0"] = new(CatalogClass.A, 0m, null, null, null, ItemCategory.Drug),
        ["A1"] = new(CatalogClass.A, 0m, 12.5m, null, null, ItemCategory.Drug),
        ["A2"] = new(CatalogClass.A, 0m, 3.1415m, null, null, ItemCategory.Drug),
        ["A3"] = new(CatalogClass.A, 0m, 0m, null, null, ItemCategory.Drug),
        ["B0"] = new(CatalogClass.B, 0.10m, null, null, null, ItemCategory.Drug),
        ["B1"] = new(CatalogClass.B, 0.125m, 99.999m, null, null, ItemCategory.Drug),
        ["B2"] = new(CatalogClass.B, 1m, 7m, null, null, ItemCategory.Drug),
        ["B3"] = new(CatalogClass.B, 0m, 1m, null, null, ItemCategory.Drug),
        ["B4"] = new(CatalogClass.B, 0.5m, 0.005m, null, null, ItemCategory.Drug),
        ["B5"] = new(CatalogClass.B, 1.0000m, 50.00000m, null, null, ItemCategory.Drug),
        ["B6"] = new(CatalogClass.B, 0.1234567m, 20.123456m, null, null, ItemCategory.Drug),
        ["B7"] = new(CatalogClass.B, 1.5m, -5m, null, null, ItemCategory.Drug),
        ["C0"] = new(CatalogClass.C, 0.3m, 10m, null, null, ItemCategory.Drug),
        ["V0"] = new(CatalogClass.B, 0.2m, 5m, new DateOnly(2027, 1, 1), null, ItemCategory.Drug),
    };

    private static readonly string[] Codes = [.. Items.Keys, "NONE"];

    private static Gen<decimal> Scaled(int maxUnits, int maxScale) =>
        from units in Gen.Choose(0, maxUnits)
        from scale in Gen.Choose(0, maxScale)
        select new decimal(units, 0, 0, false, (byte)scale);

    /// <summary>A line whose amount is quantity × unit price rounded (sometimes with trailing zeros or off by a cent).</summary>
    private static Gen<EncounterLine> Line(int lineNo) =>
        from code in Gen.Elements(Codes)
        from quantity in Gen.OneOf(Gen.Choose(1, 400).Select(q => (decimal)q), Scaled(40_000, 4).Where(q => q > 0m))
        from price in Gen.OneOf(Scaled(300_000, 2), Scaled(30_000_000, 4), Gen.Choose(0, 100).Select(p => p * 1.00000m))
        from shape in Gen.Choose(0, 9)
        let amount = Money.Round(quantity * price)
        select new EncounterLine(lineNo, code, null, quantity, price, shape switch
        {
            0 => amount * 1.00m,
            1 => decimal.Round(amount, 0) == amount ? decimal.Round(amount, 0) : amount,
            2 => amount + 0.01m,
            3 => amount * 1.0000m,
            _ => amount,
        });

    private static readonly Gen<Encounter> Encounters =
        from count in Gen.Frequency((1, Gen.Choose(1, 2)), (1, Gen.Choose(1, 25)))
        from lines in Gen.CollectToList(Enumerable.Range(1, count), Line)
        select new Encounter("H1", Region, HospitalLevel.Level2, EncounterType.Inpatient, new DateOnly(2026, 5, 1), Date,
            ["I21.9"], null, false, false, null, lines.ToList());

    [Fact]
    public void Priced_totals_are_the_decimal_sums_of_the_priced_lines_value_and_scale()
    {
        var catalog = new Catalog(Region, "t", Items);
        Prop.ForAll(Encounters.ToArbitrary(), e =>
        {
            PricedEncounter p;
            try { p = CatalogPricer.Price(catalog, e); }
            catch (RejectedException) { return true; }
            decimal full = 0m, over = 0m, pre = 0m, inScope = 0m;
            foreach (var l in p.Lines)
            {
                if (l.FullSelfPay + l.OverLimitSelfPay + l.PreSelfPay + l.InScope != l.Amount) return false;
                full += l.FullSelfPay;
                over += l.OverLimitSelfPay;
                pre += l.PreSelfPay;
                inScope += l.InScope;
            }
            return Same(p.FullSelfPay, full) && Same(p.OverLimitSelfPay, over) && Same(p.PreSelfPay, pre) && Same(p.InScope, inScope)
                && Same(p.Total, full + over + pre + inScope);
        }).Check(Config);
    }

    /// <summary>The line checks of spec §5 on a one-line encounter, written out in decimal: the pointer of the rejection, or null.</summary>
    private static string? Rejected(EncounterLine l) =>
        decimal.Round(l.Quantity, 4) != l.Quantity ? "/lines/0/quantity"
        : l.Quantity <= 0m || l.UnitPrice < 0m || l.Amount < 0m || l.Amount > Money.AbsurdAmount || l.UnitPrice > Money.AbsurdAmount || l.Quantity > 1_000_000m ? "/lines/0"
        : decimal.Round(l.Amount, 2) != l.Amount || decimal.Round(l.UnitPrice, 4) != l.UnitPrice ? "/lines/0/amount"
        : Math.Abs(l.Quantity * l.UnitPrice - l.Amount) > 0.01m ? "/lines/0/amount (arithmetic)"
        : l.Amount > Money.AbsurdAmount ? "/lines"
        : null;

    private static decimal Billed(decimal quantity, decimal price, bool rounded, decimal delta)
    {
        try { return (rounded ? Math.Round(quantity * price, 2, MidpointRounding.AwayFromZero) : quantity * price) + delta; }
        catch (OverflowException) { return price; }
    }

    [Fact]
    public void A_line_is_accepted_or_rejected_exactly_as_the_decimal_checks_say()
    {
        var lines =
            from quantity in Gen.Frequency((4, Scaled(400, 0)), (4, Scaled(400_000, 3)), (1, Scaled(2_000_000, 0)), (1, AnyDecimal))
            from price in Gen.Frequency((4, Scaled(300_000, 2)), (4, Scaled(3_000_000, 4)), (1, Scaled(int.MaxValue, 2)), (1, Scaled(1000, 6)), (1, AnyDecimal))
            from delta in Gen.Elements(0m, 0.01m, -0.01m, 0.011m, 0.0100m, 0.005m, 1m, 0.00m)
            from rounded in Gen.Elements(true, false)
            select new EncounterLine(1, "A0", null, quantity, price, Billed(quantity, price, rounded, delta));
        static bool SameVerdict(EncounterLine l)
        {
            var e = new Encounter("H1", Region, HospitalLevel.Level1, EncounterType.Inpatient, Date, Date, ["I21.9"], null, false, false, null, [l]);
            string? rejected = null;
            try { CatalogPricer.Validate(e); }
            catch (RejectedException x) { rejected = x.Rejection.Pointer + (x.Rejection.Code == RejectionCode.LineArithmetic ? " (arithmetic)" : ""); }
            return rejected == Rejected(l);
        }
        Prop.ForAll(lines.ToArbitrary(), SameVerdict).Check(Config);

        // The bounds, each side.
        (decimal Quantity, decimal UnitPrice, decimal Amount)[] bounds =
        [
            (1_000_000m, 0m, 0m), (1_000_000.0001m, 0m, 0m), (1_000_000.00000m, 0m, 0m), (0.0001m, 0m, 0m), (0m, 0m, 0m), (-0m, 0m, 0m),
            (1m, 100_000_000m, 100_000_000m), (1m, 100_000_000.0001m, 100_000_000m), (1m, 100_000_000.01m, 100_000_000.01m), (1m, 100_000_000m, 100_000_000.01m),
            (1m, 1m, 1.01m), (1m, 1m, 0.99m), (1m, 1m, 1.011m), (1m, 1m, 1.0100m), (1m, 1m, 0.989m), (1m, 1m, 1.010m), (1m, 1m, 1.00001m),
            (3m, 0.3333m, 1.00m), (3m, 0.3366m, 1.00m), (3m, 0.3367m, 1.00m), (1m, 1.00000m, 1m), (1m, 1.00001m, 1m), (1m, -0m, 0m), (1m, 0m, -0m),
            (1m, -0.01m, 0m), (1m, 0m, -0.01m), (0.5m, 0.03m, 0.01m), (0.5m, 0.03m, 0.02m), (0.5m, 0.03m, 0.03m),
            (0.00001m, 0m, 0m), (1.00000m, 1m, 1m), (0.0000000000000000000000000001m, 1m, 0m), (2.12345m, 1m, 2.12m),
        ];
        foreach (var (q, p, a) in bounds) Assert.True(SameVerdict(new EncounterLine(1, "A0", null, q, p, a)), $"{q} × {p} = {a}");
    }

    [Fact]
    public void The_encounter_total_limit_counts_every_line()
    {
        var lines = Enumerable.Range(1, 3).Select(i => new EncounterLine(i, "A0", null, 1m, 40_000_000m, 40_000_000m)).ToList();
        var e = new Encounter("H1", Region, HospitalLevel.Level1, EncounterType.Inpatient, Date, Date, ["I21.9"], null, false, false, null, lines);
        Assert.Equal(RejectionCode.NegativeOrAbsurdAmount, Assert.Throws<RejectedException>(() => CatalogPricer.Validate(e)).Rejection.Code);
        CatalogPricer.Validate(e with { Lines = lines.Take(2).ToList() });
    }

    [Fact]
    public void Lines_are_built_once_from_the_encounter_as_priced()
    {
        var catalog = new Catalog(Region, "t", Items);
        var lines = new List<EncounterLine> { new(1, "B1", null, 2m, 120m, 240m), new(2, "C0", null, 1m, 9.99m, 9.99m), new(3, "NONE", null, 3m, 1.5m, 4.5m) };
        var e = new Encounter("H1", Region, HospitalLevel.Level2, EncounterType.Inpatient, new DateOnly(2026, 5, 1), Date, ["I21.9"], null, false, false, null, lines);
        var p = CatalogPricer.Price(catalog, e);
        var other = p with { Encounter = e with { Lines = [new EncounterLine(9, "A0", null, 1m, 1m, 1m)] } };

        Assert.Same(p.Lines, p.Lines);
        Assert.Equal(
            [new PricedLine(1, "B1", LinePricing.ClassB, 240m, 0m, 40.00m, 25.00m, 175.00m, 99.999m, 0.125m),
             new PricedLine(2, "C0", LinePricing.ClassC, 9.99m, 9.99m, 0m, 0m, 0m, 10m, 0m),
             new PricedLine(3, "NONE", LinePricing.NotInCatalog, 4.5m, 4.5m, 0m, 0m, 0m, null, 0m)],
            other.Lines);
        Assert.Equal(p, other with { Encounter = e });
        Assert.Equal("254.49 14.49 40.00 25.00 175.00",
            string.Join(' ', new[] { p.Total, p.FullSelfPay, p.OverLimitSelfPay, p.PreSelfPay, p.InScope }.Select(d => d.ToString(System.Globalization.CultureInfo.InvariantCulture))));
    }

    [Fact]
    public void Lines_are_not_explained_from_a_catalog_changed_after_pricing()
    {
        var items = new Dictionary<string, CatalogItem>(Items, StringComparer.Ordinal);
        var catalog = new Catalog(Region, "t", items);
        var e = new Encounter("H1", Region, HospitalLevel.Level2, EncounterType.Inpatient, new DateOnly(2026, 5, 1), Date, ["I21.9"], null, false, false, null,
            [new EncounterLine(1, "B0", null, 1m, 100m, 100m)]);
        var p = CatalogPricer.Price(catalog, e);
        items["B0"] = items["B0"] with { PreSelfPayRatio = 0.5m };
        Assert.Throws<InvalidOperationException>(() => p.Lines);
    }
}
