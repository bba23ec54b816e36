using Gateway.Contracts;
using Gateway.Handler.Replies;
using Gateway.Integration.Tests.Ledger;
using Gateway.Integration.Tests.InMemory;
using Gateway.Storage;

namespace Gateway.Integration.Tests;

/// <summary>
/// The Settlements table on real Azurite and on the in-memory store (every test on both): the nonce committed with the settlement it creates, the transition made from
/// the record this process remembers (no read) and what happens when that record is no longer the stored one (two
/// store instances play two processes).
/// </summary>
public sealed class SettlementStoreTests(AzuriteHost host) : IClassFixture<AzuriteHost>
{
    private const string Hospital = "H440300001";

    private StorageBackend _backend = null!;

    /// <summary>The account this test runs on (a test is one instance of the class, each backend its own run).</summary>
    private void Use(Backend backend) => _backend = StorageBackend.Open(backend, host.Azurite);

    private async Task<(SettlementStore Store, StorageRoundTripCounter Counter)> ProcessAsync()
    {
        var counter = new StorageRoundTripCounter();
        var storage = _backend.Storage(counter);
        await storage.EnsureCreatedAsync();
        return (new SettlementStore(storage), counter);
    }

    private static SettlementRecord Pending(string id) => new()
    {
        HospitalCode = Hospital, HospitalSettlementId = id, Status = SettlementStatus.Pending, RequestHash = "h-" + id, HomeRegion = "511300",
        TreatmentRegion = "440300", MemberId = "M511300001", ServiceDate = new DateOnly(2026, 5, 9), SubmittedAt = DateTimeOffset.UtcNow,
        RequestMessage = "{}",
    };

    private static NonceUse Nonce() => new("k-" + Hospital, "n" + Guid.NewGuid().ToString("N"), DateTimeOffset.UtcNow);

    private static EvaluationReplyMessage Reply(string id, string outcome) => new()
    {
        Outcome = outcome, CorrelationId = $"{Hospital}~{id}", SettlementId = $"{Hospital}~{id}", HospitalCode = Hospital, HomeRegion = "511300",
        TreatmentRegion = "440300", EvaluatedAt = DateTimeOffset.UtcNow,
        Result = outcome != "completed" ? null : new SettlementOutcomeDto
        {
            Split = new SplitDto(100m, 0m, 0m, 0m, 100m, 0m, 60m, 0m, 0m, 0m, 0m, 40m, 60m),
            Ratio = 0.6m, DeductibleDue = 0m, Delta = new AccumulatorDeltaDto(2026, 1, 60m, 0m, 0m, 0m, 0m, 0m, 60m, null, 0m, 0m),
            PackId = "p", PackVersion = "1", CatalogVersion = "1", Explanation = [],
        },
    };

    private static Func<SettlementRecord, SettlementRecord?> Apply(EvaluationReplyMessage reply) => LifecycleSteps.Change(reply, DateTimeOffset.UtcNow);

