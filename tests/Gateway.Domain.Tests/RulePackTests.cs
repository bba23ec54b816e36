using Newtonsoft.Json.Linq;

namespace Gateway.Domain.Tests;

public sealed class RulePackTests
{
    private static string Seed(string region) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "seed-packs", region + ".json"));

    private static RulePackFormatException Broken(Action<JObject> change)
    {
        var o = JObject.Parse(Seed("511300"));
        change(o);
        return Assert.Throws<RulePackFormatException>(() => RulePackLoader.Load(o.ToString(), "511300-broken.json"));
    }

    [Fact]
    public void The_four_seed_packs_load_with_the_spec_numbers()
    {
        var packs = RulePackSet.Default;
        Assert.Equal(["350200", "440300", "441900", "511300"], packs.Regions.Select(r => r.Value).Order());
        var nanchong = packs.Get(RegionCode.Parse("511300"), new DateOnly(2026, 6, 1));
        Assert.Equal(150m, nanchong.Deductible.Inpatient[RulePack.Index(InsuranceType.Resident, HospitalLevel.Level1)]);
        Assert.Equal(0.85m, nanchong.Basic.InpatientRatio[RulePack.Index(InsuranceType.Resident, HospitalLevel.Level1)]);
        var shenzhen = packs.Get(RegionCode.Parse("440300"), new DateOnly(2026, 6, 1));
        Assert.Equal(486_000m, shenzhen.Basic.AnnualCap(new MemberProfile("m", shenzhen.Region, InsuranceType.Employee, false, new DateOnly(1980, 1, 1), 9,
            AssistanceCategory.None, false, [], [], 0m, MemberStatus.Active)));
        Assert.Equal(1_000_000m, shenzhen.Supplementary!.AnnualCap);
        var dongguan = packs.Get(RegionCode.Parse("441900"), new DateOnly(2026, 6, 1));
        Assert.Equal(new AssistanceTerms(7000m, 0.60m), dongguan.Assistance!.Categories[(int)AssistanceCategory.LowIncome]);
        var xiamen = packs.Get(RegionCode.Parse("350200"), new DateOnly(2026, 6, 1));
        Assert.Equal(1_200_000m, xiamen.CombinedAnnualCap![0]);
    }

    [Fact]
    public void A_missing_field_is_named_with_file_and_path()
    {
        var e = Broken(o => ((JObject)o["basicFund"]!).Remove("inpatientRatio"));
        Assert.Equal("511300-broken.json", e.File);
        Assert.Equal("$.basicFund.inpatientRatio", e.JsonPath);
        Assert.Contains("required", e.Problem);
    }

    [Fact]
    public void A_layers_national_field_and_fund_pay_type_are_pack_data_checked_where_they_are()
    {
        var e = Broken(o => o["majorIllness"]!["nationalField"] = new JObject { ["employee"] = "hifob_pay", ["resident"] = "big_pay" });
        Assert.Equal("$.majorIllness.nationalField.resident", e.JsonPath);
        Assert.Contains("national setlinfo field", e.Problem);
        var code = Broken(o => o["assistance"]!["fundPayType"] = "6101");
        Assert.Equal("$.assistance.fundPayType", code.JsonPath);
        Assert.Contains("six digits", code.Problem);
        var account = Broken(o => o["personalAccount"]!["nationalField"] = "hifp_pay");
        Assert.Equal("$.personalAccount.nationalField", account.JsonPath);

        // A fifth region says otherwise without code: its major-illness layer reports to oth_pay under its own code.
        var json = JObject.Parse(Seed("511300"));
        json["majorIllness"]!["nationalField"] = "oth_pay";
        json["majorIllness"]!["fundPayType"] = "399900";
        ((JObject)json["basicFund"]!).Remove("nationalField");
        var pack = RulePackLoader.Load(json.ToString(), "fifth.json");
        Assert.Equal("oth_pay", pack.National.MajorIllness.Field(InsuranceType.Resident));
        Assert.Equal("399900", pack.National.MajorIllness.FundPayType(InsuranceType.Employee));
        Assert.Equal("hifp_pay", pack.National.BasicFund.Field(InsuranceType.Employee)); // the default where a pack says nothing
    }

    [Fact]
    public void A_misspelt_property_is_an_error_not_a_silent_default()
    {
        var e = Broken(o => o["basicFund"]!["retireeUplfit"] = "0.05");
        Assert.Equal("$.basicFund.retireeUplfit", e.JsonPath);
        Assert.Contains("unknown property", e.Problem);
    }

    [Fact]
    public void A_ratio_above_one_is_rejected_where_it_is()
    {
        var e = Broken(o => o["basicFund"]!["inpatientRatio"]!["resident"]!["level3"] = "60");
        Assert.Equal("$.basicFund.inpatientRatio.resident.level3", e.JsonPath);
        Assert.Contains("between 0 and 1", e.Problem);
    }

    [Fact]
    public void Segments_must_be_contiguous_from_zero()
    {
        var e = Broken(o => o["majorIllness"]!["segments"]![1]!["from"] = "60000.00");
        Assert.Equal("$.majorIllness.segments[1].from", e.JsonPath);
    }

    [Fact]
    public void Broken_json_is_reported_with_the_file()
    {
        var e = Assert.Throws<RulePackFormatException>(() => RulePackLoader.Load("{ \"packId\": ", "x.json"));
        Assert.Equal("x.json", e.File);
        Assert.Contains("not valid JSON", e.Problem);
    }

    [Fact]
    public void A_fifth_region_is_a_new_file_not_code()
    {
        var set = RulePackSet.LoadDirectory(Path.Combine(AppContext.BaseDirectory, "Packs"));
        var hangzhou = RegionCode.Parse("330100");
        Assert.True(set.Knows(hangzhou));
        var encounter = new Encounter("H1", RegionCode.Parse("440300"), HospitalLevel.Level3, EncounterType.Inpatient, new DateOnly(2026, 5, 1), new DateOnly(2026, 5, 9),
            ["I21.9"], null, false, false, null, [new EncounterLine(1, "D001", null, 40, 25m, 1000m)]);
        var member = new MemberProfile("Z1", hangzhou, InsuranceType.Resident, false, new DateOnly(1980, 1, 1), 5, AssistanceCategory.None, false, [],
            [new Filing(RegionCode.Parse("440300"), new DateOnly(2026, 1, 1), null)], 0m, MemberStatus.Active);
        var r = SettlementEngine.Settle(WorkedExampleData.CatalogFor(RegionCode.Parse("440300")), set, encounter, member, AnnualAccumulators.Empty(2026));
        // Deductible 800 (Xiamen's numbers), 70%: (1,000 − 800) × 0.7 = 140.00.
        Assert.Equal(140.00m, r.Split.BasicFund);
        Assert.Equal("330100-test", r.PackId);
    }

    [Fact]
    public void No_pack_for_the_service_date_is_a_typed_rejection()
    {
        var e = Assert.Throws<RejectedException>(() => RulePackSet.Default.Get(RegionCode.Parse("511300"), new DateOnly(2024, 6, 1)));
        Assert.Equal(RejectionCode.RulePackMissing, e.Rejection.Code);
        var unknown = Assert.Throws<RejectedException>(() => RulePackSet.Default.Get(RegionCode.Parse("110100"), new DateOnly(2026, 6, 1)));
        Assert.Equal(RejectionCode.UnknownHomeRegion, unknown.Rejection.Code);
    }
}
