using System.Net;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Gateway.Contracts;
using Gateway.Domain;
using Gateway.Storage;
using Gateway.TestSupport;
using Newtonsoft.Json.Linq;

namespace Gateway.Integration.Tests;

/// <summary>The whole path through the local host and the handler, on real Azurite.</summary>
[Collection(GatewayCollection.Name)]
public sealed class EndToEndTests(GatewayHost host)
{
    private GatewayFixture G => host.Gateway;

    [Fact]
    public async Task Spec_example_A_settles_end_to_end_to_the_cent()
    {
        // A member of their own, so no other test's settlements move their accumulators.
        var member = await Members.FreshCopyAsync(G, "511300", "M511300001");
        var shenzhen = G.Hospital("H440300001");
        var id = Requests.NewId("a");
        using var response = await shenzhen.SubmitAsync(Requests.With(Requests.SpecA(id), o => o["member"]!["memberId"] = member), waitSeconds: 15);
        var body = await Requests.Json(response);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal($"/api/v1/settlements/{id}", response.Headers.Location!.ToString());
        Assert.Equal("completed", (string)body["status"]!);
        var split = body["split"]!;
        Assert.Equal("7208.80", (string)split["total"]!);
        Assert.Equal("800.00", (string)split["deductible"]!);
        Assert.Equal("2245.80", (string)split["basicFund"]!);
        Assert.Equal("4963.00", (string)split["cashPay"]!);
        Assert.Equal("2245.80", (string)body["national"]!["hifp_pay"]!);
        Assert.Equal("0.60", (string)body["ratio"]!);
        Assert.Contains(body["explanation"]!, s => (string)s["code"]! == "line.notInCatalog");

        using var get = await shenzhen.GetAsync(id);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("2245.80", (string)(await Requests.Json(get))["split"]!["basicFund"]!);
    }

    [Fact]
    public async Task A_region_administrator_imports_members_who_can_then_settle()
    {
        var memberId = "IMPORT" + Guid.NewGuid().ToString("N")[..8];
        var csv = Gateway.Storage.MemberImport.CsvHeader + "\n" + $"{memberId},511300,resident,false,1981-03-02,7,none,false,0.00,active,,440300:2026-01-01:2026-12-31\n";
        HttpRequestMessage Import(string user, string password, string body)
        {
            var r = new HttpRequestMessage(HttpMethod.Post, "api/v1/regions/511300/members") { Content = new StringContent(body, System.Text.Encoding.UTF8, "text/csv") };
            r.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{user}:{password}")));
            return r;
        }
        using var wrongRegion = await G.Http.SendAsync(Import("shenzhen-admin", "shenzhen-admin-demo", csv));
        Assert.Equal(HttpStatusCode.Forbidden, wrongRegion.StatusCode);
        using var bad = await G.Http.SendAsync(Import("nanchong-admin", "nanchong-admin-demo", csv.Replace("resident", "retiree", StringComparison.Ordinal)));
        Assert.True(bad.StatusCode == HttpStatusCode.UnprocessableEntity, G.Log[^Math.Min(3000, G.Log.Length)..]);
        Assert.Equal("/line/2/insuranceType", (string)(await Requests.Json(bad))["errors"]![0]!["pointer"]!);
        using var ok = await G.Http.SendAsync(Import("nanchong-admin", "nanchong-admin-demo", csv));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(1, (int)(await Requests.Json(ok))["imported"]!);

        using var settled = await G.Hospital("H440300001").SubmitAsync(Requests.With(Requests.SpecA(Requests.NewId("imp")), o => o["member"]!["memberId"] = memberId), 15);
        Assert.Equal(HttpStatusCode.Created, settled.StatusCode);
        Assert.Equal("4963.00", (string)(await Requests.Json(settled))["split"]!["cashPay"]!);
    }

    [Fact]
    public async Task A_long_bill_of_1500_lines_travels_the_queues_whole()
    {
        var member = await Members.FreshCopyAsync(G, "511300", "M511300001");
        var body = Requests.LongBill(Requests.NewId("long"), member, 1500);
        using var r = await G.Hospital("H440300001").SubmitAsync(body, 20);
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        var json = await Requests.Json(r);
        // 750 × 20.00 class A + 750 × (20.00 − 2.00 pre-self-pay) class B: in scope 28,500.00; (28,500 − 800) × 60% = 16,620.00.
        Assert.Equal("30000.00", (string)json["split"]!["total"]!);
        Assert.Equal("28500.00", (string)json["split"]!["inScope"]!);
        Assert.Equal("16620.00", (string)json["split"]!["basicFund"]!);
        Assert.Equal(1500, json["explanation"]!.Count(e => e["lineNo"] is not null));
    }

    [Fact]
    public async Task Same_id_and_body_is_the_same_settlement_and_another_body_is_a_conflict()
    {
        var h = G.Hospital("H440300001");
        var id = Requests.NewId("idem");
        var body = Requests.SpecA(id);
        using var first = await h.SubmitAsync(body, 15);
        using var again = await h.SubmitAsync(body, 15);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.Equal((string)(await Requests.Json(first))["completedAt"]!, (string)(await Requests.Json(again))["completedAt"]!);

        var other = Requests.With(body, o => o["encounter"]!["diagnoses"] = new JArray("I20.0"));
        using var conflict = await h.SubmitAsync(other, 0);
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Equal("application/problem+json", conflict.Content.Headers.ContentType!.MediaType);
        Assert.EndsWith("/idempotency-conflict", (string)(await Requests.Json(conflict))["type"]!);
    }

