using System.Net;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Gateway.Contracts;
using Gateway.Domain;
using Gateway.Handler.Home;
using Gateway.Handler.Hosting;
using Gateway.Handler.Replies;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using NJsonSchema;
using Gateway.Storage;
using Gateway.TestSupport;
using Newtonsoft.Json.Linq;

namespace Gateway.Integration.Tests;

/// <summary>
/// A gateway of its own (its store is made dirty on purpose by the verify test, and the sweep runs every second): the
/// void is sent 2 s after the failure at the latest, a posting is checked 2 s after its transition.
/// </summary>
public sealed class FastSweepGatewayHost : IAsyncLifetime
{
    public GatewayFixture Gateway { get; private set; } = null!;

    public async Task InitializeAsync() => Gateway = await GatewayFixture.StartAsync(new Dictionary<string, string>
    {
        ["SweepSchedule"] = "*/1 * * * * *",
        ["RedispatchAfterSeconds"] = "2",
    });

    public async Task DisposeAsync() => await Gateway.DisposeAsync();
}

/// <summary>
/// <c>failed</c> is final (docs/api.md §4, docs/messages.md "void"): after the gateway fails a settlement, the home region's
/// effect is nil, forever: an applied settlement is reversed exactly, one not yet applied is never applied (tombstone), and
/// nothing is posted to the ledger. A completed settlement whose reply ran out of deliveries before the posting is posted
/// by the sweep. `gateway verify` holds after each case, and reports a failed settlement that is applied at home.
/// </summary>
public sealed class FailedIsFinalTests(FastSweepGatewayHost host) : IClassFixture<FastSweepGatewayHost>
{
    private const string Hospital = "H440300001";
    private const string Home = "511300";
    private static readonly RegionCode HomeRegion = RegionCode.Parse(Home);

