using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Gateway.Cli.Verify;
using Gateway.Domain;
using Gateway.Storage;
using Gateway.TestSupport;
using Newtonsoft.Json.Linq;

namespace Gateway.Integration.Tests.Audit;

/// <summary>
/// Audit rules (spec §10.2) and review after settlement (§10.3) through the API: a blocking rule rejects audit-blocked with the
/// rule and the lines; flags settle and show on the settlement; the home region's reviewer refuses part of the fund share, and the
/// refusal is a balanced adjustment in positions and netting, leaving the patient's payment as it was; the store verifies clean.
/// The seed audit files are in force from 2026-06-01, so the stays here are in the second half of 2026.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class AuditApiTests(GatewayHost host)
{
    private GatewayFixture G => host.Gateway;
    private HospitalClient Shenzhen => G.Hospital("H440300003");

    private static decimal D(JToken t) => decimal.Parse((string)t!, CultureInfo.InvariantCulture);

    /// <summary>A member of Nanchong known only to this test (so no other test's settlements count in its history).</summary>
    private async Task<string> NewMemberAsync(DateOnly birth)
    {
        var id = "A" + Guid.NewGuid().ToString("N")[..12];
        await new MemberStore(new GatewayStorage(G.Azurite.ConnectionString)).UpsertProfileAsync(new MemberProfile(id, RegionCode.Parse("511300"), InsuranceType.Employee, false,
            birth, 5, AssistanceCategory.None, false, [], [new Filing(RegionCode.Parse("440300"), new DateOnly(2026, 1, 1), null)], 0m, MemberStatus.Active), CancellationToken.None);
        return id;
    }

    private static string Stay(string id, string member, string admission, string discharge, string diagnosis = "I21.9", int bedDays = 8) => Requests.With(Requests.SpecA(id), o =>
    {
        o["member"]!["memberId"] = member;
        o["encounter"]!["admissionDate"] = admission;
        o["encounter"]!["dischargeDate"] = discharge;
        o["encounter"]!["diagnoses"] = new JArray(diagnosis);
        var bed = o["encounter"]!["lines"]![4]!;
        bed["quantity"] = bedDays.ToString(CultureInfo.InvariantCulture);
        bed["amount"] = (bedDays * 60m).ToString("0.00", CultureInfo.InvariantCulture);
    });

    private async Task<(HttpStatusCode Status, JObject Body)> Staff(HttpMethod method, string path, string user, object? body = null)
    {
        using var r = new HttpRequestMessage(method, "api/v1/clearing" + path);
        r.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{user}-demo")));
        if (body is not null) r.Content = new StringContent(JObject.FromObject(body).ToString(), Encoding.UTF8, "application/json");
        using var answer = await G.Http.SendAsync(r);
        var text = await answer.Content.ReadAsStringAsync();
        return (answer.StatusCode, text.StartsWith('{') ? JObject.Parse(text) : new JObject { ["text"] = text });
    }

    [Fact]
    public async Task A_blocking_rule_rejects_the_bill_with_the_rule_and_its_lines_and_records_nothing()
    {
        var member = await NewMemberAsync(new DateOnly(1980, 1, 1));
        var id = Requests.NewId("blk");
        // Twelve bed-days for an eight-day stay: N-BEDDAY-1 (S002 at most one a day, block).
        using var r = await Shenzhen.SubmitAsync(Stay(id, member, "2026-07-01", "2026-07-09", bedDays: 12), 15);
        var (status, type, body) = await Requests.ProblemAsync(r);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal("audit-blocked", type);
        var rule = body["audit"]!.Single(a => (string)a["ruleId"]! == "N-BEDDAY-1");
        Assert.Equal("block", (string)rule["outcome"]!);
        Assert.Equal([5], rule["lines"]!.Select(l => (int)l));
        Assert.Contains("N-BEDDAY-1", (string)body["detail"]!);
        using var get = await Shenzhen.GetAsync(id);
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task Home_side_rules_flag_with_the_members_own_settlements_and_the_explanation_lists_them()
    {
        // A child (born 2015) given clopidogrel in Shenzhen: SZ-CLOPIDOGREL-ADULT (ageRange, flag) fires at home.
        var child = await NewMemberAsync(new DateOnly(2015, 9, 20));
        using (var r = await Shenzhen.SubmitAsync(Stay(Requests.NewId("age"), child, "2026-07-01", "2026-07-09"), 15))
        {
            var view = await Requests.Json(r);
            Assert.Equal("completed", (string?)view["status"]);
            Assert.Contains(view["audit"]!["flags"]!, f => (string)f["ruleId"]! == "SZ-CLOPIDOGREL-ADULT" && f["lines"]!.Select(l => (int)l).SequenceEqual([2]));
            Assert.Contains(view["explanation"]!, s => (string)s["code"]! == "audit.SZ-CLOPIDOGREL-ADULT");
        }
        // An adult readmitted 7 days after a discharge with the same diagnosis group (I21): N-READMIT-15; the fourth stay within 30 days: N-VISITS-3-30.
        var adult = await NewMemberAsync(new DateOnly(1970, 1, 1));
        using (var first = await Shenzhen.SubmitAsync(Stay(Requests.NewId("rd"), adult, "2026-08-01", "2026-08-05", bedDays: 4), 15))
            Assert.Null((await Requests.Json(first))["audit"]);
        using (var second = await Shenzhen.SubmitAsync(Stay(Requests.NewId("rd"), adult, "2026-08-12", "2026-08-15", "I21.0", 3), 15))
        {
            var view = await Requests.Json(second);
            Assert.Equal("completed", (string?)view["status"]);
            Assert.Equal(["N-READMIT-15"], view["audit"]!["flags"]!.Select(f => (string)f["ruleId"]!));
        }
        using (var third = await Shenzhen.SubmitAsync(Stay(Requests.NewId("rd"), adult, "2026-08-17", "2026-08-18", "K35.8", 1), 15))
            Assert.Null((await Requests.Json(third))["audit"]);
        using var fourth = await Shenzhen.SubmitAsync(Stay(Requests.NewId("rd"), adult, "2026-08-20", "2026-08-22", "J18.9", 2), 15);
        Assert.Equal(["N-VISITS-3-30"], (await Requests.Json(fourth))["audit"]!["flags"]!.Select(f => (string)f["ruleId"]!));
    }

    [Fact]
    public async Task A_refusal_is_a_balanced_adjustment_in_positions_and_netting_and_shows_on_the_settlement()
    {
        var member = await NewMemberAsync(new DateOnly(1980, 1, 1));
        var id = Requests.NewId("rv");
        // A 66-day stay: N-STAY-60 (flag). It settles.
        using var settled = await Shenzhen.SubmitAsync(Stay(id, member, "2026-07-01", "2026-09-05", bedDays: 12), 15);
        var view = await Requests.Json(settled);
        Assert.Equal("completed", (string?)view["status"]);
        Assert.Contains(view["audit"]!["flags"]!, f => (string)f["ruleId"]! == "N-STAY-60");
        var key = (string)view["settlementId"]!;
        var cash = D(view["split"]!["cashPay"]!);

        // Listed for Nanchong's clearing users (the home region), not for others.
        var (listed, list) = await Staff(HttpMethod.Get, "/reviews/511300", "nanchong");
        Assert.Equal(HttpStatusCode.OK, listed);
        var item = list["items"]!.Single(i => (string)i["settlementId"]! == key);
        Assert.Equal("flagged", (string)item["status"]!);
        var period = (string)item["period"]!;
        Assert.Equal(HttpStatusCode.Forbidden, (await Staff(HttpMethod.Get, "/reviews/511300", "shenzhen")).Status);

        var (_, before) = await Staff(HttpMethod.Get, $"/periods/{period}/positions", "reader");
        decimal Pair(JObject p) => D(p["positions"]!.Single(x => (string)x["home"]! == "511300" && (string)x["treatment"]! == "440300")["funds"]!["total"]!);
        var owedBefore = Pair(before);

        // Bad amounts are refused with field errors; the refusal of 100.00 posts.
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await Staff(HttpMethod.Post, $"/reviews/511300/{key}/refuse", "nanchong", new { reason = "too much", amount = 1_000_000m })).Status);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await Staff(HttpMethod.Post, $"/reviews/511300/{key}/refuse", "nanchong", new { amount = 100m })).Status);
        var (refused, decided) = await Staff(HttpMethod.Post, $"/reviews/511300/{key}/refuse", "nanchong", new { reason = "stay not justified after day 60", amount = 100.00m });
        Assert.Equal(HttpStatusCode.OK, refused);
        Assert.Equal("refused", (string)decided["status"]!);
        Assert.Equal(HttpStatusCode.Conflict, (await Staff(HttpMethod.Post, $"/reviews/511300/{key}/accept", "nanchong", new { reason = "second thoughts" })).Status);

        var (_, after) = await Staff(HttpMethod.Get, $"/periods/{period}/positions", "reader");
        Assert.Equal(owedBefore - 100.00m, Pair(after));
        Assert.Equal(0m, D(after["netting"]!["sum"]!));
        var (_, drill) = await Staff(HttpMethod.Get, $"/settlements/{key}", "reader");
        var adjustment = drill["journal"]!.Single(j => (int)j["sequence"]! == 2);
        Assert.Equal(adjustment["lines"]!.Sum(l => D(l["debit"]!)), adjustment["lines"]!.Sum(l => D(l["credit"]!)));

        // The hospital sees the decision; the patient's counter payment is what it was.
        using var get = await Shenzhen.GetAsync(id);
        var seen = await Requests.Json(get);
        Assert.Equal(cash, D(seen["split"]!["cashPay"]!));
        var decision = seen["audit"]!["review"]!["decisions"]!.Single();
        Assert.Equal("refused", (string)decision["decision"]!);
        Assert.Equal("nanchong", (string)decision["by"]!);
        Assert.Equal("stay not justified after day 60", (string)decision["reason"]!);
        Assert.Equal(100.00m, D(decision["amount"]!));

        var results = await VerifyCommand.RunAsync(G.Azurite.ConnectionString, CancellationToken.None);
        Assert.All(results, r => Assert.True(r.Holds, $"{r.Name}: {string.Join("; ", r.Violations)}"));
    }
}
