using System.Net;
using Gateway.Storage;
using Gateway.TestSupport;
using Newtonsoft.Json.Linq;

namespace Gateway.Integration.Tests;

/// <summary>
/// A submission spends its nonce in the transaction that creates the settlement, or on its own for any other answer:
/// whatever the first request was answered, its nonce is refused the second time, and a refused replay writes nothing.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class NonceTests(GatewayHost host)
{
    private GatewayFixture G => host.Gateway;
    private HospitalClient Shenzhen => G.Hospital("H440300001");

    private static string NewNonce() => "n" + Guid.NewGuid().ToString("N");

    private static async Task<string> TypeOf(HttpResponseMessage r) =>
        ((string)JObject.Parse(await r.Content.ReadAsStringAsync())["type"]!).Replace("https://gateway.example.org/problems/", "", StringComparison.Ordinal);

    private Task<HttpResponseMessage> Submit(string body, string nonce, int? wait = 15) =>
        Shenzhen.SendAsync(HttpMethod.Post, "/api/v1/settlements", body, waitSeconds: wait, nonce: nonce);

    private async Task<SettlementRecord?> StoredAsync(string id) =>
        await new SettlementStore(new GatewayStorage(G.Azurite.ConnectionString)).GetAsync("H440300001", id, CancellationToken.None);

    [Fact]
    public async Task A_submission_nonce_is_spent_with_the_settlement_and_refused_after()
    {
        var id = Requests.NewId("nonce");
        var nonce = NewNonce();
        using (var first = await Submit(Requests.SpecA(id), nonce)) Assert.Equal(HttpStatusCode.Created, first.StatusCode);

        // The same request again (same id, same body, same nonce): refused, though the id alone would be idempotent.
        using (var replay = await Submit(Requests.SpecA(id), nonce))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
            Assert.Equal("signature-replayed", await TypeOf(replay));
        }
        // Another settlement under that nonce: refused, and not written.
        var other = Requests.NewId("nonce");
        using (var reused = await Submit(Requests.SpecA(other), nonce, wait: null)) Assert.Equal("signature-replayed", await TypeOf(reused));
        Assert.Null(await StoredAsync(other));

        // The same settlement with a new nonce: the same answer (idempotent), and that nonce is spent too.
        var retry = NewNonce();
        using (var again = await Submit(Requests.SpecA(id), retry)) Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        using (var twice = await Submit(Requests.SpecA(id), retry)) Assert.Equal("signature-replayed", await TypeOf(twice));
    }

    [Fact]
    public async Task A_nonce_spent_by_a_refused_or_trial_submission_is_refused_after()
    {
        // Refused (validation): nothing is written but the nonce.
        var invalid = NewNonce();
        using (var refused = await Submit(Requests.With(Requests.SpecA(Requests.NewId("bad")), o => o["surprise"] = 1), invalid, wait: null))
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var id = Requests.NewId("after-bad");
        using (var reuse = await Submit(Requests.SpecA(id), invalid, wait: null)) Assert.Equal("signature-replayed", await TypeOf(reuse));
        Assert.Null(await StoredAsync(id));

        // A trial (预结算) writes nothing but its nonce either.
        var trial = NewNonce();
        var trialBody = Requests.With(Requests.SpecA(Requests.NewId("trial")), o => o["trial"] = true);
        using (var ok = await Submit(trialBody, trial, wait: null)) Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        using (var again = await Submit(trialBody, trial, wait: null)) Assert.Equal("signature-replayed", await TypeOf(again));

        // A nonce spent by another kind of request (a GET) is refused on a submission too: one nonce, one use per key.
        var get = NewNonce();
        using (var read = await Shenzhen.SendAsync(HttpMethod.Get, "/api/v1/settlements?from=2026-01-01&to=2026-01-02", nonce: get))
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        var afterGet = Requests.NewId("after-get");
        using (var submit = await Submit(Requests.SpecA(afterGet), get, wait: null)) Assert.Equal("signature-replayed", await TypeOf(submit));
        Assert.Null(await StoredAsync(afterGet));
    }
}
