using System.Net;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Gateway.Storage;
using Gateway.TestSupport;
using Newtonsoft.Json.Linq;

namespace Gateway.Reliability.Tests;

/// <summary>
/// Hostile input against the HTTP API: a corpus of hand-made nasty requests and FsCheck mutations of a valid one.
/// Every answer is a 4xx problem+json or (for a mutation that stayed valid) a normal answer; never a 5xx, never a
/// hang; and a refused request writes nothing.
/// </summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private GatewayFixture _g = null!;
    private const string Hospital = "H441900002";

    public async Task InitializeAsync() => _g = await GatewayFixture.StartAsync();

    public async Task DisposeAsync() => await _g.DisposeAsync();

    private static string Valid(string id) =>
        File.ReadAllText(Path.Combine(RepoPaths.Root, "data", "demo", "settlement-A.json")).Replace("__ID__", id, StringComparison.Ordinal);

    private async Task AssertRefused(HttpResponseMessage r, string what)
    {
        var code = (int)r.StatusCode;
        Assert.True(code is >= 400 and < 500, $"{what}: answered {code}");
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        var body = JObject.Parse(await r.Content.ReadAsStringAsync());
        Assert.StartsWith("https://gateway.example.org/problems/", (string)body["type"]!);
    }

    private async Task<long> CountAsync()
    {
        var store = new SettlementStore(new GatewayStorage(_g.Azurite.ConnectionString));
        var (items, next) = await store.ListAsync(Hospital, DateTimeOffset.MinValue, DateTimeOffset.MaxValue, 1000, null, CancellationToken.None);
        Assert.Null(next);
        return items.Count;
    }

    [Fact]
    public async Task A_corpus_of_nasty_requests_gets_4xx_problems_and_writes_nothing()
    {
        var h = _g.Hospital(Hospital);
        var before = await CountAsync();
        var deep = new string('[', 5000) + new string(']', 5000);
        var manyLines = Valid("many").Replace("\"lines\": [", "\"lines\": [" + string.Concat(Enumerable.Repeat("{\"itemCode\":\"D001\",\"quantity\":\"1\",\"unitPrice\":\"1.00\",\"amount\":\"1.00\"},", 100_000)), StringComparison.Ordinal);
        var corpus = new (string What, string Body, string ContentType)[]
        {
            ("broken JSON", "{\"hospitalSettlementId\": \"x\", ", "application/json"),
            ("not an object", "[1,2,3]", "application/json"),
            ("empty body", "", "application/json"),
            ("deep nesting", deep, "application/json"),
            ("huge number", Valid("huge").Replace("\"250.00\"", "1e400", StringComparison.Ordinal), "application/json"),
            ("28-digit number", Valid("digits").Replace("\"250.00\"", "99999999999999999999999999999999", StringComparison.Ordinal), "application/json"),
            ("negative amount", Valid("neg").Replace("\"250.00\"", "\"-250.00\"", StringComparison.Ordinal), "application/json"),
            ("NaN", Valid("nan").Replace("\"250.00\"", "NaN", StringComparison.Ordinal), "application/json"),
            ("Infinity string", Valid("inf").Replace("\"250.00\"", "\"Infinity\"", StringComparison.Ordinal), "application/json"),
            ("10 MB body", "{\"hospitalSettlementId\":\"big\",\"x\":\"" + new string('a', 10 * 1024 * 1024) + "\"}", "application/json"),
            ("100,000 lines", manyLines, "application/json"),
            ("latin-1 charset", Valid("latin"), "application/json; charset=iso-8859-1"),
            ("form encoding", "a=1&b=2", "application/x-www-form-urlencoded"),
            ("SQL in the id", Valid("x").Replace("\"x\"", "\"1'; DROP TABLE Settlements;--\"", StringComparison.Ordinal), "application/json"),
            ("HTML in the member id", Valid("html").Replace("M511300001", "<script>alert(1)</script>", StringComparison.Ordinal), "application/json"),
            ("unknown field", Valid("unk").Replace("\"trial\"", "\"trial\"", StringComparison.Ordinal).Replace("{", "{\"__proto__\": {},", StringComparison.Ordinal), "application/json"),
            ("null everywhere", "{\"hospitalSettlementId\":null,\"member\":null,\"encounter\":null}", "application/json"),
            ("wrong types", "{\"hospitalSettlementId\":12,\"member\":\"M1\",\"encounter\":[]}", "application/json"),
            ("dates backwards", Valid("dates").Replace("2026-05-09", "2026-04-09", StringComparison.Ordinal), "application/json"),
            ("impossible date", Valid("date30").Replace("2026-05-09", "2026-02-30", StringComparison.Ordinal), "application/json"),
        };
        foreach (var (what, body, type) in corpus)
        {
            using var r = await h.SendAsync(HttpMethod.Post, "/api/v1/settlements", body, contentType: type);
            await AssertRefused(r, what);
        }
        // UTF-16 bytes declared as JSON.
        var utf16 = new HttpRequestMessage(HttpMethod.Post, "api/v1/settlements") { Content = new ByteArrayContent(Encoding.Unicode.GetBytes(Valid("utf16"))) };
        utf16.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        foreach (var (n, v) in Gateway.Contracts.RequestSigning.Headers("k-" + Hospital, DemoKeys.Secret("k-" + Hospital), "POST", "/api/v1/settlements", Encoding.Unicode.GetBytes(Valid("utf16")), DateTimeOffset.UtcNow))
            utf16.Headers.TryAddWithoutValidation(n, v);
        using (var r = await _g.Http.SendAsync(utf16)) await AssertRefused(r, "UTF-16 body");
        // Bad signatures and a replay.
        using (var r = await h.SendAsync(HttpMethod.Post, "/api/v1/settlements", Valid("sig1"), signAsSecret: "guess")) await AssertRefused(r, "bad signature");
        var nonce = "replay" + Guid.NewGuid().ToString("N");
        using (var first = await h.SendAsync(HttpMethod.Post, "/api/v1/settlements", "{", nonce: nonce)) await AssertRefused(first, "broken JSON with a fresh nonce");
        using (var r = await h.SendAsync(HttpMethod.Post, "/api/v1/settlements", Valid("replayed"), nonce: nonce)) await AssertRefused(r, "replayed nonce");

        Assert.Equal(before, await CountAsync());
    }

    private static readonly string[] Nasty = ["", " ", "null", "-1", "1e400", "NaN", "'; DROP TABLE x;--", "<img src=x onerror=alert(1)>", "\u0000", "𠜎𠜱", "9999999999999999999999999999.99", "-0.001", "{}", "[]", "true"];

    private static Gen<string> Mutations =>
        from seed in Gen.Choose(0, int.MaxValue)
        from count in Gen.Choose(1, 4)
        select Mutate(seed, count);

    /// <summary>A valid request with 1–4 random fields replaced by nasty values, removed, or retyped.</summary>
    private static string Mutate(int seed, int count)
    {
        var random = new Random(seed);
        var o = JObject.Parse(Valid($"fz{seed}"));
        var leaves = o.Descendants().OfType<JValue>().Select(v => v.Path).ToList();
        for (var i = 0; i < count; i++)
        {
            var token = o.SelectToken(leaves[random.Next(leaves.Count)]);
            if (token is null) continue;
            var nasty = Nasty[random.Next(Nasty.Length)];
            switch (random.Next(4))
            {
                case 0: token.Replace(new JValue(nasty)); break;
                case 1 when token.Parent is JProperty p: p.Remove(); break;
                case 2: token.Replace(random.Next(2) == 0 ? new JValue(random.NextDouble() * 1e30 - 5e29) : new JValue(-random.Next())); break;
                default: token.Replace(new JArray(new JObject { ["x"] = nasty })); break;
            }
        }
        return o.ToString();
    }

    [Fact]
    public async Task Mutated_requests_never_get_a_5xx_and_refused_ones_write_nothing()
    {
        var h = _g.Hospital(Hospital);
        var store = new SettlementStore(new GatewayStorage(_g.Azurite.ConnectionString));
        var failures = new List<string>();
        Prop.ForAll(Mutations.ToArbitrary(), body =>
        {
            // Mutations can reuse an id ("true", "-1"): compare with what the store held before this request.
            var idToken = JObject.Parse(body)["hospitalSettlementId"];
            var id = idToken?.Type == JTokenType.String && Keys.IsValidId((string)idToken!) ? (string)idToken! : null;
            var before = id is null ? null : store.GetAsync(Hospital, id, CancellationToken.None).GetAwaiter().GetResult();
            using var r = h.SubmitAsync(body, 0).GetAwaiter().GetResult();
            var code = (int)r.StatusCode;
            if (code >= 500) { failures.Add($"{code} for {body}"); return false; }
            if (code >= 400)
            {
                if (r.Content.Headers.ContentType?.MediaType != "application/problem+json") { failures.Add($"{code} without problem+json for {body}"); return false; }
                // A 422 from the home region (after evaluation) is a recorded, rejected settlement; every other refusal writes nothing.
                var problem = JObject.Parse(r.Content.ReadAsStringAsync().GetAwaiter().GetResult());
                if (id is not null && problem["instance"] is null)
                {
                    var after = store.GetAsync(Hospital, id, CancellationToken.None).GetAwaiter().GetResult();
                    if (after?.ETag != before?.ETag)
                    {
                        failures.Add($"{code} but written: {body}");
                        return false;
                    }
                }
            }
            return true;
        }).Check(Config.Quick.WithMaxTest(300));
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(5)));
        await Task.CompletedTask;
    }
}
