using System.Diagnostics;
using System.Net;
using Azure.Messaging.ServiceBus;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Gateway.Contracts;
using Gateway.Handler.Intake;
using Gateway.Messaging;
using Gateway.Storage;
using Gateway.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Newtonsoft.Json.Linq;

namespace Gateway.Integration.Tests;

/// <summary>The messaging port's Service Bus adapter, tested with the SDK's own test support (mockable clients, ServiceBusModelFactory).</summary>
public sealed class ServiceBusAdapterTests
{
    private sealed class CapturingSender(string queue) : ServiceBusSender
    {
        public string Queue => queue;
        public List<ServiceBusMessage> Sent { get; } = [];

        public override Task SendMessageAsync(ServiceBusMessage message, CancellationToken cancellationToken = default)
        {
            Sent.Add(message);
            return Task.CompletedTask;
        }

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class FakeReceiver(List<ServiceBusReceivedMessage> messages) : ServiceBusReceiver
    {
        public List<ServiceBusReceivedMessage> Completed { get; } = [];
        public List<ServiceBusReceivedMessage> Abandoned { get; } = [];
        private int _received;

        public override Task<IReadOnlyList<ServiceBusReceivedMessage>> PeekMessagesAsync(int maxMessages, long? fromSequenceNumber = null, CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<ServiceBusReceivedMessage>>(messages.Where(m => m.SequenceNumber >= (fromSequenceNumber ?? 0)).Take(maxMessages).ToList());

        public override Task<IReadOnlyList<ServiceBusReceivedMessage>> ReceiveMessagesAsync(int maxMessages, TimeSpan? maxWaitTime = null, CancellationToken cancellationToken = default)
        {
            var batch = messages.Skip(_received).Take(maxMessages).ToList();
            _received += batch.Count;
            return Task.FromResult<IReadOnlyList<ServiceBusReceivedMessage>>(batch);
        }

        public override Task CompleteMessageAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken = default)
        {
            Completed.Add(message);
            return Task.CompletedTask;
        }

        public override Task AbandonMessageAsync(ServiceBusReceivedMessage message, IDictionary<string, object>? propertiesToModify = null, CancellationToken cancellationToken = default)
        {
            Abandoned.Add(message);
            return Task.CompletedTask;
        }

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class FakeClient(FakeReceiver? receiver = null) : ServiceBusClient
    {
        public Dictionary<string, CapturingSender> Senders { get; } = new();
        public ServiceBusReceiverOptions? ReceiverOptions { get; private set; }

        public override ServiceBusSender CreateSender(string queueOrTopicName)
        {
            if (!Senders.TryGetValue(queueOrTopicName, out var s)) Senders[queueOrTopicName] = s = new CapturingSender(queueOrTopicName);
            return s;
        }

        public override ServiceBusReceiver CreateReceiver(string queueName, ServiceBusReceiverOptions options)
        {
            ReceiverOptions = options;
            return receiver!;
        }

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private static string Request(string kind, string id = "H440300001~sb-1") => GatewayJson.Serialize(new EvaluationRequestMessage
    {
        Kind = kind, CorrelationId = id, SettlementId = id, HospitalCode = "H440300001", HomeRegion = "511300", TreatmentRegion = "440300", MemberId = "M511300001",
        SentAt = new DateTimeOffset(2026, 12, 2, 6, 0, 0, TimeSpan.Zero),
    });

    [Fact]
    public async Task The_oldest_waiting_message_is_peeked_from_the_start_of_the_queue_every_time()
    {
        var t1 = new DateTimeOffset(2026, 12, 3, 1, 0, 0, TimeSpan.Zero);
        ServiceBusReceivedMessage At(long seq, DateTimeOffset enqueued) => ServiceBusModelFactory.ServiceBusReceivedMessage(BinaryData.FromString("{}"), "m" + seq,
            sequenceNumber: seq, enqueuedTime: enqueued);
        var receiver = new FakeReceiver([At(7, t1), At(8, t1.AddSeconds(5))]);
        var client = new FakeClient(receiver);
        await using var sender = new ServiceBusMessageSender(client);
        Assert.Equal(t1, await sender.OldestWaitingAsync("eval-requests-511300", CancellationToken.None));
        Assert.Equal(t1, await sender.OldestWaitingAsync("eval-requests-511300", CancellationToken.None)); // not the next one: from the start again
        Assert.Equal(ServiceBusReceiveMode.PeekLock, client.ReceiverOptions!.ReceiveMode);
        var empty = new ServiceBusMessageSender(new FakeClient(new FakeReceiver([])));
        Assert.Null(await empty.OldestWaitingAsync("eval-requests-511300", CancellationToken.None));
        await empty.DisposeAsync();

        var dispatcher = new Dispatcher(sender, new ClaimCheck(new BlobContainerClient("UseDevelopmentStorage=true", "message-claims")), NullLogger<Dispatcher>.Instance);
        var heads = await dispatcher.QueueHeadsAsync(["511300"], CancellationToken.None);
        Assert.Equal(t1, heads["511300"]);
    }

    [Fact]
    public async Task Dispatch_sends_the_body_with_the_settlement_id_as_message_id_content_type_and_properties()
    {
        var client = new FakeClient();
        await using var sender = new ServiceBusMessageSender(client);
        var claims = new ClaimCheck(new BlobContainerClient("UseDevelopmentStorage=true", "message-claims")); // small bodies never touch it
        var dispatcher = new Dispatcher(sender, claims, NullLogger<Dispatcher>.Instance);

        Assert.True(await dispatcher.DispatchAsync(Request("evaluate"), CancellationToken.None));
        Assert.True(await dispatcher.DispatchAsync(Request("void"), CancellationToken.None));
        Assert.True(await dispatcher.DispatchAsync(Request("evaluate"), CancellationToken.None)); // a re-dispatch: the same MessageId

        var queue = Assert.Single(client.Senders).Value;
        Assert.Equal("eval-requests-511300", queue.Queue);
        Assert.Equal(3, queue.Sent.Count);
        var first = queue.Sent[0];
        Assert.Equal(Request("evaluate"), first.Body.ToString());
        Assert.Equal("H440300001~sb-1", first.MessageId);            // duplicate detection can be switched on
        Assert.Equal("application/json", first.ContentType);
        Assert.Equal("evaluate", first.Subject);
        Assert.Equal("evaluate", first.ApplicationProperties["kind"]);
        Assert.Equal("1", first.ApplicationProperties["schemaVersion"]);
        Assert.Equal("H440300001~sb-1", first.ApplicationProperties["settlementId"]);
        Assert.Equal("511300", first.ApplicationProperties["homeRegion"]);
        Assert.Equal("440300", first.ApplicationProperties["treatmentRegion"]);
        Assert.Equal("H440300001~sb-1:void", queue.Sent[1].MessageId);   // a void is never a duplicate of the evaluation
        Assert.Equal(first.MessageId, queue.Sent[2].MessageId);

        // The SDK's own model of a received message reads back what was sent.
        var received = ServiceBusModelFactory.ServiceBusReceivedMessage(first.Body, first.MessageId, contentType: first.ContentType, subject: first.Subject,
            properties: first.ApplicationProperties, deliveryCount: 1);
        Assert.Equal(Request("evaluate"), received.Body.ToString());
    }

    [Fact]
    public async Task Service_bus_dead_letters_are_listed_and_one_is_resubmitted_with_its_id_body_and_properties()
    {
        ServiceBusReceivedMessage Dead(string id, long seq) => ServiceBusModelFactory.ServiceBusReceivedMessage(BinaryData.FromString("{\"n\":" + seq + "}"), id,
            contentType: "application/json", subject: "evaluate", sequenceNumber: seq, deliveryCount: 5,
            // The broker keeps the reason and description as application properties of the dead letter.
            properties: new Dictionary<string, object>
            {
                ["kind"] = "evaluate", ["DeadLetterReason"] = "MaxDeliveryCountExceeded", ["DeadLetterErrorDescription"] = "Message could not be consumed after 5 delivery attempts.",
            });
        var receiver = new FakeReceiver([Dead("a", 1), Dead("b", 2), Dead("c", 3)]);
        var client = new FakeClient(receiver);
        var dead = new ServiceBusDeadLetters(client);

        var list = await dead.ListAsync("eval-requests-511300", 10, CancellationToken.None);
        Assert.Equal(SubQueue.DeadLetter, client.ReceiverOptions!.SubQueue);
        Assert.Equal(["a", "b", "c"], list.Select(d => d.MessageId));
        Assert.All(list, d => Assert.Equal("MaxDeliveryCountExceeded", d.Reason));
        Assert.Equal(5, list[0].DeliveryCount);

        Assert.True(await dead.ResubmitAsync("eval-requests-511300", "b", CancellationToken.None));
        var resent = Assert.Single(client.Senders["eval-requests-511300"].Sent);
        Assert.Equal("b", resent.MessageId);
        Assert.Equal("{\"n\":2}", resent.Body.ToString());
        Assert.Equal("evaluate", resent.ApplicationProperties["kind"]);
        Assert.Equal("b", Assert.Single(receiver.Completed).MessageId);       // removed from the dead-letter queue
        Assert.Contains(receiver.Abandoned, m => m.MessageId == "a");         // the others stay
    }
}

/// <summary>The queues end to end through the local host: sizes, dead letters and the tool that operates them, no forged sends.</summary>
[Collection(GatewayCollection.Name)]
public sealed class QueueOperationTests(GatewayHost host)
{
    private GatewayFixture G => host.Gateway;

    private QueueServiceClient Queues => new(G.Azurite.ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });

    private async Task<JObject> QueueFiguresAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "admin/host/queues");
        request.Headers.Add("x-functions-key", GatewayHost.MasterKey);
        using var response = await G.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JObject.Parse(await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_local_queue_tells_when_its_oldest_waiting_message_was_enqueued()
    {
        var queue = Queues.GetQueueClient("peek-" + Guid.NewGuid().ToString("N")[..12]);
        await queue.CreateAsync();
        var sender = new StorageQueueMessageSender(Queues, TimeProvider.System);
        Assert.Null(await sender.OldestWaitingAsync(queue.Name, CancellationToken.None));
        Assert.Null(await sender.OldestWaitingAsync("no-such-queue-" + Guid.NewGuid().ToString("N")[..8], CancellationToken.None));
        var before = DateTimeOffset.UtcNow.AddSeconds(-2);
        await sender.SendAsync(queue.Name, new OutgoingMessage("{}", "a", "evaluate", new Dictionary<string, string>()), CancellationToken.None);
        var first = await sender.OldestWaitingAsync(queue.Name, CancellationToken.None);
        Assert.NotNull(first);
        Assert.True(first >= before && first <= DateTimeOffset.UtcNow.AddSeconds(2), $"{first}");
        await Task.Delay(1100);
        await sender.SendAsync(queue.Name, new OutgoingMessage("{}", "b", "evaluate", new Dictionary<string, string>()), CancellationToken.None);
        Assert.Equal(first, await sender.OldestWaitingAsync(queue.Name, CancellationToken.None)); // still the first: a peek takes nothing
        await queue.DeleteAsync();
    }

    [Fact]
    public async Task A_2000_line_bill_settles_with_every_queued_message_under_192_KB()
    {
        var member = await Members.FreshCopyAsync(G, "511300", "M511300001");
        var body = Requests.LongBill(Requests.NewId("bill2000"), member, 2000);
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(body) > 192 * 1024, "the bill itself is larger than a message may be");
        using var r = await G.Hospital("H440300001").SubmitAsync(body, 20);
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        var json = await Requests.Json(r);
        Assert.Equal("40000.00", (string)json["split"]!["total"]!);
        Assert.Equal(2000, json["explanation"]!.Count(e => e["lineNo"] is not null));

        var figures = await QueueFiguresAsync();
        foreach (var queue in new[] { "eval-requests-511300", "eval-replies" })
            Assert.True((long)figures[queue]!["received"]! > 0, $"{queue} carried nothing");
        foreach (var (queue, f) in figures)
            Assert.True((long)f!["largestBodyBytes"]! < 192 * 1024, $"{queue}: a {(long)f["largestBodyBytes"]!}-byte message");
        // The bodies travelled as claim checks: the request and the reply are blobs.
        var blobs = new BlobServiceClient(G.Azurite.ConnectionString).GetBlobContainerClient(ClaimCheck.DefaultContainer);
        var count = 0;
        await foreach (var _ in blobs.GetBlobsAsync()) count++;
        Assert.True(count >= 2, $"{count} claim-checked bodies");
    }