    [Theory]
    [InlineData(Backend.Azurite)]
    [InlineData(Backend.Memory)]
    public async Task The_nonce_commits_with_the_settlement_and_a_replayed_nonce_writes_nothing(Backend backend)
    {
        Use(backend);
        var (store, counter) = await ProcessAsync();
        var id = Requests.NewId("nonce");
        var nonce = Nonce();
        var before = counter.Count;
        var (outcome, created) = await store.CreateAsync(Pending(id), nonce, CancellationToken.None);
        Assert.Equal(CreateOutcome.Created, outcome);
        Assert.Equal(1, counter.Count - before); // one entity-group transaction: nonce + settlement

        // The same nonce again, for another settlement: refused, and that settlement is not written.
        var other = Requests.NewId("nonce");
        Assert.Equal(CreateOutcome.NonceReplayed, (await store.CreateAsync(Pending(other), nonce, CancellationToken.None)).Outcome);
        Assert.Null(await store.GetAsync(Hospital, other, CancellationToken.None));
        // A replayed nonce on its own is refused too (a nonce is accepted once per key, ever).
        Assert.False(await store.SpendNonceAsync(Hospital, nonce, CancellationToken.None));

        // The same settlement with a new nonce: the stored one, and that nonce is spent.
        var retry = Nonce();
        var (again, existing) = await store.CreateAsync(Pending(id), retry, CancellationToken.None);
        Assert.Equal(CreateOutcome.Existing, again);
        Assert.Equal(created!.SubmittedAt, existing!.SubmittedAt);
        Assert.False(await store.SpendNonceAsync(Hospital, retry, CancellationToken.None));

        // Nonce rows are never settlements: not listed, not in the full scan.
        var (items, _) = await store.ListAsync(Hospital, DateTimeOffset.MinValue, DateTimeOffset.MaxValue, 1000, null, CancellationToken.None);
        Assert.All(items, s => Assert.DoesNotContain("~", s.HospitalSettlementId));
        await foreach (var s in store.AllAsync(CancellationToken.None)) Assert.False(s.HospitalSettlementId.StartsWith(SettlementStore.SideRows, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(Backend.Azurite)]
    [InlineData(Backend.Memory)]
    public async Task A_transition_from_the_remembered_record_costs_one_write_and_no_read(Backend backend)
    {
        Use(backend);
        var (store, counter) = await ProcessAsync();
        var id = Requests.NewId("blind");
        await store.CreateAsync(Pending(id), Nonce(), CancellationToken.None);
        var before = counter.Count;
        var done = await store.UpdateAsync(Hospital, id, Apply(Reply(id, "completed")), CancellationToken.None);
        Assert.Equal(SettlementStatus.Completed, done!.Status);
        Assert.Equal(1, counter.Count - before);
        Assert.Equal(SettlementStatus.Completed, (await (await ProcessAsync()).Store.GetAsync(Hospital, id, CancellationToken.None))!.Status);
    }

    [Theory]
    [InlineData(Backend.Azurite)]
    [InlineData(Backend.Memory)]
    public async Task A_redelivered_completed_reply_never_resurrects_a_settlement_cancelled_by_another_process(Backend backend)
    {
        Use(backend);
        var (a, _) = await ProcessAsync();
        var (b, _) = await ProcessAsync();
        var id = Requests.NewId("resurrect");
        await a.CreateAsync(Pending(id), Nonce(), CancellationToken.None); // a remembers it pending
        var completed = Reply(id, "completed");
        await b.UpdateAsync(Hospital, id, Apply(completed), CancellationToken.None);
        var cancelled = await b.UpdateAsync(Hospital, id, Apply(Reply(id, "cancelled")), CancellationToken.None);
        Assert.Equal(SettlementStatus.Cancelled, cancelled!.Status);

        // a still remembers "pending": its write fails on the ETag, it reads, and the reply changes nothing.
        var replayed = await a.UpdateAsync(Hospital, id, Apply(completed), CancellationToken.None);
        Assert.Equal(SettlementStatus.Cancelled, replayed!.Status);
        // Now a remembers "cancelled"; b cannot resurrect it either, and "nothing to do" is always decided on the stored row.
        Assert.Equal(SettlementStatus.Cancelled, (await b.UpdateAsync(Hospital, id, Apply(completed), CancellationToken.None))!.Status);
        Assert.Equal(SettlementStatus.Cancelled, (await (await ProcessAsync()).Store.GetAsync(Hospital, id, CancellationToken.None))!.Status);
    }

    [Theory]
    [InlineData(Backend.Azurite)]
    [InlineData(Backend.Memory)]
    public async Task A_no_op_decided_on_a_stale_remembered_record_is_checked_against_the_table(Backend backend)
    {
        Use(backend);
        var (a, _) = await ProcessAsync();
        var (b, _) = await ProcessAsync();
        var id = Requests.NewId("stale");
        await a.CreateAsync(Pending(id), Nonce(), CancellationToken.None);
        var completed = Reply(id, "completed");
        await a.UpdateAsync(Hospital, id, Apply(completed), CancellationToken.None); // a remembers "completed"
        await b.UpdateAsync(Hospital, id, Apply(Reply(id, "cancelled")), CancellationToken.None);
        // On a's remembered record the completed reply is a replay (no write); a must still answer with what is stored.
        var seen = await a.UpdateAsync(Hospital, id, Apply(completed), CancellationToken.None);
        Assert.Equal(SettlementStatus.Cancelled, seen!.Status);
    }

    [Theory]
    [InlineData(Backend.Azurite)]
    [InlineData(Backend.Memory)]
    public async Task A_late_completed_reply_does_not_undo_a_timeout_failure_made_by_another_process(Backend backend)
    {
        Use(backend);
        // Failed is final (docs/api.md §4): the void sent with the failure reverses the home region's effect, so a late
        // "completed" decided on a's remembered pending record must not complete it (checked against the table).
        var (a, _) = await ProcessAsync();
        var (b, _) = await ProcessAsync();
        var id = Requests.NewId("late");
        await a.CreateAsync(Pending(id), Nonce(), CancellationToken.None);
        await b.UpdateAsync(Hospital, id, c => c.Status == SettlementStatus.Pending ? c with { Status = SettlementStatus.Failed, FailureReason = "timeout" } : null, CancellationToken.None);
        var seen = await a.UpdateAsync(Hospital, id, Apply(Reply(id, "completed")), CancellationToken.None);
        Assert.Equal(SettlementStatus.Failed, seen!.Status);
        Assert.Equal("timeout", seen.FailureReason);
        Assert.Null(seen.Outcome);
        Assert.Equal(SettlementStatus.Failed, (await b.GetAsync(Hospital, id, CancellationToken.None))!.Status);
    }

    private async Task<bool> RowExistsAsync(string rowKey) =>
        (await _backend.Storage().Table(GatewayStorage.SettlementsTable).GetEntityIfExistsAsync<Azure.Data.Tables.TableEntity>(Hospital, rowKey)).HasValue;

    [Theory]
    [InlineData(Backend.Azurite)]
    [InlineData(Backend.Memory)]
    public async Task A_pending_settlement_has_a_wait_row_from_its_creating_transaction_until_the_transition_out_of_pending(Backend backend)
    {
        Use(backend);
        var (store, counter) = await ProcessAsync();
        var id = Requests.NewId("wait");
        var before = counter.Count;
        await store.CreateAsync(Pending(id), Nonce(), CancellationToken.None);
        Assert.Equal(1, counter.Count - before); // nonce + settlement + wait row: one transaction
        Assert.True(await RowExistsAsync(SettlementStore.WaitPrefix + id));
        // A re-dispatch (still pending) keeps it; the transition out of pending removes it in its own transaction.
        await store.UpdateAsync(Hospital, id, c => c with { DispatchCount = c.DispatchCount + 1 }, CancellationToken.None);
        Assert.True(await RowExistsAsync(SettlementStore.WaitPrefix + id));
        before = counter.Count;
        Assert.Equal(SettlementStatus.Rejected, (await store.UpdateAsync(Hospital, id, Apply(Reply(id, "rejected")), CancellationToken.None))!.Status);
        Assert.Equal(1, counter.Count - before);
        Assert.False(await RowExistsAsync(SettlementStore.WaitPrefix + id));
        // Not a settlement: never listed.
        var (items, _) = await store.ListAsync(Hospital, DateTimeOffset.MinValue, DateTimeOffset.MaxValue, 1000, null, CancellationToken.None);
        Assert.All(items, s => Assert.DoesNotContain("~", s.HospitalSettlementId));
    }

    [Theory]
    [InlineData(Backend.Azurite)]
    [InlineData(Backend.Memory)]
    public async Task A_pending_settlement_stored_before_wait_rows_is_swept_and_its_transition_is_written_without_the_delete(Backend backend)
    {
        Use(backend);
        var (store, counter) = await ProcessAsync();
        var table = _backend.Storage().Table(GatewayStorage.SettlementsTable);
        // Old style: the settlement row alone (as CreateAsync wrote it before ~wait| rows), and the partition not yet backfilled.
        var old = Requests.NewId("old");
        await table.AddEntityAsync(SettlementStore.ToEntity(Pending(old) with { SubmittedAt = DateTimeOffset.UtcNow.AddHours(-1) }));
        await table.DeleteEntityAsync(Hospital, SettlementStore.WaitBackfilled, Azure.ETag.All).ContinueWith(_ => { }); // absent in a fresh table: fine
        Assert.False(await RowExistsAsync(SettlementStore.WaitPrefix + old));

        async Task<List<SettlementStore.OwedItem>> SweepAsync()
        {
            var list = new List<SettlementStore.OwedItem>();
            await foreach (var item in store.SweepAsync(Hospital, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow, CancellationToken.None)) list.Add(item);
            return list;
        }
        var before = counter.ByOperation;
        await SweepAsync(); // finds no backfill mark: gives the partition's pending settlements their wait rows
        Assert.True(await RowExistsAsync(SettlementStore.WaitBackfilled));
        Assert.True(await RowExistsAsync(SettlementStore.WaitPrefix + old));
        var found = await SweepAsync();
        Assert.Contains(found, i => i.Kind == SettlementStore.WaitPrefix && i.Owed.HospitalSettlementId == old);
        Assert.DoesNotContain(found, i => i.Owed.HospitalSettlementId == "");
        // Every query the sweep made named the partition: no table-wide scan.
        var after = counter.ByOperation;
        Assert.Equal(before.GetValueOrDefault("Settlements scan"), after.GetValueOrDefault("Settlements scan"));
        Assert.True(after.GetValueOrDefault("Settlements query") - before.GetValueOrDefault("Settlements query") >= 3);

        // Another old one, never backfilled: its transition out of pending has no wait row to delete, and is written anyway.
        var older = Requests.NewId("old");
        await table.AddEntityAsync(SettlementStore.ToEntity(Pending(older)));
        var done = await store.UpdateAsync(Hospital, older, Apply(Reply(older, "completed")), CancellationToken.None);
        Assert.Equal(SettlementStatus.Completed, done!.Status);
        Assert.Equal(SettlementStatus.Completed, (await (await ProcessAsync()).Store.GetAsync(Hospital, older, CancellationToken.None))!.Status);
        Assert.False(await RowExistsAsync(SettlementStore.WaitPrefix + older));
    }
}
