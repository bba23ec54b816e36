using System.Globalization;
using Newtonsoft.Json.Linq;

namespace Gateway.Domain.Tests;

/// <summary>Every worked example in WorkedExamples/*.json reproduces to the cent.</summary>
public sealed class WorkedExampleTests
{
    private const int MinimumExamples = 40;

    public static TheoryData<string, string> Examples()
    {
        var data = new TheoryData<string, string>();
        foreach (var (file, ex) in WorkedExampleData.All()) data.Add(file, (string)ex["id"]!);
        return data;
    }

    [Fact]
    public void There_are_at_least_forty_worked_examples_across_the_four_seed_regions()
    {
        var all = WorkedExampleData.All().Select(x => x.Example).ToList();
        Assert.True(all.Count >= MinimumExamples, $"only {all.Count} worked examples");
        var homes = all.Select(x => (string?)x["member"]?["homeRegion"]).ToHashSet();
        Assert.Superset(new HashSet<string?> { "440300", "441900", "511300", "350200" }, homes);
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Worked_example_reproduces_to_the_cent(string file, string id)
    {
        var ex = WorkedExampleData.All().Single(x => x.File == file && (string)x.Example["id"]! == id).Example;
        var scenario = ScenarioReader.Read(ex);
        var expected = (JObject)ex["expected"]!;
        var catalog = WorkedExampleData.CatalogFor(scenario.Encounter.TreatmentRegion);

        if (expected.TryGetValue("rejection", out var rejection))
        {
            var e = Assert.Throws<RejectedException>(() => SettlementEngine.Settle(catalog, RulePackSet.Default, scenario.Encounter, scenario.Member, scenario.Accumulators));
            Assert.Equal((string)rejection!, e.Rejection.Name);
            return;
        }

        var r = SettlementEngine.Settle(catalog, RulePackSet.Default, scenario.Encounter, scenario.Member, scenario.Accumulators);
        var s = r.Split;
        var actual = new Dictionary<string, decimal>
        {
            ["total"] = s.Total, ["fullSelfPay"] = s.FullSelfPay, ["overLimitSelfPay"] = s.OverLimitSelfPay, ["preSelfPay"] = s.PreSelfPay,
            ["inScope"] = s.InScope, ["deductible"] = s.Deductible, ["ratio"] = r.Ratio, ["basicFund"] = s.BasicFund,
            ["supplementaryFund"] = s.SupplementaryFund, ["majorIllnessFund"] = s.MajorIllnessFund, ["assistanceFund"] = s.AssistanceFund,
            ["accountPay"] = s.AccountPay, ["cashPay"] = s.CashPay, ["fundTotal"] = s.FundTotal, ["capShortfall"] = s.CapShortfall,
            ["majorQualifying"] = r.Delta.MajorQualifying, ["assistanceQualifying"] = r.Delta.AssistanceQualifying,
            ["majorIllnessOutOfCatalog"] = r.MajorIllnessOutOfCatalog, ["burdenCeilingPaid"] = r.BurdenCeilingPaid,
        };
        Assert.True(expected.ContainsKey("cashPay") && expected.ContainsKey("fundTotal"), "every example pins cashPay and fundTotal");
        foreach (var p in expected.Properties())
        {
            if (p.Name == "notes") continue;
            Assert.True(actual.ContainsKey(p.Name), $"unknown expected field {p.Name}");
            var want = decimal.Parse((string)p.Value!, CultureInfo.InvariantCulture);
            Assert.True(want == actual[p.Name], $"{id}: {p.Name} expected {want} but was {actual[p.Name]}");
        }
        Assert.Equal(s.Total, s.FundTotal + s.AccountPay + s.CashPay);
        Assert.Equal(s.Total, s.FullSelfPay + s.OverLimitSelfPay + s.PreSelfPay + s.InScope);
    }
}
