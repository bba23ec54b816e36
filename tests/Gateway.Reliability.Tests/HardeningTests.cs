using System.Net;
using System.Text;
using Gateway.Contracts;
using Gateway.Storage;
using Gateway.TestSupport;
using Newtonsoft.Json.Linq;

namespace Gateway.Reliability.Tests;

/// <summary>
/// Every observation of the attack run against <c>./gateway up</c> (docs/reliability.md, "Attack passes"), as a request
/// that must be refused at the door with a typed 4xx problem and write nothing. The gateway runs as <c>./gateway up</c>
/// runs it: no test-only switch (callbacks to loopback are refused here).
/// </summary>
public sealed class HardeningTests : IAsyncLifetime
{
    private GatewayFixture _g = null!;
    private const string Hospital = "H440300001";

    public async Task InitializeAsync() => _g = await GatewayFixture.StartAsync();

    public async Task DisposeAsync() => await _g.DisposeAsync();

    private static string NewId(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..20];

    private static JObject Valid(string id) =>
        JObject.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "data", "demo", "settlement-A.json")).Replace("__ID__", id, StringComparison.Ordinal));

    private static string With(string id, Action<JObject> change)
    {
        var o = Valid(id);
        change(o);
        return o.ToString(Newtonsoft.Json.Formatting.None);
    }

    private async Task<long> CountAsync()
    {
        var store = new SettlementStore(new GatewayStorage(_g.Azurite.ConnectionString));
        var (items, _) = await store.ListAsync(Hospital, DateTimeOffset.MinValue, DateTimeOffset.MaxValue, 1000, null, CancellationToken.None);
        return items.Count;
    }

    /// <summary>A 4xx problem+json of the given type whose text names no .NET type, exception or library.</summary>
    private static async Task<JObject> AssertProblemAsync(HttpResponseMessage r, int status, string type, string what)
    {
        var text = await r.Content.ReadAsStringAsync();
        Assert.True((int)r.StatusCode == status, $"{what}: answered {(int)r.StatusCode} {text}");
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        var body = JObject.Parse(text);
        Assert.True("https://gateway.example.org/problems/" + type == (string?)body["type"], $"{what}: type {(string?)body["type"]}, expected {type}: {text}");
        foreach (var internalName in new[] { "Gateway.", "System.", "Newtonsoft", "Exception", "JsonArrayAttribute", "List`1", "RequestId", "Azure." })
            Assert.False(text.Contains(internalName, StringComparison.Ordinal), $"{what}: the answer names '{internalName}': {text}");
        return body;
    }

    [Fact]
    public async Task Values_of_the_wrong_JSON_type_are_refused_not_coerced()
    {
        var h = _g.Hospital(Hospital);
        var before = await CountAsync();
        var cases = new (string What, Action<JObject> Change, string Pointer)[]
        {
            ("id as a number", o => o["hospitalSettlementId"] = 12345678, "/hospitalSettlementId"),
            ("id as a boolean", o => o["hospitalSettlementId"] = true, "/hospitalSettlementId"),
            ("member id as a number", o => o["member"]!["memberId"] = 123, "/member/memberId"),
            ("emergency as 1", o => o["encounter"]!["emergency"] = 1, "/encounter/emergency"),
            ("emergency as 123", o => o["encounter"]!["emergency"] = 123, "/encounter/emergency"),
            ("emergency as \"true\"", o => o["encounter"]!["emergency"] = "true", "/encounter/emergency"),
            ("trial as 123", o => o["trial"] = 123, "/trial"),
            ("item code as true", o => o["encounter"]!["lines"]![0]!["itemCode"] = true, "/encounter/lines/0/itemCode"),
            ("line number as \"1\"", o => o["encounter"]!["lines"]![0]!["lineNo"] = "1", "/encounter/lines/0/lineNo"),
            ("line number as 1.5", o => o["encounter"]!["lines"]![0]!["lineNo"] = 1.5, "/encounter/lines/0/lineNo"),
        };
        foreach (var (what, change, pointer) in cases)
        {
            using var r = await h.SubmitAsync(With(NewId("type"), change), null);
            var body = await AssertProblemAsync(r, 400, "malformed-json", what);
            Assert.Equal(pointer, (string?)body["errors"]?[0]?["pointer"]);
        }
        Assert.Equal(before, await CountAsync());
    }

    [Fact]
    public async Task Implausible_dates_codes_and_numbers_are_refused_at_intake()
    {
        var h = _g.Hospital(Hospital);
        var before = await CountAsync();
        var cases = new (string What, Action<JObject> Change, int Status, string Type)[]
        {
            ("a 30-year stay", o => o["encounter"]!["admissionDate"] = "1996-05-01", 422, "impossible-dates"),
            ("the year 1", o => { o["encounter"]!["admissionDate"] = "0001-01-01"; o["encounter"]!["dischargeDate"] = "0001-01-02"; }, 422, "impossible-dates"),
            ("special outpatient with two dates", o =>
            {
                var e = o["encounter"]!;
                e["encounterType"] = "specialOutpatient"; e["specialDiseaseCode"] = "I10"; e["visitDate"] = "2026-05-09";
            }, 422, "validation-error"),
            ("SQL in a diagnosis", o => o["encounter"]!["diagnoses"] = new JArray("I21.9' OR 1=1--"), 422, "validation-error"),
            ("NUL in a diagnosis", o => o["encounter"]!["diagnoses"] = new JArray("I21.9\u0000"), 400, "malformed-json"),
            ("line number -5", o => o["encounter"]!["lines"]![0]!["lineNo"] = -5, 422, "validation-error"),
            ("quantity 1e-28", o => o["encounter"]!["lines"]![0]!["quantity"] = "0.0000000000000000000000000001", 422, "negative-or-absurd-amount"),
            ("amount with three decimals", o => o["encounter"]!["lines"]![0]!["amount"] = "250.001", 422, "negative-or-absurd-amount"),
            ("a 100,000-character special-disease code", o => { o["encounter"]!["specialDiseaseCode"] = new string('A', 100_000); }, 400, "malformed-json"),
            ("a 300-character special-disease code", o => { o["encounter"]!["specialDiseaseCode"] = new string('A', 300); }, 422, "validation-error"),
            ("21 diagnoses", o => o["encounter"]!["diagnoses"] = new JArray(Enumerable.Range(0, 21).Select(i => "I21." + i)), 422, "validation-error"),
        };
        foreach (var (what, change, status, type) in cases)
        {
            using var r = await h.SubmitAsync(With(NewId("odd"), change), null);
            await AssertProblemAsync(r, status, type, what);
        }
        Assert.Equal(before, await CountAsync());
    }

    [Fact]
    public async Task Bodies_that_are_not_exactly_UTF8_JSON_are_refused()
    {
        var h = _g.Hospital(Hospital);
        var before = await CountAsync();
        var valid = Valid(NewId("enc")).ToString(Newtonsoft.Json.Formatting.None);

        // Invalid UTF-8 in a line name: 415, not settled.
        var bytes = Encoding.UTF8.GetBytes(valid.Replace("Aspirin", "Asp__rin", StringComparison.Ordinal));
        var at = Encoding.UTF8.GetBytes(valid.Replace("Aspirin", "Asp__rin", StringComparison.Ordinal)).AsSpan().IndexOf("__"u8);
        bytes[at] = 0xC3; bytes[at + 1] = 0x28; // a lead byte without its continuation
        using (var r = await SendBytesAsync(h, bytes, "application/json")) await AssertProblemAsync(r, 415, "unsupported-media-type", "invalid UTF-8");
        // UTF-16: 415, not 400.
        using (var r = await SendBytesAsync(h, Encoding.Unicode.GetBytes(valid), "application/json")) await AssertProblemAsync(r, 415, "unsupported-media-type", "UTF-16");
        using (var r = await SendBytesAsync(h, [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(valid)], "application/json")) await AssertProblemAsync(r, 415, "unsupported-media-type", "UTF-16 with BOM");
        // Not exactly application/json.
        foreach (var type in new[] { "application/jsonpx", "application/json-patch+json", "text/json", "application/json; charset=utf-16", "application/json; foo=bar" })
        {
            using var r = await h.SendAsync(HttpMethod.Post, "/api/v1/settlements", valid, contentType: type);
            await AssertProblemAsync(r, 415, "unsupported-media-type", type);
        }
        using (var r = await h.SendAsync(HttpMethod.Post, "/api/v1/settlements", Valid(NewId("cs")).ToString(), contentType: "application/json; charset=UTF-8"))
            Assert.True(r.IsSuccessStatusCode, "charset=UTF-8 is accepted");
        // Duplicate keys: refused, never "the last wins".
        var duplicate = valid.Replace("\"amount\":\"250.00\"", "\"amount\":\"1.00\",\"amount\":\"250.00\"", StringComparison.Ordinal);
        Assert.NotEqual(valid, duplicate);
        using (var r = await h.SubmitAsync(duplicate, null))
        {
            var body = await AssertProblemAsync(r, 400, "malformed-json", "duplicate key");
            Assert.Equal("/encounter/lines/0/amount", (string?)body["errors"]?[0]?["pointer"]);
        }
        Assert.Equal(before + 1, await CountAsync()); // only the charset=UTF-8 one
    }

    private static Task<HttpResponseMessage> SendBytesAsync(HospitalClient h, byte[] body, string contentType) =>
        h.SendRawAsync(HttpMethod.Post, "/api/v1/settlements", body, contentType);

    [Fact]
    public async Task Errors_never_name_internal_types()
    {
        var h = _g.Hospital(Hospital);
        foreach (var (what, body) in new[]
        {
            ("an array body", "[]"),
            ("lines as an object", With(NewId("obj"), o => o["encounter"]!["lines"] = new JObject())),
            ("member as a string", With(NewId("str"), o => o["member"] = "M511300001")),
            ("an unknown field", With(NewId("unk"), o => o["encounter"]!["colour"] = "red")),
            ("null", "null"),
        })
        {
            using var r = await h.SubmitAsync(body, null);
            await AssertProblemAsync(r, 400, "malformed-json", what);
        }
    }

    [Fact]
    public async Task Callbacks_go_only_to_a_registered_https_host_never_inward()
    {
        var h = _g.Hospital(Hospital);
        var before = await CountAsync();
        foreach (var url in new[]
        {
            "http://127.0.0.1:18765/cb", "https://127.0.0.1/cb", "https://localhost/cb", "https://169.254.169.254/latest/meta-data", "https://10.0.0.5/cb",
            "https://[::1]/cb", "https://[fd00::1]/cb", "http://his.szph.example.cn/cb", "https://evil.example.com/cb", "https://user:pw@his.szph.example.cn/cb",
            "ftp://his.szph.example.cn/cb", "https://his.szph.example.cn:8443/cb", "https://0x7f000001/cb",
        })
        {
            using var r = await h.SubmitAsync(With(NewId("cb"), o => o["callbackUrl"] = url), null);
            var body = await AssertProblemAsync(r, 422, "validation-error", url);
            Assert.Equal("/callbackUrl", (string?)body["errors"]?[0]?["pointer"]);
        }
        Assert.Equal(before, await CountAsync());
        // The registered host over https is accepted (a trial: checked, nothing written).
        using var ok = await h.SubmitAsync(With(NewId("cbok"), o => { o["callbackUrl"] = "https://his.szph.example.cn/gateway/callback"; o["trial"] = true; }), null);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task The_signature_covers_the_path_as_sent_and_non_canonical_paths_are_refused()
    {
        var h = _g.Hospital(Hospital);
        // Signed as /api/v1/settlements, sent as /api/v1/settlement%73: refused (it used to be accepted).
        using (var r = await h.SendAsync(HttpMethod.Post, "/api/v1/settlement%73", Valid(NewId("enc")).ToString(), signPath: "/api/v1/settlements"))
            await AssertProblemAsync(r, 400, "non-canonical-target", "encoded path");
        // Signed exactly as sent, still not canonical: refused the same, not normalised.
        using (var r = await h.SendAsync(HttpMethod.Post, "/api/v1/settlement%73", Valid(NewId("enc2")).ToString()))
            await AssertProblemAsync(r, 400, "non-canonical-target", "encoded path signed as sent");
        using (var r = await h.SendAsync(HttpMethod.Get, "/api/v1/settlements?from=2026-05-01&&to=2026-05-31"))
            await AssertProblemAsync(r, 400, "non-canonical-target", "an empty query pair");
        // A query string, signed as sent in canonical form: served.
        using (var r = await h.SendAsync(HttpMethod.Get, "/api/v1/settlements?from=2026-05-01&to=2026-05-31"))
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
    }

    [Fact]
    public async Task A_5_MB_statement_answer_is_refused_before_it_is_read()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/clearing/periods/2026-05/statements/511300/440300/dispute")
        {
            Content = new StringContent("{\"reason\":\"" + new string('x', 5 * 1024 * 1024) + "\"}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("nanchong:nanchong-demo")));
        using var r = await _g.Http.SendAsync(request);
        await AssertProblemAsync(r, 413, "payload-too-large", "5 MB dispute");
    }

    [Fact]
    public async Task A_chunked_body_is_told_to_send_its_length_and_health_says_only_up()
    {
        var h = _g.Hospital(Hospital);
        using (var r = await h.SendRawAsync(HttpMethod.Post, "/api/v1/settlements", Encoding.UTF8.GetBytes(Valid(NewId("chunk")).ToString()), "application/json", chunked: true))
            await AssertProblemAsync(r, 411, "length-required", "chunked");
        using var health = await _g.Http.GetAsync("api/v1/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("{\"status\":\"up\"}", await health.Content.ReadAsStringAsync());
        using var diagnostics = await _g.Http.GetAsync("api/v1/diagnostics");
        Assert.Equal(HttpStatusCode.Unauthorized, diagnostics.StatusCode);
    }
}
