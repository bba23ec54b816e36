using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Gateway.TestSupport;
using Newtonsoft.Json.Linq;

namespace Gateway.Integration.Tests.Ledger;

/// <summary>A gateway of its own: these tests close the current period, which the shared gateway's other tests post into.</summary>
public sealed class ClearingGatewayHost : IAsyncLifetime
{
    public GatewayFixture Gateway { get; private set; } = null!;

    public async Task InitializeAsync() => Gateway = await GatewayFixture.StartAsync(new Dictionary<string, string>
    {
        ["ClosePeriodSchedule"] = "0 0 0 1 1 *",
    });

    public async Task DisposeAsync() => await Gateway.DisposeAsync();
}

/// <summary>
/// The clearing API's rules on a real gateway: who may answer a statement, answers kept per side, disputed ids checked,
/// periods that have not started refused, a pair's entries filtered and paged by the server.
/// </summary>
public sealed class ClearingRulesTests(ClearingGatewayHost host) : IClassFixture<ClearingGatewayHost>
{
    private GatewayFixture G => host.Gateway;

    private async Task<(HttpStatusCode Status, JToken Body, string? Type)> Call(HttpMethod method, string path, string user, object? body = null)
    {
        using var r = new HttpRequestMessage(method, "api/v1/clearing" + path);
        r.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{user}-demo")));
        if (body is not null) r.Content = new StringContent(JObject.FromObject(body).ToString(), Encoding.UTF8, "application/json");
        using var response = await G.Http.SendAsync(r);
        var text = await response.Content.ReadAsStringAsync();
        var type = response.Content.Headers.ContentType?.MediaType;
        if (type == "text/csv") return (response.StatusCode, text, null);
        var json = text.Length == 0 ? new JObject() : JToken.Parse(text);
        if (type == "application/problem+json") return (response.StatusCode, json, ((string)json["type"]!).Replace("https://gateway.example.org/problems/", "", StringComparison.Ordinal));
        return (response.StatusCode, json, null);
    }

    private static decimal D(JToken t) => decimal.Parse((string)t!, CultureInfo.InvariantCulture);

    private async Task<string> SettleAsync(string hospital)
    {
        var id = Requests.NewId("rule");
        using var r = await G.Hospital(hospital).SubmitAsync(Requests.SpecA(id), 15);
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        return $"{hospital}~{id}";
    }

