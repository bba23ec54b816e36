using System.Net;
using System.Text;
using Gateway.Domain;
using Gateway.Handler.Clearing;
using Gateway.Handler.Hosting;
using Gateway.Storage;
using Gateway.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Gateway.Integration.Tests;

/// <summary>The hospital API: signing, idempotency races, limits, listing, trial, callbacks, and the OpenAPI document.</summary>
[Collection(GatewayCollection.Name)]
public sealed class HospitalApiTests(GatewayHost host)
{
    private GatewayFixture G => host.Gateway;
    private HospitalClient Shenzhen => G.Hospital("H440300001");

    private static async Task<string> TypeOf(HttpResponseMessage r) => (await Requests.ProblemAsync(r)).Type;

    [Fact]
    public async Task Signatures_that_are_expired_replayed_tampered_or_of_an_unknown_key_are_refused()
    {
        var body = Requests.SpecA(Requests.NewId("sig"));
        using var expired = await Shenzhen.SendAsync(HttpMethod.Post, "/api/v1/settlements", body, at: DateTimeOffset.UtcNow.AddMinutes(-6));
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
        Assert.Equal("signature-expired", await TypeOf(expired));

        using var unknown = await Shenzhen.SendAsync(HttpMethod.Post, "/api/v1/settlements", body, keyId: "k-NOPE");
        Assert.Equal("unknown-key", await TypeOf(unknown));

        var nonce = "nonce" + Guid.NewGuid().ToString("N");
        using var first = await Shenzhen.SendAsync(HttpMethod.Get, "/api/v1/settlements?from=2026-01-01&to=2026-01-02", nonce: nonce);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var replay = await Shenzhen.SendAsync(HttpMethod.Get, "/api/v1/settlements?from=2026-01-01&to=2026-01-02", nonce: nonce);
        Assert.Equal("signature-replayed", await TypeOf(replay));

        // Signed for one body, sent with another.
        var signedFor = Encoding.UTF8.GetBytes(body);
        var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/settlements") { Content = new StringContent(body.Replace("I21.9", "I20.0", StringComparison.Ordinal), Encoding.UTF8, "application/json") };
        foreach (var (n, v) in Gateway.Contracts.RequestSigning.Headers("k-H440300001", DemoKeys.Secret("k-H440300001"), "POST", "/api/v1/settlements", signedFor, DateTimeOffset.UtcNow))
            request.Headers.TryAddWithoutValidation(n, v);
        using var tampered = await G.Http.SendAsync(request);
        Assert.Equal("signature-invalid", await TypeOf(tampered));

        using var missing = await G.Http.PostAsync("api/v1/settlements", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal("signature-missing", await TypeOf(missing));
    }

    [Fact]
    public async Task The_same_id_sent_twenty_times_at_once_settles_once()
    {
        var id = Requests.NewId("race");
        var body = Requests.With(Requests.SpecA(id), o => { o["member"]!["homeRegion"] = "350200"; o["member"]!["memberId"] = "M350200001"; });
        var members = new MemberStore(new GatewayStorage(G.Azurite.ConnectionString));
        var before = await members.LoadAsync(RegionCode.Parse("350200"), "M350200001", 2026, "x~x", null, CancellationToken.None);
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Shenzhen.SubmitAsync(body, 20)));
        var bodies = new List<JObject>();
        foreach (var r in responses) { Assert.Equal(HttpStatusCode.Created, r.StatusCode); bodies.Add(await Requests.Json(r)); r.Dispose(); }
        Assert.Single(bodies.Select(b => (string)b["completedAt"]!).Distinct());
        var after = await members.LoadAsync(RegionCode.Parse("350200"), "M350200001", 2026, "x~x", null, CancellationToken.None);
        Assert.Equal(before!.Accumulators.Admissions + 1, after!.Accumulators.Admissions);
    }

    [Fact]
    public async Task Limits_and_media_types_get_their_problems()
    {
        var huge = "{\"hospitalSettlementId\":\"big\",\"pad\":\"" + new string('x', 1_100_000) + "\"}";
        using var tooLarge = await Shenzhen.SubmitAsync(huge, 0);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Equal("payload-too-large", await TypeOf(tooLarge));

        using var text = await Shenzhen.SendAsync(HttpMethod.Post, "/api/v1/settlements", "hello", contentType: "text/plain");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, text.StatusCode);

        var many = Requests.With(Requests.SpecA(Requests.NewId("lines")), o =>
            o["encounter"]!["lines"] = new JArray(Enumerable.Range(1, 2001).Select(i => new JObject { ["lineNo"] = i, ["itemCode"] = "D001", ["quantity"] = "1", ["unitPrice"] = "1.00", ["amount"] = "1.00" })));
        using var tooMany = await Shenzhen.SubmitAsync(many, 0);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, tooMany.StatusCode);
        Assert.Equal("validation-error", await TypeOf(tooMany));

        using var fields = await Shenzhen.SubmitAsync(Requests.With(Requests.SpecA("ok-id"), o => { o["member"]!["memberId"] = "bad id!"; ((JObject)o["encounter"]!).Remove("dischargeDate"); }), 0);
        var errors = (await Requests.Json(fields))["errors"]!.Select(e => (string)e["pointer"]!).ToList();
        Assert.Equal(["/member/memberId", "/encounter/dischargeDate"], errors);
    }

    [Fact]
    public async Task A_trial_returns_the_split_and_writes_nothing()
    {
        var id = Requests.NewId("trial");
        var members = new MemberStore(new GatewayStorage(G.Azurite.ConnectionString));
        var before = await members.LoadAsync(RegionCode.Parse("511300"), "M511300001", 2026, "x~x", null, CancellationToken.None);
        using var r = await Shenzhen.SubmitAsync(Requests.With(Requests.SpecA(id), o => o["trial"] = true), 0);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var body = await Requests.Json(r);
        Assert.True((bool)body["trial"]!);
        Assert.Equal("2245.80", (string)body["split"]!["basicFund"]!);
        Assert.Null(await new SettlementStore(new GatewayStorage(G.Azurite.ConnectionString)).GetAsync("H440300001", id, CancellationToken.None));
        var after = await members.LoadAsync(RegionCode.Parse("511300"), "M511300001", 2026, "x~x", null, CancellationToken.None);
        Assert.True(before!.Accumulators.SameAs(after!.Accumulators));
    }

    [Fact]
    public async Task A_hospital_lists_its_own_settlements_with_paging()
    {
        var h = G.Hospital("H440300003");
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var id = Requests.NewId("list");
            ids.Add(id);
            using var r = await h.SubmitAsync(Requests.SpecA(id), 15);
        }
        var today = ChinaTime.DateOf(DateTimeOffset.UtcNow).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture); // reconciliation days are China days
        // Another hospital's settlement today, which H440300003 must never see.
        var foreign = Requests.NewId("list-other");
        using (var r = await Shenzhen.SubmitAsync(Requests.SpecA(foreign), 15)) Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        var seen = new List<string>();
        var owners = new List<string>();
        var path = $"/api/v1/settlements?from={today}&to={today}&pageSize=2";
        while (path is not null)
        {
            using var page = await h.SendAsync(HttpMethod.Get, path);
            var json = await Requests.Json(page);
            seen.AddRange(json["items"]!.Select(x => (string)x["hospitalSettlementId"]!));
            owners.AddRange(json["items"]!.Select(x => (string)x["settlementId"]!));
            Assert.True(json["items"]!.Count() <= 2);
            path = (string?)json["next"];
        }
        Assert.Superset(ids.ToHashSet(), seen.ToHashSet());
        Assert.DoesNotContain(foreign, seen);
        Assert.All(owners, s => Assert.StartsWith("H440300003~", s, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Callbacks_are_signed_retried_and_bounded()
    {
        using var hospital = WireMockServer.Start();
        hospital.Given(Request.Create().WithPath("/ok").UsingPost()).RespondWith(Response.Create().WithStatusCode(200));
        hospital.Given(Request.Create().WithPath("/flaky").UsingPost()).AtPriority(10).InScenario("flaky").WillSetStateTo("up").RespondWith(Response.Create().WithStatusCode(500));
        hospital.Given(Request.Create().WithPath("/flaky").UsingPost()).AtPriority(1).InScenario("flaky").WhenStateIs("up").RespondWith(Response.Create().WithStatusCode(200));
        hospital.Given(Request.Create().WithPath("/slow").UsingPost()).AtPriority(10).InScenario("slow").WillSetStateTo("fast").RespondWith(Response.Create().WithStatusCode(200).WithDelay(TimeSpan.FromMilliseconds(4000)));
        hospital.Given(Request.Create().WithPath("/slow").UsingPost()).AtPriority(1).InScenario("slow").WhenStateIs("fast").RespondWith(Response.Create().WithStatusCode(200));
        hospital.Given(Request.Create().WithPath("/down").UsingPost()).RespondWith(Response.Create().WithStatusCode(503));
        var baseUrl = hospital.Urls[0];

        var ids = new Dictionary<string, string>();
        foreach (var path in new[] { "ok", "flaky", "slow", "down" })
        {
            var id = Requests.NewId("cb" + path);
            ids[path] = id;
            using var r = await Shenzhen.SubmitAsync(Requests.With(Requests.SpecA(id), o => o["callbackUrl"] = $"{baseUrl}/{path}"), 15);
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        }
        int Calls(string path) => hospital.LogEntries.Count(e => e.RequestMessage.Path == "/" + path);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && (Calls("ok") < 1 || Calls("flaky") < 2 || Calls("slow") < 2 || Calls("down") < 15)) await Task.Delay(250);

        Assert.Equal(1, Calls("ok"));
        Assert.Equal(2, Calls("flaky"));   // 500, then success within the same delivery
        // The first try times out (CallbackTimeoutSeconds = 3); the state flips when its slow answer is sent
        // (4 s), so one more try may still meet the slow answer before a fast one: 2 or 3 calls, never more.
        Assert.InRange(Calls("slow"), 2, 3);
        Assert.Equal(15, Calls("down"));   // 3 tries × MaxDeliveryCount 5 deliveries, then dead-lettered: bounded
        await Task.Delay(1500);
        Assert.Equal(15, Calls("down"));

        var ok = hospital.LogEntries.First(e => e.RequestMessage.Path == "/ok").RequestMessage;
        var body = Encoding.UTF8.GetBytes(ok.Body!);
        var headers = ok.Headers!;
        Assert.Equal("k-H440300001", headers["X-Gateway-Key-Id"][0]);
        Assert.True(Gateway.Contracts.RequestSigning.Verify(Encoding.UTF8.GetBytes(DemoKeys.Secret("k-H440300001")), "POST", "/ok",
            headers["X-Gateway-Timestamp"][0], headers["X-Gateway-Nonce"][0], body, headers["X-Gateway-Signature"][0]));
        Assert.Equal("completed", (string)JObject.Parse(ok.Body!)["status"]!);
    }

    [Fact]
    public void Every_route_is_described_in_the_OpenAPI_document()
    {
        var doc = JObject.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "openapi.json")));
        var paths = ((JObject)doc["paths"]!).Properties().Select(p => p.Name).ToHashSet();
        static string Normalize(string route) => System.Text.RegularExpressions.Regex.Replace(route, "{\\*?([a-zA-Z]+)(:[^}]*)?}", "{$1}");

        // Every HTTP function (except the internal dispatch hop and the clearing catch-all, checked below).
        foreach (var dir in Directory.EnumerateDirectories(Path.Combine(RepoPaths.Root, "functions")))
        {
            var trigger = JObject.Parse(File.ReadAllText(Path.Combine(dir, "function.json")))["bindings"]!.FirstOrDefault(b => (string)b["type"]! == "httpTrigger");
            if (trigger is null) continue;
            var route = "/api/" + Normalize((string)trigger["route"]!);
            if (route is "/api/v1/clearing/{rest}") continue;
            Assert.True(paths.Contains(route), $"{Path.GetFileName(dir)}: {route} is not in docs/openapi.json");
        }

        // Every clearing API endpoint the handler maps.
        var builder = WebApplication.CreateSlimBuilder();
        // Registered only so the route builder knows these parameters are services; never resolved here.
        builder.Services.AddSingleton<ClearingUsers>(_ => throw new InvalidOperationException());
        builder.Services.AddSingleton<LedgerStore>(_ => throw new InvalidOperationException());
        builder.Services.AddSingleton<SettlementStore>(_ => throw new InvalidOperationException());
        builder.Services.AddSingleton<ReconciliationStore>(_ => throw new InvalidOperationException());
        builder.Services.AddSingleton<Reviews>(_ => throw new InvalidOperationException());
        builder.Services.AddSingleton<TimeProvider>(TimeProvider.System);
        var app = builder.Build();
        ClearingApi.Map(app);
        var clearing = ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>().Select(e => Normalize(e.RoutePattern.RawText!)).ToList();
        Assert.NotEmpty(clearing);
        Assert.All(clearing, route => Assert.True(paths.Contains(route), $"{route} is not in docs/openapi.json"));
        Assert.Contains(FunctionRoutes.All, f => f.Name == "OpenApi");
    }

    [Fact]
    public async Task The_OpenAPI_document_is_served_at_a_stable_url()
    {
        using var r = await G.Http.GetAsync("api/v1/openapi.json");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("3.0.3", (string)JObject.Parse(await r.Content.ReadAsStringAsync())["openapi"]!);
    }
}
