using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Gateway.TestSupport;
using Newtonsoft.Json.Linq;

namespace Gateway.Integration.Tests.Ledger;

/// <summary>Settlements through the gateway end up in the ledger; clearing staff see, close, dispute and export them.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ClearingApiTests(GatewayHost host)
{
    private GatewayFixture G => host.Gateway;

    private HttpRequestMessage Staff(HttpMethod method, string path, string user, string password, object? body = null)
    {
        var r = new HttpRequestMessage(method, "api/v1/clearing" + path);
        r.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        if (body is not null) r.Content = new StringContent(JObject.FromObject(body).ToString(), Encoding.UTF8, "application/json");
        return r;
    }

    private async Task<(HttpStatusCode Status, string Body)> Call(HttpMethod method, string path, string user = "reader", string password = "reader-demo", object? body = null)
    {
        using var r = await G.Http.SendAsync(Staff(method, path, user, password, body));
        return (r.StatusCode, await r.Content.ReadAsStringAsync());
    }

    private static decimal D(JToken t) => decimal.Parse((string)t!, CultureInfo.InvariantCulture);

    [Fact]
    public async Task Settle_see_positions_close_dispute_export_cancel_and_reconcile()
    {
        // Settle three encounters in Dongguan hospitals (a treatment region the other tests leave alone).
        var hospital = G.Hospital("H441900002");
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var id = Requests.NewId("clr");
            ids.Add(id);
            using var r = await hospital.SubmitAsync(Requests.SpecA(id), 15);
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        }
        var (_, periodsBody) = await Call(HttpMethod.Get, "/periods");
        var period = (string)JObject.Parse(periodsBody)["current"]!;

        var (status, positionsBody) = await Call(HttpMethod.Get, $"/periods/{period}/positions");
        Assert.Equal(HttpStatusCode.OK, status);
        var positions = JObject.Parse(positionsBody);
        var pair = positions["positions"]!.Single(p => (string)p["home"]! == "511300" && (string)p["treatment"]! == "441900");
        Assert.True((int)pair["settlements"]! >= 3);
        Assert.Equal(0m, D(positions["netting"]!["sum"]!));

        // One settlement: its split and its journal.
        var (_, one) = await Call(HttpMethod.Get, $"/settlements/H441900002~{ids[0]}");
        var journal = JObject.Parse(one)["journal"]!.Single();
        Assert.Equal(D(journal["funds"]!["total"]!), journal["lines"]!.Sum(l => D(l["debit"]!)));

        // Cancel one (撤销): the home region reverses, the ledger posts the exact reversal.
        using var cancel = await hospital.SendAsync(HttpMethod.Post, $"/api/v1/settlements/{ids[2]}/cancel", "{\"reason\":\"billing error\"}", waitSeconds: 15);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal("cancelled", (string)(await Requests.Json(cancel))["status"]!);
        // The reversal is posted right after the status flips (same reply): allow it a moment.
        var journals = 0;
        for (var i = 0; i < 50 && journals < 2; i++)
        {
            var (_, cancelled) = await Call(HttpMethod.Get, $"/settlements/H441900002~{ids[2]}");
            journals = JObject.Parse(cancelled)["journal"]!.Count();
            if (journals < 2) await Task.Delay(100);
        }
        Assert.Equal(2, journals);

        // A hospital reconciles: the gateway's completed settlements (the cancelled one excluded) against its books.
        var today = ChinaTime.DateOf(DateTimeOffset.UtcNow).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture); // China days
        using var recon = await hospital.SendAsync(HttpMethod.Post, "/api/v1/reconciliations",
            JObject.FromObject(new { from = today, to = today, count = 3, total = "21626.40", fund = "6737.40", cash = "14889.00",
                settlements = new[] { new { hospitalSettlementId = ids[0], total = "7208.80", fund = "2245.80", cash = "4963.00" }, new { hospitalSettlementId = "not-ours", total = "1.00", fund = "0.00", cash = "1.00" } } }).ToString());
        Assert.Equal(HttpStatusCode.OK, recon.StatusCode);
        var reconBody = await Requests.Json(recon);
        Assert.Equal("mismatched", (string)reconBody["status"]!);
        var kinds = reconBody["differences"]!.Select(d => (string)d["kind"]!).ToList();
        Assert.Contains("count", kinds);
        Assert.Contains("missing-at-gateway", kinds);
        Assert.Contains(reconBody["differences"]!, d => (string?)d["hospitalSettlementId"] == ids[1] && (string)d["kind"]! == "missing-at-hospital");

        // Read-only staff cannot close; the closing role can, and closing again gives the same statements.
        Assert.Equal(HttpStatusCode.Forbidden, (await Call(HttpMethod.Post, $"/periods/{period}/close")).Status);
        var (closeStatus, closed) = await Call(HttpMethod.Post, $"/periods/{period}/close", "closer", "closer-demo");
        Assert.Equal(HttpStatusCode.OK, closeStatus);
        var (_, closedAgain) = await Call(HttpMethod.Post, $"/periods/{period}/close", "closer", "closer-demo");
        Assert.Equal(JObject.Parse(closed)["statements"]!.ToString(), JObject.Parse(closedAgain)["statements"]!.ToString());
        var statement = JObject.Parse(closed)["statements"]!.Single(s => (string)s["home"]! == "511300" && (string)s["treatment"]! == "441900");

        // The CSVs add up to the statement.
        var (csvStatus, csv) = await Call(HttpMethod.Get, $"/periods/{period}/statements/511300/441900/csv");
        Assert.Equal(HttpStatusCode.OK, csvStatus);
        var totalLine = csv.Split('\n').Single(l => l.Contains(",total,", StringComparison.Ordinal));
        Assert.Equal(D(statement["funds"]!["total"]!), decimal.Parse(totalLine.Split(',')[4], CultureInfo.InvariantCulture));
        var (_, entriesCsv) = await Call(HttpMethod.Get, $"/periods/{period}/entries/csv?home=511300&treatment=441900");
        var rows = entriesCsv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.TrimEnd('\r').Split(',')).ToList();
        Assert.Equal(D(statement["funds"]!["total"]!), rows.Sum(r => decimal.Parse(r[^1], CultureInfo.InvariantCulture)));

        // A region disputes (naming settlement ids); the ledger does not change.
        var (forbidden, _) = await Call(HttpMethod.Post, $"/periods/{period}/statements/511300/441900/dispute", "shenzhen", "shenzhen-demo",
            new { side = "511300", reason = "x", settlementIds = new[] { "a" } });
        Assert.Equal(HttpStatusCode.Forbidden, forbidden);
        var (disputeStatus, disputed) = await Call(HttpMethod.Post, $"/periods/{period}/statements/511300/441900/dispute", "nanchong", "nanchong-demo",
            new { side = "511300", reason = "member not insured on that date", settlementIds = new[] { $"H441900002~{ids[0]}" } });
        Assert.Equal(HttpStatusCode.OK, disputeStatus);
        Assert.Equal("disputed", (string)JObject.Parse(disputed)["homeStatus"]!);
        var (_, after) = await Call(HttpMethod.Get, $"/periods/{period}/positions");
        Assert.Equal(D(statement["funds"]!["total"]!), D(JObject.Parse(after)["positions"]!.Single(p => (string)p["home"]! == "511300" && (string)p["treatment"]! == "441900")["funds"]!["total"]!));

        // Without a credential: 401 problem.
        using var anonymous = await G.Http.GetAsync($"api/v1/clearing/periods/{period}/positions");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }
}
