using System.Globalization;
using System.Net;
using System.Text;
using Gateway.Contracts;
using Gateway.LocalHost;
using Gateway.Messaging;
using Gateway.Storage;
using Gateway.TestSupport;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Gateway.Integration.Tests.HostContract;

/// <summary>
/// The contract with the real Azure Functions host, held by fixtures derived from its source (derive_fixtures.py beside
/// them names each file and commit): the local host produces exactly the fixtures' invocations, field by field, and the
/// handler processes every one of them as the real host would send it.
/// </summary>
public sealed class HostContractTests
{
    private static readonly string Dir = Path.Combine(RepoPaths.Root, "tests", "Gateway.Integration.Tests", "HostContract");

    private static JObject Fixture(string name)
    {
        using var reader = new JsonTextReader(new StringReader(File.ReadAllText(Path.Combine(Dir, name)))) { DateParseHandling = DateParseHandling.None };
        return JObject.Load(reader);
    }

    public static TheoryData<string> ServiceBusFixtures => new() { "servicebus-evaluate.invocation.json", "servicebus-reply.invocation.json", "servicebus-callback.invocation.json" };

    public static TheoryData<string> TimerFixtures => new() { "timer-SweepSettlements.invocation.json", "timer-ClosePeriod.invocation.json" };

    private static DateTimeOffset Instant(JToken t) => DateTimeOffset.Parse((string)t!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    /// <summary>Field by field, naming the first field that differs.</summary>
    private static void AssertSame(JObject expected, JObject actual, string where)
    {
        foreach (var name in expected.Properties().Select(p => p.Name).Union(actual.Properties().Select(p => p.Name)))
        {
            var e = expected[name];
            var a = actual[name];
            Assert.True(e is not null, $"{where}.{name}: the local host sends it, the real host does not ({a?.ToString(Formatting.None)})");
            Assert.True(a is not null, $"{where}.{name}: the real host sends {e!.ToString(Formatting.None)}, the local host does not");
            Assert.True(JToken.DeepEquals(e, a), $"{where}.{name}: real host {e!.ToString(Formatting.None)}, local host {a!.ToString(Formatting.None)}");
        }
    }

    [Theory]
    [MemberData(nameof(ServiceBusFixtures))]
    public void The_local_host_builds_a_service_bus_invocation_exactly_as_the_fixture(string name)
    {
        var f = Fixture(name);
        var m = (JObject)f["message"]!;
        var envelope = new LocalQueueEnvelope
        {
            MessageId = (string)m["messageId"]!,
            ContentType = (string)m["contentType"]!,
            Subject = (string?)m["subject"],
            ApplicationProperties = ((JObject)m["applicationProperties"]!).Properties().ToDictionary(p => p.Name, p => (string)p.Value!),
            EnqueuedTimeUtc = Instant(m["enqueuedTimeUtc"]!),
            Body = (string)m["body"]!,
        };
        var (data, metadata) = Gateway.LocalHost.HostContract.ServiceBus((string)f["function"]!, (string)f["binding"]!, envelope, (int)m["deliveryCount"]!, (long)m["sequenceNumber"]!,
            (string)m["lockToken"]!, Instant(m["expiresAtUtc"]!), Instant(m["utcNow"]!), Guid.Parse((string)m["randGuid"]!),
            (string)m["fullyQualifiedNamespace"]!, (string)m["clientIdentifier"]!);
        AssertSame((JObject)f["request"]!["Data"]!, data, "Data");
        AssertSame((JObject)f["request"]!["Metadata"]!, metadata, "Metadata");
        // The payload itself parses back to the same (what goes over the wire).
        using var wire = new JsonTextReader(new StringReader(Gateway.LocalHost.HostContract.Payload(data, metadata))) { DateParseHandling = DateParseHandling.None };
        Assert.True(JToken.DeepEquals(f["request"], JObject.Load(wire)));
    }

    [Theory]
    [MemberData(nameof(TimerFixtures))]
    public void The_local_host_builds_a_timer_invocation_exactly_as_the_fixture(string name)
    {
        var f = Fixture(name);
        var t = (JObject)f["timer"]!;
        DateTime Utc(string field) => Instant(t[field]!).UtcDateTime;
        var last = Utc("last");
        var (data, metadata) = Gateway.LocalHost.HostContract.Timer((string)f["function"]!, (string)f["binding"]!, last == DateTime.MinValue ? null : last, Utc("next"),
            Utc("lastUpdated"), Utc("utcNow"), (bool)t["isPastDue"]!, Guid.Parse((string)t["randGuid"]!));
        AssertSame((JObject)f["request"]!["Data"]!, data, "Data");
        AssertSame((JObject)f["request"]!["Metadata"]!, metadata, "Metadata");
    }

    [Fact]
    public void A_service_bus_output_is_written_as_the_real_host_writes_it()
    {
        // FunctionBinding.BindAsyncCollectorAsync: a JSON string is parsed and re-written indented; an array is one message each.
        var body = "{\"a\":1,\"b\":{\"c\":\"x\"}}";
        var written = Assert.Single(Gateway.LocalHost.HostContract.OutputMessages(body));
        Assert.Equal(JToken.Parse(body).ToString(Formatting.Indented), written);
        // An array: one message per element, a string element as it is (JValue.ToString()), an object indented.
        Assert.Equal(["{\"a\":1}", "plain", "{\n  \"b\": 2\n}"],
            Gateway.LocalHost.HostContract.OutputMessages(new JArray("{\"a\":1}", "plain", new JObject { ["b"] = 2 })).Select(x => x.Replace("\r", "", StringComparison.Ordinal)));
        // ... which the claim check still recognises as a reference.
        var reference = ClaimCheck.Reference("message-claims", "2026/12/02/abc", 123, "abc");
        Assert.True(ClaimCheck.IsReference(Assert.Single(Gateway.LocalHost.HostContract.OutputMessages(reference))));
    }

    [Fact]
    public async Task The_handler_processes_every_fixture_as_the_real_host_sends_it()
    {
        await using var azurite = await AzuriteFixture.StartAsync();
        var settings = new Settings(new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["ServiceBusConnection"] = azurite.ConnectionString,
            ["QueueTransport"] = "StorageQueues",
            ["GATEWAY_DATA_DIR"] = Path.Combine(RepoPaths.Root, "data"),
            ["GATEWAY_DEMO"] = "true",
            ["AllowLoopbackCallbacks"] = "true", // the callback receiver is WireMock on 127.0.0.1
        });
        var handlerDll = RepoPaths.ProjectOutput("Gateway.Handler", "Gateway.Handler.dll");
        await using var handler = await HandlerProcess.StartAsync(handlerDll, Path.GetDirectoryName(handlerDll)!, settings, 0, CancellationToken.None);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{handler.Port}"), Timeout = TimeSpan.FromSeconds(60) };
        var store = new SettlementStore(new GatewayStorage(azurite.ConnectionString));

        async Task<(HttpStatusCode Status, JObject Body)> InvokeAsync(string function, string payload)
        {
            using var content = new StringContent(payload, Encoding.UTF8, "application/json");
            using var request = new HttpRequestMessage(HttpMethod.Post, "/" + function) { Content = content };
            request.Headers.TryAddWithoutValidation("X-Azure-Functions-HostVersion", "4.1036.1.23224");
            request.Headers.TryAddWithoutValidation("X-Azure-Functions-InvocationId", Guid.NewGuid().ToString());
            using var response = await http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            var body = JObject.Parse(text); // never empty: an empty answer would never complete the invocation on the real host
            Assert.IsType<JObject>(body["Outputs"]);
            Assert.IsType<JArray>(body["Logs"]);
            return (response.StatusCode, body);
        }

        // Service Bus: the evaluate request of example A, JSON-encoded once more by the host.
        var evaluate = Fixture("servicebus-evaluate.invocation.json");
        var (status, result) = await InvokeAsync("EvaluateHome511300", evaluate["request"]!.ToString(Formatting.None));
        Assert.Equal(HttpStatusCode.OK, status);
        var reply = GatewayJson.Deserialize<EvaluationReplyMessage>((string)result["Outputs"]!["reply"]!);
        Assert.Equal("completed", reply.Outcome);
        Assert.Equal(4963.00m, reply.Result!.Split.CashPay);
        Assert.Equal(2245.80m, reply.Result.Split.BasicFund);

        // Service Bus: an indented reply from an output binding, second delivery, for a pending settlement.
        await store.CreateAsync(new SettlementRecord
        {
            HospitalCode = "H440300001", HospitalSettlementId = "fixture-R", Status = SettlementStatus.Pending, RequestHash = "x", HomeRegion = "511300",
            TreatmentRegion = "440300", MemberId = "M511300999", ServiceDate = new DateOnly(2026, 5, 9), SubmittedAt = DateTimeOffset.UtcNow, RequestMessage = "{}",
        }, CancellationToken.None);
        (status, _) = await InvokeAsync("ApplyReply", Fixture("servicebus-reply.invocation.json")["request"]!.ToString(Formatting.None));
        Assert.Equal(HttpStatusCode.OK, status);
        var applied = await store.GetAsync("H440300001", "fixture-R", CancellationToken.None);
        Assert.Equal(SettlementStatus.Rejected, applied!.Status);
        Assert.Equal("unknown-member", applied.RejectionCode);

        // Service Bus: a callback message; delivered, signed, to the receiver.
        using var receiver = WireMockServer.Start();
        receiver.Given(Request.Create().WithPath("/callback").UsingPost()).RespondWith(Response.Create().WithStatusCode(200));
        var callback = Fixture("servicebus-callback.invocation.json")["request"]!.ToString(Formatting.None).Replace("{{callbackUrl}}", receiver.Url + "/callback", StringComparison.Ordinal);
        (status, _) = await InvokeAsync("NotifyHospital", callback);
        Assert.Equal(HttpStatusCode.OK, status);
        var posted = Assert.Single(receiver.LogEntries);
        Assert.Contains("fixture-C", posted.RequestMessage.Body!, StringComparison.Ordinal);
        Assert.True(posted.RequestMessage.Headers!.ContainsKey("X-Gateway-Signature"));

        // Timers.
        foreach (var name in new[] { "timer-SweepSettlements.invocation.json", "timer-ClosePeriod.invocation.json" })
        {
            var f = Fixture(name);
            (status, _) = await InvokeAsync((string)f["function"]!, f["request"]!.ToString(Formatting.None));
            Assert.Equal(HttpStatusCode.OK, status);
        }

        // Forwarded HTTP, with the host's headers.
        var forwarded = Fixture("http-forwarded.request.json")["request"]!;
        using (var request = new HttpRequestMessage(HttpMethod.Get, (string)forwarded["path"]!))
        {
            foreach (var p in ((JObject)forwarded["headers"]!).Properties()) request.Headers.TryAddWithoutValidation(p.Name, (string)p.Value!);
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // A failing invocation: 500 with a JSON object (the host abandons the message), its logs free of internal names.
        var broken = new JObject { ["Data"] = new JObject { ["msg"] = JsonConvert.SerializeObject("{\"not\":\"a reply\"}") }, ["Metadata"] = new JObject { ["DeliveryCount"] = "1" } };
        (status, result) = await InvokeAsync("ApplyReply", broken.ToString(Formatting.None));
        Assert.Equal(HttpStatusCode.InternalServerError, status);
        var log = string.Join("\n", result["Logs"]!.Values<string>());
        Assert.DoesNotContain("Exception", log, StringComparison.Ordinal);
        Assert.DoesNotContain("Newtonsoft", log, StringComparison.Ordinal);
    }

    [Fact]
    public void The_handler_reads_the_real_hosts_encodings()
    {
        var f = Fixture("servicebus-evaluate.invocation.json");
        var invocation = Gateway.Handler.Hosting.InvocationRequest.Parse(f["request"]!.ToString(Formatting.None));
        Assert.Equal((string)f["message"]!["body"]!, invocation.MessageText("msg"));   // the extra layer of JSON removed
        Assert.Equal(1, invocation.DeliveryCount);                                        // "1"
        Assert.Equal("H440300001~fixture-A", invocation.MessageId);                      // "\"H440300001~fixture-A\""
        var second = Gateway.Handler.Hosting.InvocationRequest.Parse(Fixture("servicebus-reply.invocation.json")["request"]!.ToString(Formatting.None));
        Assert.Equal(2, second.DeliveryCount);
        Assert.StartsWith("{\n  \"schemaVersion\": 1", second.MessageText("msg").Replace("\r", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }
}
