using System.Net;
using Gateway.TestSupport;
using Newtonsoft.Json.Linq;

namespace Gateway.Integration.Tests;

/// <summary>
/// Every rejection of spec §5 as a hospital meets it over HTTP: a 4xx application/problem+json with its stable type.
/// Rejections found at intake write nothing (the id stays unknown); rejections found by the home region leave the
/// settlement 'rejected' with the same type, and it cannot be cancelled.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class ProblemTypesTests(GatewayHost host)
{
    private GatewayFixture G => host.Gateway;
    private HospitalClient Shenzhen => G.Hospital("H440300001");

    private static JArray Lines(params (int No, string Code, string Qty, string Price, string Amount)[] lines) =>
        new(lines.Select(l => new JObject { ["lineNo"] = l.No, ["itemCode"] = l.Code, ["quantity"] = l.Qty, ["unitPrice"] = l.Price, ["amount"] = l.Amount }));

    /// <summary>A special-outpatient (门特) visit for hypertension, I10, on 2026-05-09: D001 10 × 25.00.</summary>
    private static void SpecialOutpatientI10(JObject e)
    {
        e["encounterType"] = "specialOutpatient";
        e.Remove("admissionDate");
        e.Remove("dischargeDate");
        e["visitDate"] = "2026-05-09";
        e["specialDiseaseCode"] = "I10";
        e["diagnoses"] = new JArray("I10");
        e["lines"] = Lines((1, "D001", "10", "25.00", "250.00"));
    }

    public static TheoryData<string, string> IntakeRejections => new()
    {
        { "not-cross-region", "a Shenzhen member in a Shenzhen hospital" },
        { "unknown-home-region", "home region 110000 has no rule pack" },
        { "duplicate-line-number", "two lines numbered 1" },
        { "impossible-dates", "discharged before admitted" },
        { "negative-or-absurd-amount", "a negative amount" },
        { "line-arithmetic", "10 × 25.00 billed as 251.00" },
        { "catalog-missing", "a 2023 stay: Shenzhen's catalog is in force from 2024-01-01" },
        { "impossible-dates", "discharged in 2099" },
    };

    private static string IntakeCase(string type, string id) => Requests.With(Requests.SpecA(id), o =>
    {
        var e = (JObject)o["encounter"]!;
        switch (type)
        {
            case "not-cross-region": o["member"] = new JObject { ["homeRegion"] = "440300", ["memberId"] = "M440300001" }; break;
            case "unknown-home-region": o["member"]!["homeRegion"] = "110000"; break;
            case "duplicate-line-number": e["lines"] = Lines((1, "D001", "10", "25.00", "250.00"), (1, "D002", "20", "48.50", "970.00")); break;
            case "impossible-dates" when id.EndsWith("-future", StringComparison.Ordinal): e["dischargeDate"] = "2099-01-01"; break;
            case "impossible-dates": e["dischargeDate"] = "2026-04-30"; break;
            case "negative-or-absurd-amount": e["lines"] = Lines((1, "D001", "10", "-25.00", "-250.00")); break;
            case "line-arithmetic": e["lines"] = Lines((1, "D001", "10", "25.00", "251.00")); break;
            case "catalog-missing": e["admissionDate"] = "2023-05-01"; e["dischargeDate"] = "2023-05-09"; break;
            default: throw new ArgumentOutOfRangeException(nameof(type));
        }
    });

    [Theory]
    [MemberData(nameof(IntakeRejections))]
    public async Task An_intake_rejection_is_a_422_problem_of_its_type_and_writes_nothing(string type, string what)
    {
        var id = Requests.NewId("rej") + (what.Contains("2099", StringComparison.Ordinal) ? "-future" : "");
        using var r = await Shenzhen.SubmitAsync(IntakeCase(type, id), 10);
        var (status, actual, body) = await Requests.ProblemAsync(r);
        Assert.True(actual == type, $"{what}: expected {type}, got {actual}: {body}");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        using var get = await Shenzhen.GetAsync(id);
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode); // nothing was recorded under this id
        Assert.Equal("not-found", (await Requests.ProblemAsync(get)).Type);
    }

    [Theory]
    [InlineData("unknown-home-region", "/member/homeRegion")]
    [InlineData("impossible-dates", "/encounter/dischargeDate")]
    public async Task A_rejection_points_at_the_field_it_is_about(string type, string pointer)
    {
        var id = Requests.NewId("ptr") + (type == "impossible-dates" ? "-future" : "");
        using var r = await Shenzhen.SubmitAsync(IntakeCase(type, id), 10);
        var (_, actual, body) = await Requests.ProblemAsync(r);
        Assert.Equal(type, actual);
        Assert.Contains(body["errors"]!, e => (string)e["pointer"]! == pointer);
    }

    [Fact]
    public async Task A_line_problem_points_at_the_line()
    {
        using var r = await Shenzhen.SubmitAsync(IntakeCase("line-arithmetic", Requests.NewId("ptr")), 10);
        var (_, _, body) = await Requests.ProblemAsync(r);
        Assert.Contains(body["errors"]!, e => ((string)e["pointer"]!).StartsWith("/encounter/lines/0", StringComparison.Ordinal));
    }

    public static TheoryData<string, string> HomeRejections => new()
    {
        { "unknown-member", "M511300999 is not in Nanchong's registry" },
        { "coverage-suspended", "M511300004 is suspended" },
        { "special-disease-not-registered", "a special-outpatient visit for I10 by a member with no registration" },
        { "rule-pack-missing", "a 2024 admission: Nanchong's pack is effective from 2025-01-01" },
    };

    private static string HomeCase(string type, string id) => Requests.With(Requests.SpecA(id), o =>
    {
        var e = (JObject)o["encounter"]!;
        switch (type)
        {
            case "unknown-member": o["member"]!["memberId"] = "M511300999"; break;
            case "coverage-suspended": o["member"]!["memberId"] = "M511300004"; break;
            case "special-disease-not-registered": SpecialOutpatientI10(e); break;
            case "rule-pack-missing": e["admissionDate"] = "2024-05-01"; e["dischargeDate"] = "2024-05-09"; break;
            default: throw new ArgumentOutOfRangeException(nameof(type));
        }
    });

    [Theory]
    [MemberData(nameof(HomeRejections))]
    public async Task A_home_region_rejection_is_a_422_problem_and_the_settlement_stays_rejected(string type, string what)
    {
        var id = Requests.NewId("home");
        using var r = await Shenzhen.SubmitAsync(HomeCase(type, id), 15);
        var (status, actual, body) = await Requests.ProblemAsync(r);
        Assert.True(actual == type, $"{what}: expected {type}, got {actual}: {body}");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);

        using var get = await Shenzhen.GetAsync(id);
        var text = await get.Content.ReadAsStringAsync();
        Assert.Contains(type, text, StringComparison.Ordinal);

        // Only a completed settlement can be cancelled.
        using var cancel = await Shenzhen.SendAsync(HttpMethod.Post, $"/api/v1/settlements/{id}/cancel", "{\"reason\":\"entered by mistake\"}");
        var (cancelStatus, cancelType, _) = await Requests.ProblemAsync(cancel);
        Assert.Equal(HttpStatusCode.Conflict, cancelStatus);
        Assert.Equal("not-cancellable", cancelType);
    }

    [Fact]
    public async Task A_registered_special_outpatient_visit_settles_with_its_split()
    {
        // M511300003: Nanchong employee with hypertension (I10) registered, no cross-region filing for Shenzhen.
        // Special outpatient: annual deductible 0; the inpatient ratio, employee level 3: 80%, unfiled −10 points = 70%.
        // D001 (class A) 10 × 25.00 = 250.00 in scope: basic 175.00, cash 75.00.
        var id = Requests.NewId("so");
        var body = Requests.With(Requests.SpecA(id), o =>
        {
            o["member"]!["memberId"] = "M511300003";
            SpecialOutpatientI10((JObject)o["encounter"]!);
        });
        using var r = await Shenzhen.SubmitAsync(body, 15);
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.Created, $"{(int)r.StatusCode}: {text}");
        var json = JObject.Parse(text);
        Assert.Equal("0.70", (string)json["ratio"]!);
        Assert.Equal("0.00", (string)json["split"]!["deductible"]!);
        Assert.Equal("175.00", (string)json["split"]!["basicFund"]!);
        Assert.Equal("75.00", (string)json["split"]!["cashPay"]!);
        Assert.Equal("2026-05-09", (string)json["serviceDate"]!);
    }

    [Fact]
    public async Task A_hospital_cannot_read_or_cancel_another_hospitals_settlement()
    {
        var id = Requests.NewId("own");
        using (var r = await Shenzhen.SubmitAsync(Requests.SpecA(id), 15)) Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        var other = G.Hospital("H440300002");
        using var get = await other.GetAsync(id);
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        using var cancel = await other.SendAsync(HttpMethod.Post, $"/api/v1/settlements/{id}/cancel", "{\"reason\":\"not mine\"}");
        Assert.Equal(HttpStatusCode.NotFound, cancel.StatusCode);
        using var mine = await Shenzhen.GetAsync(id);
        Assert.Equal("completed", (string)(await Requests.Json(mine))["status"]!); // untouched
    }
}
