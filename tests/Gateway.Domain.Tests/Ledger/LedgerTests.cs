using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using Newtonsoft.Json.Linq;

namespace Gateway.Domain.Tests.Ledger;

public sealed class LedgerTests
{
    private static readonly RegionCode Nanchong = RegionCode.Parse("511300");
    private static readonly RegionCode Shenzhen = RegionCode.Parse("440300");
    private static readonly ClearingPeriod May = new(2026, 5);

    private static LedgerPosting Posting(string key, FundAmounts funds) => new(key, "H440300001", Nanchong, Shenzhen, funds, funds.Total + 100m, 100m);

    [Fact]
    public void A_settlement_posts_one_balanced_entry_debiting_home_funds_and_crediting_the_treatment_advance()
    {
        var e = Journal.Post(Posting("H1~S1", new FundAmounts(2245.80m, 0m, 10m, 5m, 100m)), May);
        Assert.True(e.IsBalanced);
        Assert.Equal(2360.80m, e.DebitTotal);
        Assert.Contains(e.Lines, l => l.Account == "home:511300:basic" && l.Debit == 2245.80m);
        Assert.Contains(e.Lines, l => l.Account == "treatment:440300:advancePayable" && l.Credit == 2360.80m);
        Assert.DoesNotContain(e.Lines, l => l.Account == "home:511300:supplementary");
    }

    [Fact]
    public void A_reversal_is_the_exact_mirror_in_the_open_period_and_is_not_reversed_again()
    {
        var original = Journal.Post(Posting("H1~S1", new FundAmounts(100m, 0m, 0m, 0m, 0m)), May);
        var reversal = Journal.Reverse(original, May.Next());
        Assert.Equal(new ClearingPeriod(2026, 6), reversal.Period);
        Assert.Equal(-original.Funds, reversal.Funds);
        Assert.All(original.Lines.Zip(reversal.Lines), p => Assert.Equal((p.First.Debit, p.First.Credit), (p.Second.Credit, p.Second.Debit)));
        Assert.Throws<InvalidOperationException>(() => Journal.Reverse(reversal, May.Next()));
    }

    [Fact]
    public void Netting_of_the_four_region_example_matches_the_hand_computation()
    {
        var data = JObject.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Ledger", "netting-4-regions.json")));
        decimal D(JToken? t) => t is null ? 0m : decimal.Parse((string)t!, CultureInfo.InvariantCulture);
        var positions = data["positions"]!.Select(p => new PairPosition(May, RegionCode.Parse((string)p["home"]!), RegionCode.Parse((string)p["treatment"]!),
            new FundAmounts(D(p["basic"]), D(p["supplementary"]), D(p["majorIllness"]), D(p["assistance"]), D(p["personalAccount"])), 1, 0)).ToList();
        var result = Netting.Compute(positions);
        foreach (var (region, net) in ((JObject)data["expectedNets"]!).Properties().Select(p => (p.Name, D(p.Value))))
            Assert.Equal(net, result.Regions.Single(r => r.Region.Value == region).Net);
        Assert.Equal(0m, result.Sum);
        var instructions = data["expectedInstructions"]!.Select(i => new PaymentInstruction((string)i["from"]!, (string)i["to"]!, D(i["amount"]))).ToList();
        Assert.Equal(instructions.OrderBy(i => i.From + i.To), result.Instructions.OrderBy(i => i.From + i.To));
        foreach (var b in data["expectedBilateral"]!)
            Assert.Equal(D(b["net"]), result.Bilateral.Single(x => x.A.Value == (string)b["a"]! && x.B.Value == (string)b["b"]!).Net);
    }

    private static readonly string[] Regions = ["440300", "441900", "511300", "350200"];

    private static Gen<JournalEntry> Entries =>
        from key in Gen.Choose(1, 1_000_000)
        from home in Gen.Elements(Regions)
        from treatment in Gen.Elements(Regions.Where(r => r != home).ToArray())
        from cents in Gen.ArrayOf(Gen.Choose(0, 5_000_000), 5)
        from month in Gen.Choose(4, 6)
        from reverse in Gen.Frequency((4, Gen.Constant(false)), (1, Gen.Constant(true)))
        let funds = new FundAmounts(cents[0] / 100m, cents[1] / 100m, cents[2] / 100m, cents[3] / 100m, cents[4] / 100m)
        let posted = Journal.Post(new LedgerPosting($"H1~{key}", "H1", RegionCode.Parse(home), RegionCode.Parse(treatment), funds, funds.Total, 0m), new ClearingPeriod(2026, month))
        select reverse ? Journal.Reverse(posted, new ClearingPeriod(2026, month + 1)) : posted;

    [Fact]
    public void Every_journal_balances()
    {
        Prop.ForAll(Entries.ToArbitrary(), e => e.IsBalanced && e.DebitTotal == Math.Abs(e.Funds.Total)).Check(Config.QuickThrowOnFailure.WithMaxTest(500));
    }

    [Fact]
    public void Nets_sum_to_zero_and_positions_equal_the_sum_of_journals()
    {
        Prop.ForAll(Gen.ListOf(Entries).ToArbitrary(), entries =>
        {
            var positions = PairPosition.FromJournals(entries);
            var byPeriod = positions.GroupBy(p => p.Period).All(g => Netting.Compute(g).Sum == 0m);
            var totals = positions.Sum(p => p.Total) == entries.Sum(e => e.Funds.Total);
            var counted = positions.Sum(p => p.Postings + p.Reversals) == entries.Count;
            return byPeriod && totals && counted;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(200));
    }

    [Fact]
    public void Reconciliation_reports_each_difference_exactly()
    {
        var gateway = new List<HospitalSettlementLine> { new("A", 100m, 60m, 40m), new("B", 200m, 150m, 50m), new("C", 50m, 0m, 50m) };
        var matched = Reconciliation.Compare(new HospitalTotals(3, 350m, 210m, 140m, gateway), gateway);
        Assert.True(matched.Matched);
        var hospital = new HospitalTotals(3, 360m, 210m, 150m, [new("A", 100m, 60m, 40m), new("B", 210m, 150m, 60m), new("D", 50m, 0m, 50m)]);
        var result = Reconciliation.Compare(hospital, gateway);
        Assert.False(result.Matched);
        Assert.Equal(["total", "cash", "amount", "missing-at-gateway", "missing-at-hospital"], result.Differences.Select(d => d.Kind));
        Assert.Equal("B", result.Differences.Single(d => d.Kind == "amount").HospitalSettlementId);
        Assert.Equal("D", result.Differences.Single(d => d.Kind == "missing-at-gateway").HospitalSettlementId);
        Assert.Equal("C", result.Differences.Single(d => d.Kind == "missing-at-hospital").HospitalSettlementId);
    }

    [Fact]
    public void Clearing_periods_are_calendar_months()
    {
        Assert.Equal(new ClearingPeriod(2027, 1), new ClearingPeriod(2026, 12).Next());
        // China calendar months: 23:59:59 UTC on 31 May is 07:59:59 on 1 June in Beijing (ChinaTimeTests has the boundary).
        Assert.Equal("2026-06", ClearingPeriod.Of(new DateTimeOffset(2026, 5, 31, 23, 59, 59, TimeSpan.Zero)).ToString());
        Assert.Equal("2026-05", ClearingPeriod.Of(new DateTimeOffset(2026, 5, 31, 23, 59, 59, TimeSpan.FromHours(8))).ToString());
        Assert.False(ClearingPeriod.TryParse("2026-13", out _));
    }
}
