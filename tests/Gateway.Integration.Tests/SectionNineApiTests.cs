using System.Net;
using Gateway.Domain;
using Gateway.Storage;
using Gateway.TestSupport;
using Newtonsoft.Json.Linq;

namespace Gateway.Integration.Tests;

/// <summary>
/// Spec §9's worked examples E, F, F2 and G through the HTTP API, to the cent: signed by a hospital of the treatment region,
/// priced with its shipped catalog, settled by the home region's evaluator on its queue, with members of their own.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class SectionNineApiTests(GatewayHost host)
{
    private GatewayFixture G => host.Gateway;

    /// <summary>A member of their own (no other test moves their accumulators), filed for <paramref name="filedFor"/> unless null.</summary>
    private async Task<string> MemberAsync(string home, InsuranceType type, DateOnly birth, int years, AssistanceCategory category = AssistanceCategory.None,
        bool enrolled = false, string? filedFor = null, string? disease = null, AnnualAccumulators? before = null)
    {
        var storage = new GatewayStorage(G.Azurite.ConnectionString);
        var id = "S9" + Guid.NewGuid().ToString("N")[..12];
        var region = RegionCode.Parse(home);
        var profile = new MemberProfile(id, region, type, false, birth, years, category, enrolled,
            disease is null ? [] : [new SpecialDiseaseRegistration(disease, new DateOnly(2025, 3, 1), null)],
            filedFor is null ? [] : [new Filing(RegionCode.Parse(filedFor), new DateOnly(2026, 1, 1), new DateOnly(2026, 12, 31))], 0m, MemberStatus.Active);
        await new MemberStore(storage).UpsertProfileAsync(profile, CancellationToken.None);
        if (before is not null)
            await storage.Table(GatewayStorage.MembersTable).UpsertEntityAsync(MemberRows.ToEntity(MemberRows.Partition(region, id), before));
        return id;
    }

    private static JArray BillL(JArray s)
    {
        var l = (JArray)s.DeepClone();
        l.Add(JObject.Parse("{\"lineNo\": 8, \"itemCode\": \"S002\", \"name\": \"Ward bed-day\", \"quantity\": \"300\", \"unitPrice\": \"60.00\", \"amount\": \"18000.00\"}"));
        l.Add(JObject.Parse("{\"lineNo\": 9, \"itemCode\": \"D001\", \"name\": \"Aspirin\", \"quantity\": \"2000\", \"unitPrice\": \"25.00\", \"amount\": \"50000.00\"}"));
        return l;
    }

    private async Task<JObject> SettleAsync(string hospital, string home, string member, Action<JObject> encounter)
    {
        var body = Requests.With(Requests.SpecA(Requests.NewId("s9")), o =>
        {
            o["member"] = new JObject { ["homeRegion"] = home, ["memberId"] = member };
            encounter((JObject)o["encounter"]!);
        });
        using var r = await G.Hospital(hospital).SubmitAsync(body, 20);
        var json = await Requests.Json(r);
        Assert.True(r.StatusCode == HttpStatusCode.Created, $"{(int)r.StatusCode}: {json}");
        Assert.Equal("completed", (string)json["status"]!);
        return json;
    }

    private static (string, string, string, string, string) Split(JObject settled)
    {
        var s = settled["split"]!;
        return ((string)s["basicFund"]!, (string)s["majorIllnessFund"]!, (string)s["assistanceFund"]!, (string)s["cashPay"]!, (string)s["fundTotal"]!);
    }

    [Fact]
    public async Task Example_E_out_of_catalog_item_paid_by_major_illness_in_Dongguan()
    {
        var m = await MemberAsync("440300", InsuranceType.Employee, new DateOnly(1975, 1, 10), 8, enrolled: true, filedFor: "441900");
        var e = await SettleAsync("H441900001", "440300", m, enc =>
        {
            enc["diagnoses"] = new JArray("C50.9");
            ((JArray)enc["lines"]!).Add(JObject.Parse("{\"lineNo\": 8, \"itemCode\": \"ZJ0003\", \"name\": \"重疾补充 listed drug\", \"quantity\": \"1\", \"unitPrice\": \"5000.00\", \"amount\": \"5000.00\"}"));
        });
        Assert.Equal(("3638.70", "4133.01", "0.00", "4437.09", "7771.71"), Split(e));
        Assert.Equal("12208.80", (string)e["split"]!["total"]!);
        Assert.Equal("4133.01", (string)e["national"]!["hifmi_pay"]!);
        Assert.Contains(e["explanation"]!, s => (string)s["code"]! == "majorIllnessFund.outOfCatalog" && (int)s["lineNo"]! == 8 && (string)s["amount"]! == "5000.00");
        Assert.Equal("2026.2", (string)e["packVersion"]!);
    }

    [Fact]
    public async Task Example_F_burden_ceiling_for_a_poverty_registered_special_outpatient_in_Shenzhen()
    {
        var m = await MemberAsync("511300", InsuranceType.Resident, new DateOnly(1966, 1, 15), 20, AssistanceCategory.PovertyRegistered, filedFor: "440300", disease: "M01600");
        var f = await SettleAsync("H440300001", "511300", m, enc =>
        {
            enc["encounterType"] = "specialOutpatient";
            enc.Remove("admissionDate");
            enc.Remove("dischargeDate");
            enc["visitDate"] = "2026-05-12";
            enc["specialDiseaseCode"] = "M01600";
            enc["diagnoses"] = new JArray("E11.9");
        });
        Assert.Equal(("2725.80", "0.00", "1362.90", "3120.10", "4088.70"), Split(f));
        var ceiling = Assert.Single(f["explanation"]!, s => (string)s["code"]! == "assistanceFund.burdenCeiling");
        Assert.Equal("90.86", (string)ceiling["amount"]!);
    }

    [Fact]
    public async Task Example_F2_major_illness_terms_of_the_poverty_registered_in_Shenzhen()
    {
        var m = await MemberAsync("511300", InsuranceType.Resident, new DateOnly(1966, 1, 15), 20, AssistanceCategory.PovertyRegistered, filedFor: "440300",
            disease: "M01600", before: AnnualAccumulators.Empty(2026) with { MajorQualifying = 10000m });
        var f2 = await SettleAsync("H440300001", "511300", m, enc =>
        {
            enc["dischargeDate"] = "2026-05-20";
            enc["diagnoses"] = new JArray("I63.9");
            enc["lines"] = BillL((JArray)enc["lines"]!);
        });
        Assert.Equal(("43045.80", "19173.18", "7226.81", "5763.01", "69445.79"), Split(f2));
        Assert.Equal("75208.80", (string)f2["split"]!["total"]!);
    }

    [Fact]
    public async Task Example_G_no_filing_needed_inside_the_province_but_in_Shenzhen_the_penalty_applies()
    {
        var m = await MemberAsync("350200", InsuranceType.Resident, new DateOnly(1976, 2, 1), 10);
        var g = await SettleAsync("H350100001", "350200", m, enc => { });
        Assert.Equal(("2620.10", "0.00", "0.00", "4588.70", "2620.10"), Split(g));
        Assert.Equal("0.70", (string)g["ratio"]!);
        var other = await MemberAsync("350200", InsuranceType.Resident, new DateOnly(1976, 2, 1), 10);
        var sz = await SettleAsync("H440300001", "350200", other, enc => { });
        Assert.Equal("0.60", (string)sz["ratio"]!);
        Assert.Equal("2245.80", (string)sz["split"]!["basicFund"]!);
    }
}