    [Fact]
    public async Task A_dead_lettered_reply_is_listed_shown_and_resubmitted_once_with_the_tool()
    {
        // A reply for a settlement this store does not have (yet): ApplyReply fails it five times, the broker dead-letters it.
        var id = Requests.NewId("dlq");
        var key = Keys.SettlementKey("H440300001", id);
        var messageId = "reply-" + id;
        var reply = GatewayJson.Serialize(new EvaluationReplyMessage
        {
            Outcome = "rejected", CorrelationId = key, SettlementId = key, HospitalCode = "H440300001", HomeRegion = "511300", TreatmentRegion = "440300",
            Rejection = new RejectionDto("unknown-member", "Member M511300999 is not insured in region 511300."), EvaluatedAt = DateTimeOffset.UtcNow,
        });
        await Queues.GetQueueClient("eval-replies").SendMessageAsync(new LocalQueueEnvelope { MessageId = messageId, EnqueuedTimeUtc = DateTimeOffset.UtcNow, Body = reply }.ToText());
        await using var dead = new StorageQueueDeadLetters(Queues, TimeProvider.System);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(await dead.ListAsync("eval-replies", 32, CancellationToken.None)).Any(d => d.MessageId == messageId))
        {
            Assert.True(DateTime.UtcNow < deadline, "the reply was not dead-lettered");
            await Task.Delay(200);
        }