    [Fact]
    public async Task Without_prefer_wait_the_answer_is_202_with_location_and_the_status_resource_completes()
    {
        var h = G.Hospital("H440300002");
        var id = Requests.NewId("async");
        using var accepted = await h.SubmitAsync(Requests.SpecA(id), waitSeconds: null);
        Assert.True(accepted.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.Created);
        if (accepted.StatusCode == HttpStatusCode.Accepted) Assert.NotNull(accepted.Headers.RetryAfter);
        using var done = await h.GetAsync(id, waitSeconds: 15);
        var body = await Requests.Json(done);
        Assert.Equal("completed", (string)body["status"]!);
        // Level 2 in Shenzhen for a Nanchong resident: deductible 400, ratio 75%: (4,543 − 400) × 0.75 = 3,107.25.
        Assert.Equal("3107.25", (string)body["split"]!["basicFund"]!);
    }

    [Fact]
    public async Task A_hospital_reads_only_its_own_settlements()
    {
        var id = Requests.NewId("own");
        using var _ = await G.Hospital("H440300001").SubmitAsync(Requests.SpecA(id), 15);
        using var other = await G.Hospital("H441900001").GetAsync(id);
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        using var otherFull = await G.Hospital("H441900001").GetAsync("H440300001~" + id);
        Assert.Equal(HttpStatusCode.NotFound, otherFull.StatusCode);
    }

