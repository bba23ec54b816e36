using System.Globalization;
using Gateway.Domain;
using Newtonsoft.Json.Linq;

namespace Gateway.Domain.Tests;

/// <summary>
/// Rules whose seed values hide them: every seed pack has a second-admission factor of 1 and special-outpatient
/// deductibles of 0, so a bug there would not move a single worked example. These run Nanchong's pack with those
/// values changed (a region's next year's pack could well do so), figures computed by hand in each test.
/// Bill S (spec §8): total 7,208.80, in scope 4,543.00. Bill O: D003 30 × 5.00 (A) + D004 2 × 120.00 (B, 5%):
/// total 390.00, pre-self-pay 12.00, in scope 378.00. Nanchong, resident, level 3: deductible 800, ratio 60%.
/// </summary>
public sealed class PackVariationTests
{
    private static RulePack Nanchong(Action<JObject> change)
    {
        var json = JObject.Parse(File.ReadAllText(Path.Combine(RepoRoot(), "packs", "511300.json")));
        change(json);
        return RulePackLoader.Load(json.ToString(), "511300-variant.json");
    }

    private static string RepoRoot()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "Gateway.sln"))) d = d.Parent;
        return d?.FullName ?? throw new InvalidOperationException("Gateway.sln not found above the test output.");
    }

    private static Scenario Scenario(string bill, Action<JObject>? change = null)
    {
        var bills = (JObject)JObject.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "WorkedExamples", "bills.json")))["bills"]!;
        var o = new JObject
        {
            ["id"] = "variant",
            ["treatmentRegion"] = "440300",
            ["member"] = new JObject { ["homeRegion"] = "511300", ["insuranceType"] = "resident", ["birthDate"] = "1981-03-02", ["filed"] = true, ["continuousYears"] = 7 },
            ["encounter"] = new JObject
            {
                ["encounterType"] = "inpatient", ["hospitalLevel"] = 3, ["admissionDate"] = "2026-05-01", ["dischargeDate"] = "2026-05-09",
                ["diagnoses"] = new JArray("I21.9"), ["lines"] = bills[bill]!.DeepClone(),
            },
        };
        change?.Invoke(o);
        return ScenarioReader.Read(o);
    }

    private static SettlementResult Settle(RulePack pack, Scenario s) =>
        PolicyEngine.Evaluate(pack, CatalogPricer.Price(WorkedExampleData.CatalogFor(s.Encounter.TreatmentRegion), s.Encounter), s.Member, s.Accumulators);

    private static decimal D(string s) => decimal.Parse(s, CultureInfo.InvariantCulture);

    [Fact]
    public void A_second_admission_multiplies_the_deductible_by_the_packs_factor()
    {
        var pack = Nanchong(p => p["deductible"]!["secondAdmissionFactor"] = "1.5");
        var first = Settle(pack, Scenario("S"));
        Assert.Equal(D("800.00"), first.Split.Deductible);            // the first admission of the year: no factor
        Assert.Equal(D("2245.80"), first.Split.BasicFund);
        Assert.False(first.Notes.HasFlag(SettlementNotes.SecondAdmission));

        var second = Settle(pack, Scenario("S", o => o["accumulators"] = new JObject { ["admissions"] = 1 }));
        Assert.Equal(D("1200.00"), second.Split.Deductible);          // 800 × 1.5
        Assert.Equal(D("2005.80"), second.Split.BasicFund);           // (4,543 − 1,200) × 0.6
        Assert.Equal(D("5203.00"), second.Split.CashPay);             // 7,208.80 − 2,005.80
        Assert.True(second.Notes.HasFlag(SettlementNotes.SecondAdmission));
        Assert.Contains(second.Explain(), step => step.Code == "deductible" && step.Text.Contains("second or later admission", StringComparison.Ordinal));
        Assert.Equal(1, second.Delta.Admissions);
    }

    [Theory]
    [InlineData("0.00", "300.00", "46.80")]    // (378 − 300) × 0.6
    [InlineData("200.00", "100.00", "166.80")] // 300 − 200 left: (378 − 100) × 0.6
    [InlineData("300.00", "0.00", "226.80")]   // paid in full this year: 378 × 0.6
    public void A_special_outpatient_annual_deductible_per_disease_is_due_less_what_was_paid_toward_it(string paidBefore, string deductible, string basic)
    {
        var pack = Nanchong(p => p["deductible"]!["specialOutpatientAnnual"]!["byDisease"] = new JObject { ["E11"] = "300.00" });
        var s = Scenario("O", o =>
        {
            o["member"]!["specialDiseases"] = new JArray("E11");
            var e = (JObject)o["encounter"]!;
            e["encounterType"] = "specialOutpatient";
            e["specialDiseaseCode"] = "E11";
            e["diagnoses"] = new JArray("E11.9");
            e["dischargeDate"] = "2026-05-01";
            o["accumulators"] = new JObject { ["specialDeductiblePaid"] = new JObject { ["E11"] = paidBefore } };
        });
        var r = Settle(pack, s);
        Assert.Equal(D("378.00"), r.Split.InScope);
        Assert.Equal(D(deductible), r.Split.Deductible);
        Assert.Equal(D(basic), r.Split.BasicFund);
        Assert.Equal(D("390.00") - D(basic), r.Split.CashPay);
        Assert.Equal(D(paidBefore) + D(deductible), r.After.SpecialDeductiblePaidFor("E11"));
        Assert.Equal(0, r.Delta.Admissions); // an outpatient visit is not an admission
    }

    [Fact]
    public void Another_diseases_deductible_paid_this_year_does_not_count_toward_this_one()
    {
        var pack = Nanchong(p => p["deductible"]!["specialOutpatientAnnual"]!["byDisease"] = new JObject { ["E11"] = "300.00" });
        var s = Scenario("O", o =>
        {
            o["member"]!["specialDiseases"] = new JArray("E11", "I10");
            var e = (JObject)o["encounter"]!;
            e["encounterType"] = "specialOutpatient";
            e["specialDiseaseCode"] = "E11";
            e["diagnoses"] = new JArray("E11.9");
            e["dischargeDate"] = "2026-05-01";
            o["accumulators"] = new JObject { ["specialDeductiblePaid"] = new JObject { ["I10"] = "300.00" } };
        });
        Assert.Equal(D("300.00"), Settle(pack, s).Split.Deductible);
    }

    [Fact]
    public void An_upward_referral_whose_referring_settlement_is_unknown_owes_the_full_deductible_and_says_so()
    {
        var pack = RulePackSet.Default.Get(RegionCode.Parse("511300"), new DateOnly(2026, 5, 9));
        var r = Settle(pack, Scenario("S", o => o["encounter"]!["referral"] = new JObject { ["type"] = "upward", ["referringSettlementId"] = "H511300002~UNKNOWN" }));
        Assert.Equal(D("800.00"), r.Split.Deductible);
        Assert.Equal(D("2245.80"), r.Split.BasicFund);
        Assert.True(r.Notes.HasFlag(SettlementNotes.ReferringSettlementUnknown));
        Assert.Contains(r.Explain(), step => step.Code == "deductible" && step.Text.Contains("referring settlement is unknown", StringComparison.Ordinal));

        var known = Settle(pack, Scenario("S", o => o["encounter"]!["referral"] = new JObject { ["type"] = "upward", ["referringSettlementId"] = "H511300002~R1", ["referringDeductiblePaid"] = "150.00" }));
        Assert.Equal(D("650.00"), known.Split.Deductible);
        Assert.False(known.Notes.HasFlag(SettlementNotes.ReferringSettlementUnknown));
    }

    [Fact]
    public void A_downward_referral_starts_no_new_deductible()
    {
        var pack = RulePackSet.Default.Get(RegionCode.Parse("511300"), new DateOnly(2026, 5, 9));
        var r = Settle(pack, Scenario("S", o => o["encounter"]!["referral"] = new JObject { ["type"] = "downward", ["referringSettlementId"] = "H511300002~R1" }));
        Assert.Equal(0m, r.Split.Deductible);
        Assert.Equal(D("2725.80"), r.Split.BasicFund); // 4,543 × 0.6
        Assert.True(r.Notes.HasFlag(SettlementNotes.DownwardReferral));
    }
}