    [Fact]
    public async Task Statement_answers_roles_disputed_ids_period_close_and_entry_filters()
    {
        // Nanchong members treated in Shenzhen (two hospitals) and one in Dongguan (another pair).
        var a1 = await SettleAsync("H440300001");
        var a2 = await SettleAsync("H440300001");
        var b1 = await SettleAsync("H440300002");
        var other = await SettleAsync("H441900001");
        using (var cancel = await G.Hospital("H440300001").SendAsync(HttpMethod.Post, $"/api/v1/settlements/{a2[(a2.IndexOf('~') + 1)..]}/cancel", "{\"reason\":\"duplicate\"}", waitSeconds: 15))
            Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        var period = (string)(await Call(HttpMethod.Get, "/periods", "reader")).Body["current"]!;
        var pair = $"/periods/{period}/entries?home=511300&treatment=440300";
        JArray items = [];
        for (var i = 0; i < 50 && items.Count < 4; i++)
        {
            items = (JArray)(await Call(HttpMethod.Get, pair + "&pageSize=100", "reader")).Body["items"]!;
            if (items.Count < 4) await Task.Delay(100); // the reversal posts right after the cancellation's reply
        }
        Assert.Equal(4, items.Count);

        // --- Entry filters, applied by the server, with paging correct under them.
        async Task<List<JToken>> Listing(string query, int pageSize)
        {
            var all = new List<JToken>();
            string? next = null;
            do
            {
                var (status, body, _) = await Call(HttpMethod.Get, $"{pair}&pageSize={pageSize}{query}" + (next is null ? "" : "&page=" + Uri.EscapeDataString(next)), "reader");
                Assert.Equal(HttpStatusCode.OK, status);
                var page = (JArray)body["items"]!;
                next = (string?)body["next"];
                if (next is not null) Assert.Equal(pageSize, page.Count);
                all.AddRange(page);
            }
            while (next is not null);
            return all;
        }
        static List<string> Keys(IEnumerable<JToken> xs) => xs.Select(x => $"{x["settlementId"]}/{x["sequence"]}").OrderBy(x => x, StringComparer.Ordinal).ToList();
        Assert.Equal(Keys(items), Keys(await Listing("", 1)));
        Assert.Equal([$"{b1}/0"], Keys(await Listing("&hospital=H440300002", 1)));
        Assert.Equal(new[] { $"{a1}/0", $"{a2}/0", $"{a2}/1" }.OrderBy(x => x, StringComparer.Ordinal), Keys(await Listing("&hospital=H440300001", 1)));
        Assert.Equal([$"{a2}/1"], Keys(await Listing("&status=reversal", 2)));
        Assert.Equal(Keys(items.Where(x => !(bool)x["reversal"]!)), Keys(await Listing("&status=posted", 2)));
        var today = ChinaTime.DateOf(DateTimeOffset.UtcNow).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture); // China days
        var tomorrow = ChinaTime.DateOf(DateTimeOffset.UtcNow).AddDays(1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        Assert.Equal(Keys(items), Keys(await Listing($"&from={today}&to={tomorrow}", 3)));
        Assert.Empty(await Listing($"&from={tomorrow}", 3));
        var b1Total = D(items.Single(x => (string)x["hospital"]! == "H440300002")["funds"]!["total"]!);
        var a1Total = D(items.Single(x => (string)x["settlementId"]! == a1)["funds"]!["total"]!);
        Assert.NotEqual(a1Total, b1Total); // hospital levels differ
        var (lo, hi) = (Math.Min(a1Total, b1Total), Math.Max(a1Total, b1Total));
        Assert.Equal(Keys(items.Where(x => Math.Abs(D(x["funds"]!["total"]!)) >= hi)), Keys(await Listing($"&min={hi.ToString(CultureInfo.InvariantCulture)}", 1)));
        Assert.Equal(Keys(items.Where(x => Math.Abs(D(x["funds"]!["total"]!)) <= lo)), Keys(await Listing($"&max={lo.ToString(CultureInfo.InvariantCulture)}", 1)));
        Assert.Equal(Keys(items.Where(x => !(bool)x["reversal"]! && Math.Abs(D(x["funds"]!["total"]!)) <= lo)), Keys(await Listing($"&max={lo.ToString(CultureInfo.InvariantCulture)}&status=posting", 1)));
        foreach (var bad in new[] { "&from=24-11-2026", "&status=open", "&min=abc", "&min=10&max=5", "&page=bm90LWEtdG9rZW4", "&pageSize=0" })
        {
            var (status, _, type) = await Call(HttpMethod.Get, pair + bad, "reader");
            Assert.Equal((HttpStatusCode.UnprocessableEntity, "validation-error"), (status, type));
        }
        // The filtered CSV: only what the filter keeps.
        var (_, filteredCsv, _) = await Call(HttpMethod.Get, $"/periods/{period}/entries/csv?home=511300&treatment=440300&hospital=H440300002", "reader");
        Assert.Single(((string)filteredCsv!).Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1));

        // --- Close: never a period that has not started; the current one early, by the closing role.
        var next = ClearingPeriod.Of(DateTimeOffset.UtcNow).Next().ToString(); // periods are China months
        foreach (var future in new[] { next, "2099-01" })
        {
            var (status, problem, type) = await Call(HttpMethod.Post, $"/periods/{future}/close", "closer");
            Assert.Equal((HttpStatusCode.UnprocessableEntity, "period-not-started"), (status, type));
            Assert.Contains(future, (string)problem["detail"]!);
        }
        Assert.Equal("open", (string)(await Call(HttpMethod.Get, "/periods", "reader")).Body["periods"]!.Single(p => (string)p["period"]! == period)["status"]!);
        Assert.DoesNotContain((JArray)(await Call(HttpMethod.Get, "/periods", "reader")).Body["periods"]!, p => (string)p["period"]! == next && (string)p["status"]! != "open");
        var (closeStatus, closed, _) = await Call(HttpMethod.Post, $"/periods/{period}/close", "closer");
        Assert.Equal(HttpStatusCode.OK, closeStatus);
        var statement = closed["statements"]!.Single(s => (string)s["home"]! == "511300" && (string)s["treatment"]! == "440300");
        Assert.Equal("pending", (string)statement["status"]!);

        // --- Who may answer: a region user of the home or treatment region, for its own region only.
        var dispute = $"/periods/{period}/statements/511300/440300/dispute";
        var confirm = $"/periods/{period}/statements/511300/440300/confirm";
        var good = new { side = "511300", reason = "member not insured on the admission date", settlementIds = new[] { a1 } };
        foreach (var user in new[] { "reader", "closer", "nanchong-admin", "shenzhen-admin", "dongguan-admin" })
        {
            foreach (var (path, body) in new (string, object)[] { (dispute, good), (confirm, new { side = "511300" }), (confirm, new { side = "440300" }) })
            {
                var (status, _, type) = await Call(HttpMethod.Post, path, user, body);
                Assert.True((HttpStatusCode.Forbidden, "forbidden") == (status, type), $"{user} {path}: {status} {type}");
            }
        }
        Assert.Equal(HttpStatusCode.Forbidden, (await Call(HttpMethod.Post, dispute, "shenzhen", good)).Status); // the other side's answer
        Assert.Equal(HttpStatusCode.Forbidden, (await Call(HttpMethod.Post, $"/periods/{period}/statements/511300/441900/confirm", "shenzhen", new { })).Status); // not its pair

