using System.Net;
using Gateway.Domain;
using Gateway.Storage;
using Gateway.TestSupport;
using Newtonsoft.Json.Linq;
using NJsonSchema;

namespace Gateway.Integration.Tests;

/// <summary>
/// Online filing (秒备案, spec §9.5) end to end on Azurite: a hospital files a patient of another region through
/// POST /api/v1/filings, the filing travels to the home region's queue, is decided and recorded there, and the member's
/// next settlement in that treatment region counts as filed. Refusals, idempotency and strict input.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class FilingTests(GatewayHost host)
{
    private GatewayFixture G => host.Gateway;
    private HospitalClient Shenzhen => G.Hospital("H440300001");

    private static DateOnly TodayInChina => ChinaTime.DateOf(DateTimeOffset.UtcNow);

    /// <summary>A Nanchong resident (as example A's member) with no filing at all.</summary>
    private async Task<string> UnfiledMemberAsync(MemberStatus status = MemberStatus.Active)
    {
        var id = "F" + Guid.NewGuid().ToString("N")[..12];
        await new MemberStore(new GatewayStorage(G.Azurite.ConnectionString)).UpsertProfileAsync(new MemberProfile(id, RegionCode.Parse("511300"),
            InsuranceType.Resident, false, new DateOnly(1981, 3, 2), 7, AssistanceCategory.None, false, [], [], 0m, status), CancellationToken.None);
        return id;
    }

    private static string Filing(string id, string memberId, string home = "511300") =>
        new JObject { ["hospitalFilingId"] = id, ["member"] = new JObject { ["homeRegion"] = home, ["memberId"] = memberId } }.ToString();

    private Task<HttpResponseMessage> FileAsync(string body, int? wait = 15) => Shenzhen.SendAsync(HttpMethod.Post, "/api/v1/filings", body, wait);

    /// <summary>Example A's bill, discharged today (China time): the service date a filing made today covers.</summary>
    private async Task<JObject> SettleTodayAsync(string memberId)
    {
        var body = Requests.With(Requests.SpecA(Requests.NewId("filed")), o =>
        {
            o["member"]!["memberId"] = memberId;
            o["encounter"]!["admissionDate"] = TodayInChina.AddDays(-12).ToString("yyyy-MM-dd") /* 12 bed-days in 12 days: within the audit's one a day */;
            o["encounter"]!["dischargeDate"] = TodayInChina.ToString("yyyy-MM-dd");
        });
        using var r = await Shenzhen.SubmitAsync(body, 20);
        var json = await Requests.Json(r);
        Assert.True(r.StatusCode == HttpStatusCode.Created, $"{(int)r.StatusCode}: {json}");
        return json;
    }

    [Fact]
    public async Task A_filing_made_through_the_api_turns_the_members_next_settlement_into_a_filed_one()
    {
        var member = await UnfiledMemberAsync();
        var before = await SettleTodayAsync(member);
        // Unfiled: 60% − 10 points (spec §8, A unfiled).
        Assert.Equal("0.50", (string)before["ratio"]!);
        Assert.Equal("1871.50", (string)before["split"]!["basicFund"]!);

        var id = Requests.NewId("ba");
        using var filed = await FileAsync(Filing(id, member));
        var filing = await Requests.Json(filed);
        Assert.True(filed.StatusCode == HttpStatusCode.Created, $"{(int)filed.StatusCode}: {filing}");
        Assert.Equal($"/api/v1/filings/{id}", filed.Headers.Location!.ToString());
        Assert.Equal("filed", (string)filing["status"]!);
        Assert.Equal("440300", (string)filing["treatmentRegion"]!);
        Assert.Equal(TodayInChina.ToString("yyyy-MM-dd"), (string)filing["validFrom"]!);
        Assert.Equal(TodayInChina.AddDays(179).ToString("yyyy-MM-dd"), (string)filing["validTo"]!); // Nanchong: 180 days

        var after = await SettleTodayAsync(member);
        Assert.Equal("0.60", (string)after["ratio"]!);
        Assert.Equal("2245.80", (string)after["split"]!["basicFund"]!);
        Assert.DoesNotContain("no filing", (string)after["explanation"]!.Single(s => (string)s["code"]! == "basicFund")["text"]!, StringComparison.Ordinal);

        using var get = await Shenzhen.SendAsync(HttpMethod.Get, $"/api/v1/filings/{id}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("filed", (string)(await Requests.Json(get))["status"]!);
        using var other = await G.Hospital("H441900001").SendAsync(HttpMethod.Get, $"/api/v1/filings/{id}");
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode); // a hospital reads only its own filings

        // The messages that travelled match the public contract.
        var storage = new GatewayStorage(G.Azurite.ConnectionString);
        var record = await new FilingStore(storage).GetAsync("H440300001", id, CancellationToken.None);
        await AssertValid("filing-request.v1.json", record!.RequestMessage);
        var (_, marker) = await new MemberStore(storage).LoadFilingAsync(RegionCode.Parse("511300"), member, record.FilingId, CancellationToken.None);
        await AssertValid("filing-reply.v1.json", marker!.ReplyJson);
    }

    [Fact]
    public async Task The_filing_counts_only_for_the_hospitals_own_treatment_region()
    {
        var member = await UnfiledMemberAsync();
        using var filed = await FileAsync(Filing(Requests.NewId("ba"), member));
        Assert.Equal(HttpStatusCode.Created, filed.StatusCode);
        var body = Requests.With(Requests.SpecA(Requests.NewId("dg")), o =>
        {
            o["member"]!["memberId"] = member;
            o["encounter"]!["admissionDate"] = TodayInChina.AddDays(-12).ToString("yyyy-MM-dd") /* 12 bed-days in 12 days: within the audit's one a day */;
            o["encounter"]!["dischargeDate"] = TodayInChina.ToString("yyyy-MM-dd");
        });
        using var dongguan = await G.Hospital("H441900001").SubmitAsync(body, 20);
        Assert.Equal(HttpStatusCode.Created, dongguan.StatusCode);
        Assert.Equal("0.50", (string)(await Requests.Json(dongguan))["ratio"]!); // filed for Shenzhen, not for Dongguan
    }

    [Theory]
    [InlineData("unknown", "unknown-member")]
    [InlineData("suspended", "coverage-suspended")]
    public async Task The_home_region_refuses_an_unknown_or_suspended_member_and_the_resource_says_why(string who, string code)
    {
        var member = who == "unknown" ? "NOBODY" + Guid.NewGuid().ToString("N")[..8] : await UnfiledMemberAsync(MemberStatus.Suspended);
        var id = Requests.NewId("ref");
        using var refused = await FileAsync(Filing(id, member));
        var (status, type, problem) = await Requests.ProblemAsync(refused);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal(code, type);
        Assert.Equal($"/api/v1/filings/{id}", (string)problem["instance"]!);
        using var get = await Shenzhen.SendAsync(HttpMethod.Get, $"/api/v1/filings/{id}");
        var view = await Requests.Json(get);
        Assert.Equal("refused", (string)view["status"]!);
        Assert.Equal(code, (string)view["refusal"]!["code"]!);
        Assert.Null(view["validFrom"]);
        var storage = new GatewayStorage(G.Azurite.ConnectionString);
        var (_, marker) = await new MemberStore(storage).LoadFilingAsync(RegionCode.Parse("511300"), member, "H440300001~" + id, CancellationToken.None);
        await AssertValid("filing-reply.v1.json", marker!.ReplyJson);
    }

    [Fact]
    public async Task Same_id_and_body_is_the_same_filing_another_body_is_a_conflict_and_without_prefer_it_is_202()
    {
        var member = await UnfiledMemberAsync();
        var id = Requests.NewId("idem");
        using var accepted = await FileAsync(Filing(id, member), wait: null);
        Assert.True(accepted.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.Created, $"{(int)accepted.StatusCode}");
        if (accepted.StatusCode == HttpStatusCode.Accepted)
        {
            Assert.NotNull(accepted.Headers.RetryAfter);
            Assert.Equal("pending", (string)(await Requests.Json(accepted))["status"]!);
        }
        using var polled = await Shenzhen.SendAsync(HttpMethod.Get, $"/api/v1/filings/{id}", waitSeconds: 15);
        var first = await Requests.Json(polled);
        Assert.Equal("filed", (string)first["status"]!);
        using var again = await FileAsync(Filing(id, member));
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.Equal((string)first["decidedAt"]!, (string)(await Requests.Json(again))["decidedAt"]!);
        using var conflict = await FileAsync(Filing(id, await UnfiledMemberAsync()), wait: 0);
        var (status, type, _) = await Requests.ProblemAsync(conflict);
        Assert.Equal((HttpStatusCode.Conflict, "idempotency-conflict"), (status, type));
    }

    public static TheoryData<string, int, string, string?> BadBodies => new()
    {
        { "{\"hospitalFilingId\": \"__ID__\", \"member\": {\"homeRegion\": \"511300\", \"memberId\": \"M511300001\"}, \"surprise\": 1}", 400, "malformed-json", "/surprise" },
        { "{\"hospitalFilingId\": 12345678, \"member\": {\"homeRegion\": \"511300\", \"memberId\": \"M511300001\"}}", 400, "malformed-json", "/hospitalFilingId" },
        { "{\"hospitalFilingId\": \"__ID__\", \"hospitalFilingId\": \"__ID__\", \"member\": {\"homeRegion\": \"511300\", \"memberId\": \"M511300001\"}}", 400, "malformed-json", null },
        { "{\"hospitalFilingId\": \"__ID__\", \"member\": {\"homeRegion\": 511300, \"memberId\": \"M511300001\"}}", 400, "malformed-json", "/member/homeRegion" },
        { "{\"hospitalFilingId\": \"__ID__\"", 400, "malformed-json", null },
        { "{\"hospitalFilingId\": \"__ID__\"}", 422, "validation-error", "/member" },
        { "{\"hospitalFilingId\": \"__ID__\", \"member\": {\"homeRegion\": \"5113\", \"memberId\": \"M 1\"}}", 422, "validation-error", "/member/homeRegion" },
        { "{\"hospitalFilingId\": \"a b\", \"member\": {\"homeRegion\": \"511300\", \"memberId\": \"M511300001\"}}", 422, "validation-error", "/hospitalFilingId" },
        { "{\"hospitalFilingId\": \"__ID__\", \"member\": {\"homeRegion\": \"110000\", \"memberId\": \"M511300001\"}}", 422, "unknown-home-region", "/member/homeRegion" },
        { "{\"hospitalFilingId\": \"__ID__\", \"member\": {\"homeRegion\": \"440300\", \"memberId\": \"M440300001\"}}", 422, "not-cross-region", null },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_input_is_a_problem_and_writes_no_filing(string body, int status, string type, string? pointer)
    {
        var id = Requests.NewId("bad");
        using var r = await FileAsync(body.Replace("__ID__", id, StringComparison.Ordinal), wait: 0);
        var (s, t, problem) = await Requests.ProblemAsync(r);
        Assert.Equal((status, type), ((int)s, t));
        if (pointer is not null) Assert.Contains(problem["errors"]!, e => (string)e["pointer"]! == pointer);
        Assert.Null(await new FilingStore(new GatewayStorage(G.Azurite.ConnectionString)).GetAsync("H440300001", id, CancellationToken.None));
    }

    [Fact]
    public async Task Unsigned_wrong_media_type_and_oversized_bodies_are_refused()
    {
        using var unsigned = await G.Http.PostAsync("api/v1/filings", new StringContent(Filing("x1", "M1"), System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal((HttpStatusCode.Unauthorized, "signature-missing"), ((await Requests.ProblemAsync(unsigned)).Status, (await Requests.ProblemAsync(unsigned)).Type));
        using var text = await Shenzhen.SendAsync(HttpMethod.Post, "/api/v1/filings", Filing("x2", "M1"), contentType: "text/plain");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, text.StatusCode);
        using var big = await Shenzhen.SendAsync(HttpMethod.Post, "/api/v1/filings", Filing("x3", new string('M', 20_000)));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, big.StatusCode);
        using var missing = await Shenzhen.SendAsync(HttpMethod.Get, "/api/v1/filings/none-such");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task The_home_side_refuses_when_its_pack_takes_no_online_filing_and_answers_a_repeat_with_its_first_answer()
    {
        // The reference home evaluator with Nanchong's pack lacking the filing block (as a region that has not switched it on).
        var packs = new RulePackSet(Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "packs"), "*.json").Select(f =>
        {
            var o = JObject.Parse(File.ReadAllText(f));
            if ((string)o["region"]! == "511300") o.Remove("filing");
            return RulePackLoader.Load(o.ToString(), Path.GetFileName(f));
        }));
        var storage = new GatewayStorage(G.Azurite.ConnectionString);
        var members = new MemberStore(storage);
        var directory = Gateway.Handler.Home.NationalDirectory.Off();
        var home = new Gateway.Handler.Filings.HomeFilingEvaluator(members, packs, directory, TimeProvider.System);
        var member = await UnfiledMemberAsync();
        var filingId = "H440300001~" + Requests.NewId("off");
        var request = Gateway.Contracts.GatewayJson.Serialize(new Gateway.Contracts.FilingRequestMessage
        {
            CorrelationId = filingId, FilingId = filingId, HospitalCode = "H440300001", HomeRegion = "511300", TreatmentRegion = "440300",
            MemberId = member, FiledOn = TodayInChina, SentAt = DateTimeOffset.UtcNow,
        });
        Assert.True(Gateway.Contracts.FilingRequestMessage.IsFiling(request));
        var first = await home.HandleAsync("511300", request, CancellationToken.None);
        var reply = JObject.Parse(first);
        Assert.Equal("refused", (string)reply["outcome"]!);
        Assert.Equal("online-filing-not-allowed", (string)reply["refusal"]!["code"]!);
        await AssertValid("filing-reply.v1.json", first);
        // Redelivered (even after the pack changed): the same answer, byte for byte, and no filing for the member.
        var again = await new Gateway.Handler.Filings.HomeFilingEvaluator(members, RulePackSet.Default, directory, TimeProvider.System).HandleAsync("511300", request, CancellationToken.None);
        Assert.Equal(first, again);
        var state = await members.LoadAsync(RegionCode.Parse("511300"), member, TodayInChina.Year, "none~none", null, CancellationToken.None);
        Assert.Empty(state!.Profile.Filings);
        // A message for another region's queue is not processed (it fails, and would be dead-lettered).
        await Assert.ThrowsAsync<InvalidOperationException>(() => home.HandleAsync("441900", request, CancellationToken.None));
    }

    [Fact]
    public async Task No_body_a_hospital_can_send_ends_as_a_server_error_or_writes_a_filing()
    {
        var random = new Random(19);
        // A member of its own: a mutation may leave the body valid (then it is simply a filing).
        var valid = Filing("FUZZ" + Guid.NewGuid().ToString("N")[..8], await UnfiledMemberAsync());
        string[] fragments = ["{", "}", "[", "]", "\"", ":", ",", "null", "true", "1e400", "-0", "\\u0000", "\u0001", "\"hospitalFilingId\"", "\"member\"",
            "{\"homeRegion\":", "\"511300\"", new string('[', 40), "\"__proto__\"", "\"$type\"", "\ud800"];
        var bodies = new List<byte[]>();
        for (var i = 0; i < 120; i++)
        {
            var text = valid;
            var edits = random.Next(1, 4);
            for (var e = 0; e < edits; e++)
            {
                var at = random.Next(text.Length + 1);
                text = random.Next(3) switch
                {
                    0 => text.Insert(at, fragments[random.Next(fragments.Length)]),
                    1 => at < text.Length ? text.Remove(at, Math.Min(random.Next(1, 6), text.Length - at)) : text,
                    _ => text[..at],
                };
            }
            bodies.Add(System.Text.Encoding.UTF8.GetBytes(text));
        }
        bodies.Add([0xFF, 0xFE, 0x7B, 0x00]); // UTF-16
        bodies.Add([0x7B, 0xC3, 0x28, 0x7D]); // an invalid UTF-8 sequence
        bodies.Add(System.Text.Encoding.UTF8.GetBytes("{\"hospitalFilingId\": \"" + new string('x', 5000) + "\", \"member\": {}}"));
        foreach (var body in bodies)
        {
            using var r = await Shenzhen.SendRawAsync(HttpMethod.Post, "/api/v1/filings", body, "application/json", waitSeconds: 0);
            var text = await r.Content.ReadAsStringAsync();
            Assert.True((int)r.StatusCode < 500, $"{(int)r.StatusCode} for {System.Text.Encoding.UTF8.GetString(body)}: {text}");
            // Refused as a problem, or (a mutation that left the body valid) accepted as the filing it is.
            Assert.True((int)r.StatusCode is 201 or 202 || r.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{(int)r.StatusCode}: {text}");
            Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
            Assert.DoesNotContain("Gateway.", text, StringComparison.Ordinal);
        }
        foreach (var id in new[] { "..", "a%2Fb", new string('a', 65), "%E4%B8%AD", "a~b~c", "H440300001~" })
        {
            using var r = await Shenzhen.SendAsync(HttpMethod.Get, "/api/v1/filings/" + id);
            Assert.True((int)r.StatusCode is >= 400 and < 500, $"{(int)r.StatusCode} for GET {id}");
        }
        var chunkedId = Requests.NewId("chunk");
        using var chunked = await Shenzhen.SendRawAsync(HttpMethod.Post, "/api/v1/filings", System.Text.Encoding.UTF8.GetBytes(Filing(chunkedId, "M511300001")), "application/json", chunked: true);
        Assert.Equal(HttpStatusCode.LengthRequired, chunked.StatusCode);
        Assert.Null(await new FilingStore(new GatewayStorage(G.Azurite.ConnectionString)).GetAsync("H440300001", chunkedId, CancellationToken.None));
    }

    private static async Task AssertValid(string schemaFile, string json)
    {
        var errors = (await JsonSchema.FromFileAsync(Path.Combine(RepoPaths.Root, "schemas", schemaFile))).Validate(json);
        Assert.True(errors.Count == 0, $"{schemaFile}: " + string.Join("; ", errors.Select(e => $"{e.Path}: {e.Kind}")) + "\n" + json);
    }
}