        var (code, output) = await CliAsync("dead-letters", "list", "--queue", "eval-replies");
        Assert.Equal(0, code);
        Assert.Contains(messageId, output, StringComparison.Ordinal);
        Assert.Contains("MaxDeliveryCountExceeded", output, StringComparison.Ordinal);
        (code, output) = await CliAsync("dead-letters", "show", "--queue", "eval-replies", "--id", messageId);
        Assert.Equal(0, code);
        Assert.Contains(key, output, StringComparison.Ordinal);

        // The operator fixes the cause (the settlement now exists) and resubmits: applied once; a second resubmit finds nothing.
        var store = new SettlementStore(new GatewayStorage(G.Azurite.ConnectionString));
        await store.CreateAsync(new SettlementRecord
        {
            HospitalCode = "H440300001", HospitalSettlementId = id, Status = SettlementStatus.Pending, RequestHash = "x", HomeRegion = "511300", TreatmentRegion = "440300",
            MemberId = "M511300999", ServiceDate = new DateOnly(2026, 5, 9), SubmittedAt = DateTimeOffset.UtcNow, RequestMessage = "{}",
        }, CancellationToken.None);
        (code, output) = await CliAsync("dead-letters", "resubmit", "--queue", "eval-replies", "--id", messageId);
        Assert.Equal(0, code);
        deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await store.GetAsync("H440300001", id, CancellationToken.None))!.Status == SettlementStatus.Pending)
        {
            Assert.True(DateTime.UtcNow < deadline, "the resubmitted reply was not applied");
            await Task.Delay(200);
        }
        Assert.Equal(SettlementStatus.Rejected, (await store.GetAsync("H440300001", id, CancellationToken.None))!.Status);
        (code, _) = await CliAsync("dead-letters", "resubmit", "--queue", "eval-replies", "--id", messageId);
        Assert.Equal(1, code);
        Assert.DoesNotContain(await dead.ListAsync("eval-replies", 32, CancellationToken.None), d => d.MessageId == messageId);
    }

    [Fact]
    public async Task No_route_without_a_credential_puts_a_message_on_a_queue()
    {
        // The forgeable endpoint is gone, and nothing else unsigned reaches a queue: every route of every function, unsigned,
        // with a forged cancel message as its body; then the evaluation queues received nothing new.
        var before = await QueueFiguresAsync();
        var forged = new JObject
        {
            ["schemaVersion"] = 1, ["kind"] = "cancel", ["correlationId"] = "H440300001~x", ["settlementId"] = "H440300001~x", ["hospitalCode"] = "H440300001",
            ["homeRegion"] = "511300", ["treatmentRegion"] = "440300", ["memberId"] = "M511300001", ["sentAt"] = "2026-12-02T06:00:00Z",
        }.ToString();
        var routes = new List<(string Method, string Path)> { ("POST", "api/internal/dispatch"), ("POST", "admin/host/queues/eval-requests-511300/wake") };
        foreach (var dir in Directory.EnumerateDirectories(Path.Combine(RepoPaths.Root, "functions")))
        {
            var trigger = JObject.Parse(File.ReadAllText(Path.Combine(dir, "function.json")))["bindings"]!.FirstOrDefault(b => (string)b["type"]! == "httpTrigger");
            if (trigger is null) continue;
            var route = ((string)trigger["route"]!).Replace("{id}", "H440300001~x", StringComparison.Ordinal).Replace("{region}", "511300", StringComparison.Ordinal)
                .Replace("{*rest}", "statements", StringComparison.Ordinal).Replace("{rest}", "statements", StringComparison.Ordinal);
            foreach (var m in trigger["methods"]!.Values<string>()) routes.Add((m!.ToUpperInvariant(), "api/" + route));
        }
        foreach (var (method, path) in routes)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (method == "POST") request.Content = new StringContent(forged, System.Text.Encoding.UTF8, "application/json");
            using var response = await G.Http.SendAsync(request);
            Assert.True((int)response.StatusCode is 400 or 401 or 403 or 404 or 405 or 200, $"{method} {path}: {(int)response.StatusCode}");
            if (path.StartsWith("api/internal", StringComparison.Ordinal)) Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            if (path.StartsWith("admin/", StringComparison.Ordinal)) Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.NotEqual(HttpStatusCode.Accepted, response.StatusCode);
        }
        await Task.Delay(500);
        var after = await QueueFiguresAsync();
        foreach (var region in new[] { "511300", "440300", "441900", "350200" })
        {
            var q = "eval-requests-" + region;
            Assert.Equal((long?)before[q]?["received"] ?? 0, (long?)after[q]?["received"] ?? 0);
        }
    }

    private async Task<(int Code, string Output)> CliAsync(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(RepoPaths.ProjectOutput("Gateway.Cli", "gateway-cli.dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        info.ArgumentList.Add("--storage");
        info.ArgumentList.Add(G.Azurite.ConnectionString);
        info.Environment["COLUMNS"] = "400";
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout + await stderr);
    }
}