        // --- Disputed ids must be settlements of this statement: unknown ones are named in a 422.
        var (unknownStatus, unknownProblem, unknownType) = await Call(HttpMethod.Post, dispute, "nanchong",
            new { side = "511300", reason = "x", settlementIds = new[] { a1, other, "H440300001~no-such-settlement", "garbage" } });
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "unknown-settlements"), (unknownStatus, unknownType));
        foreach (var id in new[] { other, "H440300001~no-such-settlement", "garbage" }) Assert.Contains(id, (string)unknownProblem["detail"]!);
        Assert.DoesNotContain(a1, (string)unknownProblem["detail"]!);
        Assert.Equal(["/settlementIds/1", "/settlementIds/2", "/settlementIds/3"], unknownProblem["errors"]!.Select(e => (string)e["pointer"]!).ToList());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await Call(HttpMethod.Post, dispute, "nanchong", new { side = "511300", reason = "x", settlementIds = Array.Empty<string>() })).Status);
        Assert.Equal("pending", (string)(await Call(HttpMethod.Get, $"/periods/{period}/statements/511300/440300", "reader")).Body["statement"]!["homeStatus"]!);

        // --- Answers per side: the treatment side's dispute does not overwrite the home side's; a confirm clears the side's dispute.
        var (s1, afterHome, _) = await Call(HttpMethod.Post, dispute, "nanchong", good);
        Assert.Equal(HttpStatusCode.OK, s1);
        Assert.Equal(("disputed", "pending", "disputed"), ((string)afterHome["homeStatus"]!, (string)afterHome["treatmentStatus"]!, (string)afterHome["status"]!));
        var (s2, afterBoth, _) = await Call(HttpMethod.Post, dispute, "shenzhen", new { reason = "reversal not agreed", settlementIds = new[] { a2 } }); // side defaults to the user's region
        Assert.Equal(HttpStatusCode.OK, s2);
        Assert.Equal((good.reason, "nanchong", a1), ((string)afterBoth["homeSide"]!["reason"]!, (string)afterBoth["homeSide"]!["by"]!, (string)afterBoth["homeSide"]!["settlementIds"]![0]!));
        Assert.Equal(("reversal not agreed", "shenzhen", a2), ((string)afterBoth["treatmentSide"]!["reason"]!, (string)afterBoth["treatmentSide"]!["by"]!, (string)afterBoth["treatmentSide"]!["settlementIds"]![0]!));
        var (s3, afterConfirm, _) = await Call(HttpMethod.Post, confirm, "nanchong", new { side = "511300" });
        Assert.Equal(HttpStatusCode.OK, s3);
        Assert.Equal(("confirmed", "disputed", "disputed"), ((string)afterConfirm["homeStatus"]!, (string)afterConfirm["treatmentStatus"]!, (string)afterConfirm["status"]!));
        Assert.True(afterConfirm["homeSide"]!["reason"] is null or { Type: JTokenType.Null }, "a confirm clears the side's dispute reason");
        Assert.Empty(afterConfirm["homeSide"]!["settlementIds"]!);
        var (s4, bothConfirmed, _) = await Call(HttpMethod.Post, confirm, "shenzhen", new { });
        Assert.Equal(HttpStatusCode.OK, s4);
        Assert.Equal("confirmed", (string)bothConfirmed["status"]!);
        var detail = (await Call(HttpMethod.Get, $"/periods/{period}/statements/511300/440300", "reader")).Body;
        Assert.Equal(["511300 disputed", "440300 disputed", "511300 confirmed", "440300 confirmed"], detail["responses"]!.Select(x => $"{x["side"]} {x["status"]}").ToList());

        // Disputes changed nothing in the ledger: the statement and the entries CSV still add up to the same totals.
        Assert.Equal(D(statement["funds"]!["total"]!), D(detail["statement"]!["funds"]!["total"]!));
        var (_, csv, _) = await Call(HttpMethod.Get, $"/periods/{period}/entries/csv?home=511300&treatment=440300", "reader");
        var rows = ((string)csv!).Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.TrimEnd('\r').Split(',')).ToList();
        Assert.Equal(D(statement["funds"]!["total"]!), rows.Sum(r => decimal.Parse(r[^1], CultureInfo.InvariantCulture)));
        Assert.Equal(4, rows.Count);
    }
}