    private GatewayFixture G => host.Gateway;
    private GatewayStorage Storage => new(G.Azurite.ConnectionString);
    private SettlementStore Settlements => new(Storage);
    private MemberStore MemberStore => new(Storage);
    private QueueServiceClient Queues => new(G.Azurite.ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });

    /// <summary>A real evaluation request (what Dispatch sends), re-addressed to a new settlement id of a fresh member.</summary>
    private async Task<(string Id, string Key, string Member, string Message)> NewRequestAsync(string prefix)
    {
        var templateMember = await Members.FreshCopyAsync(G, Home, "M511300001");
        var templateId = Requests.NewId("tpl");
        using (var r = await G.Hospital(Hospital).SubmitAsync(Requests.With(Requests.SpecA(templateId), o => o["member"]!["memberId"] = templateMember), 15))
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        var template = (await Settlements.GetAsync(Hospital, templateId, CancellationToken.None))!.RequestMessage;
        var member = await Members.FreshCopyAsync(G, Home, "M511300001");
        var id = Requests.NewId(prefix);
        var key = Keys.SettlementKey(Hospital, id);
        var o = JObject.Parse(template);
        o["settlementId"] = key;
        o["correlationId"] = key;
        o["memberId"] = member;
        return (id, key, member, o.ToString(Newtonsoft.Json.Formatting.None));
    }

    private static SettlementRecord PendingRecord(string id, string member, string message, DateTimeOffset submittedAt) => new()
    {
        HospitalCode = Hospital, HospitalSettlementId = id, Status = SettlementStatus.Pending, RequestHash = "h-" + id, HomeRegion = Home,
        TreatmentRegion = "440300", MemberId = member, ServiceDate = new DateOnly(2026, 5, 9), SubmittedAt = submittedAt, RequestMessage = message,
    };

    private Task<MemberState?> HomeStateAsync(string member, string key) => MemberStore.LoadAsync(HomeRegion, member, 2026, key, null, CancellationToken.None);

    private async Task<bool> OwesAsync(string prefix, string id)
    {
        var r = await Storage.Table(GatewayStorage.SettlementsTable).GetEntityIfExistsAsync<TableEntity>(Hospital, prefix + id);
        return r.HasValue;
    }

    private async Task<List<JournalEntry>> JournalsAsync(string key)
    {
        var ledger = new LedgerStore(Storage, RulePackSet.Default.Regions.ToList(), TimeProvider.System);
        var list = new List<JournalEntry>();
        await foreach (var j in ledger.AllJournalsAsync(CancellationToken.None)) if (j.SettlementKey == key) list.Add(j);
        return list;
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what, int seconds = 45)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("Timed out waiting until " + what);
            await Task.Delay(250);
        }
    }

    private async Task SendAsync(string queue, string message) => await Queues.GetQueueClient(queue).SendMessageAsync(message);

    private async Task DrainAsync() => await QueueDrain.WaitEmptyAsync(Queues, ["eval-requests-" + Home, "eval-replies", "hospital-callbacks"], 60);

    private async Task<bool> PoisonedAsync(string queue, string key)
    {
        foreach (var m in (await Queues.GetQueueClient(Gateway.Messaging.LocalQueueEnvelope.DeadLetterQueueName(queue)).PeekMessagesAsync(32)).Value)
            if (m.Body.ToString().Contains(key, StringComparison.Ordinal)) return true;
        return false;
    }

    private async Task<IReadOnlyList<InvariantResult>> VerifyAsync() =>
        await new StoreVerifier(Storage, RulePackSet.Default.Regions.ToList()).VerifyAsync(CancellationToken.None);

    private async Task AssertVerifiesCleanAsync()
    {
        var results = await VerifyAsync();
        Assert.All(results, r => Assert.True(r.Holds, $"{r.Name}: {string.Join("; ", r.Violations)}"));
    }

    [Fact]
    public async Task A_settlement_timed_out_before_its_evaluation_is_never_applied_when_the_evaluation_arrives_late()
    {
        var (id, key, member, message) = await NewRequestAsync("late");
        // Submitted an hour ago and never evaluated (the request was lost or is stuck): the sweep fails it and sends the void.
        await Settlements.CreateAsync(PendingRecord(id, member, message, DateTimeOffset.UtcNow.AddHours(-1)), CancellationToken.None);
        await EventuallyAsync(async () => (await HomeStateAsync(member, key))?.Applied?.Status == AppliedStatus.Voided && !await OwesAsync(SettlementStore.VoidPrefix, id),
            "the void left a tombstone and was confirmed");
        var failed = (await Settlements.GetAsync(Hospital, id, CancellationToken.None))!;
        Assert.Equal(SettlementStatus.Failed, failed.Status);
        Assert.Contains("No reply from the home region within", failed.FailureReason);

        // The delayed evaluation is finally processed, twice: it finds the tombstone and is rejected (voided); nothing changes.
        await SendAsync("eval-requests-" + Home, message);
        await SendAsync("eval-requests-" + Home, message);
        await DrainAsync();
        var state = (await HomeStateAsync(member, key))!;
        Assert.Equal(AppliedStatus.Voided, state.Applied!.Status);
        Assert.Equal("", state.Applied.DeltaJson);
        Assert.True(state.Accumulators.SameAs(AnnualAccumulators.Empty(2026)), "accumulators moved");
        Assert.Null(state.AccumulatorsETag); // no year row was ever written
        var reply = GatewayJson.Deserialize<EvaluationReplyMessage>(state.Applied.ReplyJson);
        Assert.Equal("rejected", reply.Outcome);
        Assert.Equal(EvaluationReplyMessage.VoidedRejectionCode, reply.Rejection!.Code);
        var after = (await Settlements.GetAsync(Hospital, id, CancellationToken.None))!;
        Assert.Equal(SettlementStatus.Failed, after.Status);
        Assert.Equal(failed.FailureReason, after.FailureReason);
        Assert.Empty(await JournalsAsync(key));
        await AssertVerifiesCleanAsync();
    }

    [Fact]
    public async Task A_settlement_applied_at_home_whose_reply_is_dead_lettered_fails_is_reversed_exactly_and_can_be_resubmitted_under_a_new_id()
    {
        var (id, key, member, message) = await NewRequestAsync("dlq");
        var profileBefore = (await MemberStore.GetProfileAsync(HomeRegion, member, CancellationToken.None))!;
        // The home region applies it; its reply is never usable (here: it arrives before the gateway row exists, 5 times).
        await SendAsync("eval-requests-" + Home, message);
        await EventuallyAsync(async () => await PoisonedAsync("eval-replies", key), "the first reply is dead-lettered");
        var applied = (await HomeStateAsync(member, key))!;
        Assert.Equal(AppliedStatus.Applied, applied.Applied!.Status);
        Assert.Equal(1, applied.Accumulators.Admissions);

        // The settlement is pending at the gateway; its reply keeps failing and is dead-lettered: failed, and the void is sent.
        await Settlements.CreateAsync(PendingRecord(id, member, message, DateTimeOffset.UtcNow), CancellationToken.None);
        await SendAsync("eval-replies", new JObject { ["schemaVersion"] = 1, ["outcome"] = "completed", ["settlementId"] = key, ["unexpectedField"] = true }.ToString());
        await EventuallyAsync(async () => (await HomeStateAsync(member, key))?.Applied?.Status == AppliedStatus.Voided && !await OwesAsync(SettlementStore.VoidPrefix, id),
            "the void reversed the applied settlement and was confirmed");
        await DrainAsync();
        var failed = (await Settlements.GetAsync(Hospital, id, CancellationToken.None))!;
        Assert.Equal(SettlementStatus.Failed, failed.Status);
        Assert.Contains("dead-lettered", failed.FailureReason);
        var reversed = (await HomeStateAsync(member, key))!;
        Assert.True(reversed.Accumulators.SameAs(AnnualAccumulators.Empty(2026)), $"not reversed exactly: admissions {reversed.Accumulators.Admissions}, basic {reversed.Accumulators.BasicPaid}");
        Assert.Equal(profileBefore.AccountBalance, reversed.Profile.AccountBalance);
        Assert.Empty(await JournalsAsync(key));

        // The void delivered twice more and the evaluation redelivered: nothing changes.
        var voidMessage = Gateway.Handler.Lifecycle.LifecycleMessages.Void(failed, DateTimeOffset.UtcNow)!;
        await SendAsync("eval-requests-" + Home, voidMessage);
        await SendAsync("eval-requests-" + Home, voidMessage);
        await SendAsync("eval-requests-" + Home, message);
        await DrainAsync();
        var still = (await HomeStateAsync(member, key))!;
        Assert.Equal(AppliedStatus.Voided, still.Applied!.Status);
        Assert.True(still.Accumulators.SameAs(reversed.Accumulators));
        Assert.Equal(SettlementStatus.Failed, (await Settlements.GetAsync(Hospital, id, CancellationToken.None))!.Status);
        Assert.Empty(await JournalsAsync(key));

        // The hospital saw "failed" and resubmits the encounter under a new id: settled once.
        var again = Requests.NewId("resubmit");
        using (var r = await G.Hospital(Hospital).SubmitAsync(Requests.With(Requests.SpecA(again), o => o["member"]!["memberId"] = member), 15))
        {
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
            var body = await Requests.Json(r);
            Assert.Equal("completed", (string)body["status"]!);
            var once = (await HomeStateAsync(member, key))!;
            Assert.Equal(1, once.Accumulators.Admissions);
            Assert.Equal(applied.Accumulators.BasicPaid, once.Accumulators.BasicPaid); // the same split as the first, applied once
            Assert.Equal(decimal.Parse((string)body["split"]!["basicFund"]!, System.Globalization.CultureInfo.InvariantCulture), once.Accumulators.BasicPaid);
        }
        await EventuallyAsync(async () => !await OwesAsync(SettlementStore.PostPrefix, again), "the resubmission's posting is checked");
        Assert.Single(await JournalsAsync(Keys.SettlementKey(Hospital, again)));
        await AssertVerifiesCleanAsync();
    }

    [Fact]
    public async Task A_completed_settlement_whose_reply_ran_out_of_deliveries_before_the_posting_is_posted_by_the_sweep()
    {
        // A real outcome to complete with, from a settlement that went the whole way.
        var (_, _, member, _) = await NewRequestAsync("post");
        var sourceId = Requests.NewId("src");
        using (var r = await G.Hospital(Hospital).SubmitAsync(Requests.With(Requests.SpecA(sourceId), o => o["member"]!["memberId"] = member), 15))
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        var source = (await Settlements.GetAsync(Hospital, sourceId, CancellationToken.None))!;
        var outcome = GatewayJson.Deserialize<SettlementOutcomeDto>(source.Outcome!);

        // What ApplyReply writes in its transition (status, ledger index rows, the owed posting), and then the message is lost.
        var id = Requests.NewId("nojournal");
        var key = Keys.SettlementKey(Hospital, id);
        await Settlements.CreateAsync(PendingRecord(id, member, "{}", DateTimeOffset.UtcNow), CancellationToken.None);
        var reply = new EvaluationReplyMessage
        {
            Outcome = "completed", CorrelationId = key, SettlementId = key, HospitalCode = Hospital, HomeRegion = Home, TreatmentRegion = "440300",
            Result = outcome, EvaluatedAt = DateTimeOffset.UtcNow,
        };
        var completed = await LifecycleSteps.TransitionOnlyAsync(Settlements, Hospital, id, reply, DateTimeOffset.UtcNow);
        Assert.Equal(SettlementStatus.Completed, completed!.Status);
        Assert.True(await OwesAsync(SettlementStore.PostPrefix, id));

        await EventuallyAsync(async () => !await OwesAsync(SettlementStore.PostPrefix, id), "the sweep checked the posting");
        var journals = await JournalsAsync(key);
        var journal = Assert.Single(journals);
        Assert.Equal(outcome.Split.BasicFund, journal.Funds.Basic);
        Assert.Equal(SettlementStatus.Completed, (await Settlements.GetAsync(Hospital, id, CancellationToken.None))!.Status);
        await AssertVerifiesCleanAsync();
    }

    [Fact]
    public async Task A_pending_settlement_stored_before_wait_rows_is_still_failed_by_the_sweep_which_never_scans_the_table()
    {
        var (id, key, member, message) = await NewRequestAsync("legacy");
        // As the intake wrote it before ~wait| rows: the settlement row alone; and the partition's backfill mark removed, as
        // in a table from before this version.
        var table = Storage.Table(GatewayStorage.SettlementsTable);
        var (beforeTotal, before) = await HealthAsync();
        await table.AddEntityAsync(SettlementStore.ToEntity(PendingRecord(id, member, message, DateTimeOffset.UtcNow.AddHours(-1))));
        await table.DeleteEntityAsync(Hospital, SettlementStore.WaitBackfilled, Azure.ETag.All).ContinueWith(_ => { });
        await EventuallyAsync(async () => (await HomeStateAsync(member, key))?.Applied?.Status == AppliedStatus.Voided && !await OwesAsync(SettlementStore.VoidPrefix, id),
            "the old-style pending settlement was failed and its void confirmed");
        Assert.Equal(SettlementStatus.Failed, (await Settlements.GetAsync(Hospital, id, CancellationToken.None))!.Status);
        Assert.False(await OwesAsync(SettlementStore.WaitPrefix, id));
        Assert.True(await OwesAsync(SettlementStore.WaitBackfilled, ""));

        // The sweeps meanwhile (one a second) queried hospital partitions only: no table-wide query of Settlements.
        var (afterTotal, after) = await HealthAsync();
        Assert.True(afterTotal > beforeTotal);
        Assert.Equal(before.GetValueOrDefault("Settlements scan"), after.GetValueOrDefault("Settlements scan"));
        Assert.True(after.GetValueOrDefault("Settlements query") > before.GetValueOrDefault("Settlements query"));
        await AssertVerifiesCleanAsync();
    }

    private async Task<(long Total, Dictionary<string, long> ByOperation)> HealthAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/diagnostics");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("reader:reader-demo")));
        using var response = await G.Http.SendAsync(request);
        var json = JObject.Parse(await response.Content.ReadAsStringAsync());
        return ((long)json["storageRoundTrips"]!, ((JObject)json["storageRoundTripsByOperation"]!).Properties().ToDictionary(p => p.Name, p => (long)p.Value));
    }

    [Fact]
    public async Task Verify_reports_a_failed_settlement_that_is_applied_at_home()
    {
        // Clean after a failure whose void left a tombstone.
        var (id, key, member, message) = await NewRequestAsync("verify");
        await Settlements.CreateAsync(PendingRecord(id, member, message, DateTimeOffset.UtcNow.AddHours(-1)), CancellationToken.None);
        await EventuallyAsync(async () => (await HomeStateAsync(member, key))?.Applied?.Status == AppliedStatus.Voided && !await OwesAsync(SettlementStore.VoidPrefix, id),
            "the void was confirmed");
        await AssertVerifiesCleanAsync();

        // By hand: a failed settlement (no void owed, so the sweep leaves it) that the home region applied.
        var badId = Requests.NewId("bad");
        var badKey = Keys.SettlementKey(Hospital, badId);
        await Settlements.CreateAsync(PendingRecord(badId, member, "{}", DateTimeOffset.UtcNow) with { Status = SettlementStatus.Failed, FailureReason = "by hand" }, CancellationToken.None);
        Assert.True(await MemberStore.TombstoneAsync(HomeRegion, member, new AppliedMarker(badKey, AppliedStatus.Applied, 2026, "", "{}", 0m, 0m), CancellationToken.None));
        try
        {
            var results = await VerifyAsync();
            var broken = Assert.Single(results, r => !r.Holds);
            Assert.StartsWith("every applied marker belongs to a completed or cancelled settlement", broken.Name, StringComparison.Ordinal);
            Assert.Contains(broken.Violations, v => v.Contains(badKey, StringComparison.Ordinal) && v.Contains("failed", StringComparison.Ordinal));
        }
        finally
        {
            await Storage.Table(GatewayStorage.MembersTable).DeleteEntityAsync(MemberRows.Partition(HomeRegion, member), MemberRows.AppliedRow(badKey));
        }
        await AssertVerifiesCleanAsync();
    }

    /// <summary>The reference evaluator in this process, on the fixture's store, to read its replies (the queue consumes them).</summary>
    private async Task<string> EvaluateHereAsync(string message)
    {
        var evaluator = new EvaluateHomeFunction(MemberStore, RulePackSet.Default,
            NationalDirectory.Off(),
            new Gateway.Messaging.ClaimCheck(new Azure.Storage.Blobs.BlobServiceClient(G.Azurite.ConnectionString).GetBlobContainerClient("message-claims")),
            TimeProvider.System, NullLogger<EvaluateHomeFunction>.Instance);
        // As the real host sends a Service Bus body: JSON-encoded once more.
        var result = await evaluator.HandleAsync(Home, new InvocationRequest { Data = new JObject { ["msg"] = Newtonsoft.Json.JsonConvert.SerializeObject(message) } }, CancellationToken.None);
        return (string)result.Outputs[EvaluateHomeFunction.ReplyBinding]!;
    }

    private static async Task AssertValidAsync(string schemaFile, string json)
    {
        var errors = (await JsonSchema.FromFileAsync(Path.Combine(RepoPaths.Root, "schemas", schemaFile))).Validate(json);
        Assert.True(errors.Count == 0, $"{schemaFile}: " + string.Join("; ", errors.Select(e => $"{e.Path}: {e.Kind}")) + "\n" + json);
    }

    [Fact]
    public async Task Real_void_requests_and_their_replies_match_the_schemas()
    {
        foreach (var appliedFirst in new[] { true, false })
        {
            var (id, key, member, message) = await NewRequestAsync("schema");
            var record = PendingRecord(id, member, message, DateTimeOffset.UtcNow) with { Status = SettlementStatus.Failed };
            var voidMessage = Gateway.Handler.Lifecycle.LifecycleMessages.Void(record, DateTimeOffset.UtcNow)!;
            await AssertValidAsync("evaluation-request.v1.json", voidMessage);
            Assert.Equal("void", (string)JObject.Parse(voidMessage)["kind"]!);
            if (appliedFirst) Assert.Equal("completed", GatewayJson.Deserialize<EvaluationReplyMessage>(await EvaluateHereAsync(message)).Outcome);

            var voided = await EvaluateHereAsync(voidMessage);       // reverses the applied settlement, or leaves a tombstone
            await AssertValidAsync("evaluation-reply.v1.json", voided);
            Assert.Equal("voided", GatewayJson.Deserialize<EvaluationReplyMessage>(voided).Outcome);
            Assert.Equal("voided", GatewayJson.Deserialize<EvaluationReplyMessage>(await EvaluateHereAsync(voidMessage)).Outcome); // again: the same

            var late = await EvaluateHereAsync(message);             // the evaluation after the void: rejected, typed
            await AssertValidAsync("evaluation-reply.v1.json", late);
            var rejected = GatewayJson.Deserialize<EvaluationReplyMessage>(late);
            Assert.Equal("rejected", rejected.Outcome);
            Assert.Equal("voided", rejected.Rejection!.Code);
            var cancel = GatewayJson.Deserialize<EvaluationRequestMessage>(message) with { Kind = "cancel", CancelReason = "test" };
            Assert.Equal("cancelRejected", GatewayJson.Deserialize<EvaluationReplyMessage>(await EvaluateHereAsync(GatewayJson.Serialize(cancel))).Outcome);

            var state = (await HomeStateAsync(member, key))!;
            Assert.Equal(AppliedStatus.Voided, state.Applied!.Status);
            Assert.True(state.Accumulators.SameAs(AnnualAccumulators.Empty(2026)));
        }
        await AssertVerifiesCleanAsync();
    }
}