    [Theory]
    [InlineData("M999999999", "unknown-member")]
    [InlineData("M511300004", "coverage-suspended")]
    public async Task Home_region_rejections_are_typed_problems(string memberId, string type)
    {
        var body = Requests.With(Requests.SpecA(Requests.NewId("rej")), o => o["member"]!["memberId"] = memberId);
        using var r = await G.Hospital("H440300001").SubmitAsync(body, 15);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, r.StatusCode);
        var p = await Requests.Json(r);
        Assert.Equal("https://gateway.example.org/problems/" + type, (string)p["type"]!);
        Assert.NotNull(p["settlementId"]);
    }

    [Fact]
    public async Task Bad_signature_and_bad_input_get_problems_and_write_nothing()
    {
        var h = G.Hospital("H440300001");
        var id = Requests.NewId("bad");
        using var wrongKey = await h.SendAsync(HttpMethod.Post, "/api/v1/settlements", Requests.SpecA(id), signAsSecret: "not-the-secret");
        Assert.Equal(HttpStatusCode.Unauthorized, wrongKey.StatusCode);
        using var arithmetic = await h.SubmitAsync(Requests.With(Requests.SpecA(id), o => o["encounter"]!["lines"]![0]!["amount"] = "251.00"), 0);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, arithmetic.StatusCode);
        Assert.EndsWith("/line-arithmetic", (string)(await Requests.Json(arithmetic))["type"]!);
        using var unknownField = await h.SubmitAsync(Requests.With(Requests.SpecA(id), o => o["surprise"] = 1), 0);
        Assert.Equal(HttpStatusCode.BadRequest, unknownField.StatusCode);
        using var broken = await h.SubmitAsync("{\"hospitalSettlementId\": ", 0);
        Assert.Equal(HttpStatusCode.BadRequest, broken.StatusCode);

        var store = new SettlementStore(new GatewayStorage(G.Azurite.ConnectionString));
        Assert.Null(await store.GetAsync("H440300001", id, CancellationToken.None));
    }

    [Fact]
    public async Task A_message_that_keeps_failing_is_dead_lettered_and_its_settlement_fails_with_the_reason()
    {
        var storage = new GatewayStorage(G.Azurite.ConnectionString);
        var store = new SettlementStore(storage);
        var id = Requests.NewId("poison");
        var key = Keys.SettlementKey("H440300001", id);
        await store.CreateAsync(new SettlementRecord
        {
            HospitalCode = "H440300001", HospitalSettlementId = id, Status = SettlementStatus.Pending, RequestHash = "x", HomeRegion = "511300",
            TreatmentRegion = "440300", MemberId = "M511300001", ServiceDate = new DateOnly(2026, 5, 9), SubmittedAt = DateTimeOffset.UtcNow,
            RequestMessage = "{}",
        }, CancellationToken.None);
        var queues = new QueueServiceClient(G.Azurite.ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
        var poisoned = new JObject { ["schemaVersion"] = 99, ["kind"] = "evaluate", ["settlementId"] = key }.ToString();
        await queues.GetQueueClient("eval-requests-511300").SendMessageAsync(poisoned);

        // Dead-lettered the broker's way: the queue's dead-letter sub-queue, reason MaxDeliveryCountExceeded, read with the tools' reader.
        await using var deadLetters = new Gateway.Messaging.StorageQueueDeadLetters(queues, TimeProvider.System);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        Gateway.Messaging.DeadLetter? dead = null;
        while (dead is null && DateTime.UtcNow < deadline)
        {
            dead = (await deadLetters.ListAsync("eval-requests-511300", 32, CancellationToken.None)).FirstOrDefault(d => d.Body.Contains(key, StringComparison.Ordinal));
            if (dead is null) await Task.Delay(200);
        }
        Assert.NotNull(dead);
        Assert.Equal(5, dead.DeliveryCount);
        Assert.Equal("MaxDeliveryCountExceeded", dead.Reason);
        Assert.Equal(poisoned, dead.Body);
        var failed = await store.GetAsync("H440300001", id, CancellationToken.None);
        Assert.Equal(SettlementStatus.Failed, failed!.Status);
        Assert.Contains("dead-lettered", failed.FailureReason);
    }

    [Fact]
    public async Task Redelivering_an_evaluation_ten_times_changes_nothing()
    {
        var h = G.Hospital("H350200001");
        var id = Requests.NewId("redeliver");
        var body = Requests.With(Requests.SpecA(id), o => o["member"]!["memberId"] = "M441900002");
        body = Requests.With(body, o => o["member"]!["homeRegion"] = "441900");
        using var r = await h.SubmitAsync(body, 15);
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        var storage = new GatewayStorage(G.Azurite.ConnectionString);
        var members = new MemberStore(storage);
        var before = await members.LoadAsync(RegionCode.Parse("441900"), "M441900002", 2026, "none~none", null, CancellationToken.None);
        var record = await new SettlementStore(storage).GetAsync("H350200001", id, CancellationToken.None);
        var queues = new QueueServiceClient(G.Azurite.ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
        for (var i = 0; i < 9; i++) await queues.GetQueueClient("eval-requests-441900").SendMessageAsync(record!.RequestMessage);
        await QueueDrain.WaitEmptyAsync(queues, ["eval-requests-441900", "eval-replies"]);
        var after = await members.LoadAsync(RegionCode.Parse("441900"), "M441900002", 2026, "none~none", null, CancellationToken.None);
        Assert.True(before!.Accumulators.SameAs(after!.Accumulators));
        Assert.Equal(1, after.Accumulators.Admissions);
        var again = await new SettlementStore(storage).GetAsync("H350200001", id, CancellationToken.None);
        Assert.Equal(record!.Outcome, again!.Outcome);
    }

    [Fact]
    public async Task Fifty_concurrent_settlements_of_one_member_end_with_exact_accumulators()
    {
        var h = G.Hospital("H441900001");
        var ids = Enumerable.Range(0, 50).Select(i => Requests.NewId($"c{i}")).ToList();
        var bodies = ids.Select(id => Requests.With(Requests.SpecA(id), o =>
        {
            o["member"]!["homeRegion"] = "440300";
            o["member"]!["memberId"] = "M440300002";
        })).ToList();
        var responses = await Task.WhenAll(bodies.Select(b => h.SubmitAsync(b, 20)));
        var splits = new List<JObject>();
        foreach (var r in responses)
        {
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
            splits.Add(await Requests.Json(r));
            r.Dispose();
        }
        var members = new MemberStore(new GatewayStorage(G.Azurite.ConnectionString));
        var state = await members.LoadAsync(RegionCode.Parse("440300"), "M440300002", 2026, "none~none", null, CancellationToken.None);
        Assert.Equal(50, state!.Accumulators.Admissions);
        Assert.Equal(splits.Sum(s => decimal.Parse((string)s["split"]!["basicFund"]!, System.Globalization.CultureInfo.InvariantCulture)), state.Accumulators.BasicPaid);
        Assert.Equal(splits.Sum(s => decimal.Parse((string)s["split"]!["fundTotal"]!, System.Globalization.CultureInfo.InvariantCulture)), state.Accumulators.FundsPaid);
    }
}

public static class Members
{
    /// <summary>Registers a copy of a demo member under a new id (first year, no accumulators) and returns the id.</summary>
    public static async Task<string> FreshCopyAsync(GatewayFixture g, string region, string demoMemberId)
    {
        var store = new MemberStore(new GatewayStorage(g.Azurite.ConnectionString));
        var demo = await store.GetProfileAsync(RegionCode.Parse(region), demoMemberId, CancellationToken.None) ?? throw new InvalidOperationException("no demo member");
        var id = "T" + Guid.NewGuid().ToString("N")[..12];
        await store.UpsertProfileAsync(demo with { MemberId = id }, CancellationToken.None);
        return id;
    }
}

public static class QueueDrain
{
    public static async Task WaitEmptyAsync(QueueServiceClient queues, string[] names, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        var quiet = 0;
        while (DateTime.UtcNow < deadline)
        {
            var busy = false;
            foreach (var n in names)
            {
                var props = await queues.GetQueueClient(n).GetPropertiesAsync();
                if (props.Value.ApproximateMessagesCount > 0) busy = true;
            }
            quiet = busy ? 0 : quiet + 1;
            if (quiet >= 5) return;
            await Task.Delay(200);
        }
        throw new TimeoutException("queues did not drain");
    }
}
