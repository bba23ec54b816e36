using System.Net;
using Gateway.Storage;
using Gateway.TestSupport;
using Newtonsoft.Json.Linq;
using Xunit.Abstractions;

namespace Gateway.Integration.Tests;

/// <summary>A gateway of its own, with the timers parked, so the handler's storage requests are the settlements' alone.</summary>
public sealed class QuietGatewayHost : IAsyncLifetime
{
    public GatewayFixture Gateway { get; private set; } = null!;

    public async Task InitializeAsync() => Gateway = await GatewayFixture.StartAsync(new Dictionary<string, string>
    {
        ["SweepSchedule"] = "0 0 0 1 1 *",
        ["ClosePeriodSchedule"] = "0 0 0 1 1 *",
    });

    public async Task DisposeAsync() => await Gateway.DisposeAsync();
}

/// <summary>
/// Storage round-trips per settlement, counted in the handler's Azure SDK pipeline (StorageRoundTripCounter, read from
/// /api/v1/health): submit with Prefer: wait → completed split, ledger posted. Count-based, not timing-based.
/// </summary>
public sealed class RoundTripTests(QuietGatewayHost host, ITestOutputHelper output) : IClassFixture<QuietGatewayHost>
{
    private GatewayFixture G => host.Gateway;

    private async Task<(long Total, Dictionary<string, long> ByOperation)> HealthAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/diagnostics");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("reader:reader-demo")));
        using var response = await G.Http.SendAsync(request);
        var json = JObject.Parse(await response.Content.ReadAsStringAsync());
        return ((long)json["storageRoundTrips"]!, ((JObject)json["storageRoundTripsByOperation"]!).Properties().ToDictionary(p => p.Name, p => (long)p.Value));
    }

    /// <summary>A new settlement id of the hospital whose ledger posting goes to the given shard.</summary>
    private static string IdInShard(string hospital, int shard)
    {
        while (true)
        {
            var id = Requests.NewId("rt");
            if (LedgerRows.Shard(Keys.SettlementKey(hospital, id)) == shard) return id;
        }
    }

    private async Task<JObject> SettleAsync(HospitalClient h, string id)
    {
        var member = await Members.FreshCopyAsync(G, "511300", "M511300001"); // written by the test, not counted
        using var r = await h.SubmitAsync(Requests.With(Requests.SpecA(id), o => o["member"]!["memberId"] = member), waitSeconds: 20);
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        return await Requests.Json(r);
    }

    [Fact]
    public async Task A_settlement_submitted_with_prefer_wait_costs_at_most_six_storage_round_trips()
    {
        const int n = 6;
        var h = G.Hospital("H440300001");
        // The first posting to a ledger shard in a process reads its counter (and the period's row); the rest do not.
        await SettleAsync(h, IdInShard(h.Code, 1));
        var (beforeTotal, before) = await HealthAsync();
        for (var i = 0; i < n; i++) Assert.Equal("completed", (string)(await SettleAsync(h, IdInShard(h.Code, 1)))["status"]!);
        var (afterTotal, after) = await HealthAsync();
        long Delta(string op) => after.GetValueOrDefault(op) - before.GetValueOrDefault(op);
        var mix = string.Join(", ", after.Keys.Where(k => Delta(k) != 0).Select(k => $"{k} {Delta(k)}"));
        output.WriteLine($"{afterTotal - beforeTotal} storage round-trips for {n} settlements: {mix}");

        Assert.True(afterTotal - beforeTotal <= 6 * n, $"{afterTotal - beforeTotal} round-trips for {n} settlements: {mix}");
        // Each settlement: nonce + settlement insert (one transaction); the member partition query and its transaction
        // (accumulators + applied marker); the completed transition with the ledger index rows (one transaction); the
        // journal + shard counter (one transaction); the owed-posting row (~post|) deleted once posted. The waiter is handed
        // the record by the reply's signal. (The ~wait| row is written in the intake's transaction and deleted in the transition's.)
        Assert.Equal(2 * n, Delta("Settlements batch"));
        Assert.Equal(n, Delta("Settlements delete"));
        Assert.Equal(n, Delta("Members query"));
        Assert.Equal(n, Delta("Members batch"));
        Assert.Equal(n, Delta("Ledger batch"));
        foreach (var gone in new[] { "Nonces insert", "Settlements insert", "Settlements update", "Settlements scan", "Ledger query", "Ledger upsert", "Periods read" })
            Assert.True(Delta(gone) == 0, $"{gone}: {Delta(gone)} ({mix})");
    }
}
