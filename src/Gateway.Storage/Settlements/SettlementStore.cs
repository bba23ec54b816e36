using System.Collections.Concurrent;
using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Gateway.Domain;

namespace Gateway.Storage;

/// <summary>A signed request's nonce, to be spent once per key (docs/api.md).</summary>
public sealed record NonceUse(string KeyId, string Nonce, DateTimeOffset At);

public enum CreateOutcome
{
    /// <summary>The settlement row was inserted (with the request's nonce, in one transaction).</summary>
    Created,
    /// <summary>A settlement with this key exists already; the record is the stored one (the nonce was spent).</summary>
    Existing,
    /// <summary>The request's nonce was used before: nothing was written.</summary>
    NonceReplayed,
    /// <summary>The intake attempt's traceability-code hold row was gone or changed (the sweep released its holds): nothing written.</summary>
    HoldLost,
}

/// <summary>
/// The Settlements table: idempotent creation, conditional transitions, per-hospital listing. A hospital's partition
/// also holds rows whose RowKey starts with <c>~</c> (never a valid settlement id): the hospital's spent nonces
/// (<c>~nonce|…</c>), the ledger's index rows (<c>~journal|…</c>, <c>~period|…</c>) and the sweep's work rows
/// (<c>~post|…</c>, <c>~void|…</c>, <c>~wait|…</c>), so that a nonce commits with the settlement it creates, the index with
/// the transition that posts, and the sweep's work with what causes it. Every settlement query excludes them.
/// </summary>
public sealed class SettlementStore(GatewayStorage storage, TimeProvider? clock = null)
{
    private readonly TableClient _table = storage.Table(GatewayStorage.SettlementsTable);
    private readonly RecentRecords _recent = new(2048);

    /// <summary>Row keys at or above this are not settlements (settlement ids are <c>[A-Za-z0-9_-]</c>).</summary>
    public const string SideRows = "~";

    public static string NonceRow(string keyId, string nonce) =>
        $"~nonce|{(Keys.IsValidId(keyId) ? keyId : "x" + Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes(keyId)))}|{nonce}";

    private static TableEntity NonceEntity(string hospitalCode, NonceUse n) => new(hospitalCode, NonceRow(n.KeyId, n.Nonce)) { ["At"] = n.At };

    /// <summary>Spends a nonce (insert-only; the row sits in the hospital's partition). False: it was used before.</summary>
    public async Task<bool> SpendNonceAsync(string hospitalCode, NonceUse nonce, CancellationToken ct)
    {
        // This call's own mark: an SDK retry of an insert that committed (its answer lost) meets its own row, not a replay.
        var mark = Guid.NewGuid().ToString("N");
        var row = NonceEntity(hospitalCode, nonce);
        row["Mark"] = mark;
        try
        {
            await _table.AddEntityAsync(row, ct).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            var stored = await _table.GetEntityIfExistsAsync<TableEntity>(hospitalCode, row.RowKey, cancellationToken: ct).ConfigureAwait(false);
            return stored.HasValue && stored.Value!.GetString("Mark") == mark;
        }
    }

    /// <summary>Inserts the settlement; if the key exists, returns the existing one and <c>false</c>.</summary>
    public async Task<(bool Created, SettlementRecord Record)> CreateAsync(SettlementRecord record, CancellationToken ct)
    {
        var (outcome, stored) = await CreateAsync(record, null, ct).ConfigureAwait(false);
        return (outcome == CreateOutcome.Created, stored!);
    }

    /// <summary>
    /// Inserts the settlement and spends the request's nonce in one entity-group transaction (one round-trip). When the
    /// settlement exists already the nonce is spent on its own and the stored settlement returned; a nonce used before
    /// writes nothing and answers <see cref="CreateOutcome.NonceReplayed"/> (record null).
    /// </summary>
    public async Task<(CreateOutcome Outcome, SettlementRecord? Record)> CreateAsync(SettlementRecord record, NonceUse? nonce, CancellationToken ct,
        (string RowKey, ETag ETag)? hold = null)
    {
        // This attempt's own mark (one per call, so an SDK retry of the same transaction carries it and a replayed request does not).
        if (nonce is not null) record = record with { CreatedWith = NonceRow(nonce.KeyId, nonce.Nonce) + "|" + Guid.NewGuid().ToString("N") };
        try
        {
            ETag etag;
            var pending = record.Status == SettlementStatus.Pending;
            if (nonce is null && !pending && hold is null)
            {
                var response = await _table.AddEntityAsync(ToEntity(record), ct).ConfigureAwait(false);
                etag = response.Headers.ETag ?? default;
            }
            else
            {
                // A pending settlement is written with its ~wait| row (the sweep's work list), in the same transaction.
                var actions = new List<TableTransactionAction>(3);
                if (nonce is not null) actions.Add(new(TableTransactionActionType.Add, NonceEntity(record.HospitalCode, nonce)));
                var settlementAction = actions.Count;
                actions.Add(new(TableTransactionActionType.Add, ToEntity(record)));
                if (pending) actions.Add(new(TableTransactionActionType.UpsertReplace, WaitEntity(record.HospitalCode, record.HospitalSettlementId, record.SubmittedAt)));
                // The attempt's hold row goes with it, under the ETag the attempt wrote: the settlement commits only if its holds still stand.
                if (hold is { } h) actions.Add(new(TableTransactionActionType.Delete, new TableEntity(record.HospitalCode, h.RowKey), h.ETag));
                var response = await _table.SubmitTransactionAsync(actions, ct).ConfigureAwait(false);
                etag = response.Value[settlementAction].Headers.ETag ?? default;
            }
            var created = record with { ETag = etag };
            _recent.Remember(created);
            return (CreateOutcome.Created, created);
        }
        catch (RequestFailedException e) when (hold is not null && e.Status is 404 or 412)
        {
            return (CreateOutcome.HoldLost, null);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // The nonce (action 0) or the settlement (action 1) exists. Which, when the failure does not say: spending the
            // nonce alone tells (a nonce is never deleted, so one that conflicted in the transaction conflicts again).
            if (nonce is not null && (e is TableTransactionFailedException { FailedTransactionActionIndex: 0 }
                                      || !await SpendNonceAsync(record.HospitalCode, nonce, ct).ConfigureAwait(false)))
            {
                // Spent before: by this very call when an earlier attempt of this transaction committed and its answer was
                // lost (the SDK retried after a timeout). Then the settlement exists carrying this call's mark: the request is
                // answered as committed, never as a replayed signature. A replayed request (a new call) carries another mark.
                var mine = await GetAsync(record.HospitalCode, record.HospitalSettlementId, ct).ConfigureAwait(false);
                return mine is not null && mine.CreatedWith == record.CreatedWith ? (CreateOutcome.Created, mine) : (CreateOutcome.NonceReplayed, null);
            }
            var existing = await GetAsync(record.HospitalCode, record.HospitalSettlementId, ct).ConfigureAwait(false);
            return (CreateOutcome.Existing, existing ?? throw new InvalidOperationException("A settlement conflicted on insert but cannot be read.", e));
        }
    }

    /// <summary>Reads the settlement from the table (never from memory).</summary>
    public async Task<SettlementRecord?> GetAsync(string hospitalCode, string hospitalSettlementId, CancellationToken ct)
    {
        var r = await _table.GetEntityIfExistsAsync<TableEntity>(hospitalCode, hospitalSettlementId, cancellationToken: ct).ConfigureAwait(false);
        if (!r.HasValue) return null;
        var record = FromEntity(r.Value!);
        _recent.Remember(record);
        return record;
    }

    /// <summary>
    /// Conditional read-modify-write under the entity's ETag; <paramref name="change"/> returns null to leave the record
    /// as it is (the transition has already happened: replays change nothing). The first attempt starts from the record
    /// this process last wrote or read (no read when it is still current: the write's ETag check proves it); a 412, or a
    /// change that decides "nothing to do" on a remembered record, re-reads the table and decides again.
    /// <paramref name="owed"/> returns the lifecycle's work to write in the same entity-group transaction as the transition
    /// (<see cref="Decision.WithTransition"/>): the owed void, cancel and posting rows (with the ledger index rows of the
    /// posting), and <see cref="Work.StopTrackingPending"/>, the delete of the settlement's <see cref="WaitPrefix"/> row. A
    /// settlement stored before those rows existed has none (the delete would fail the transaction with 404), so then the
    /// transition is written without it. Without <paramref name="owed"/>, a transition out of pending deletes the wait row.
    /// </summary>
    public async Task<SettlementRecord?> UpdateAsync(string hospitalCode, string hospitalSettlementId, Func<SettlementRecord, SettlementRecord?> change, CancellationToken ct,
        Func<SettlementRecord, SettlementRecord, IReadOnlyList<Work>>? owed = null)
    {
        var current = _recent.Get(Keys.SettlementKey(hospitalCode, hospitalSettlementId));
        var fresh = false;
        var waitRowMissing = false;
        for (var attempt = 0; ; attempt++)
        {
            if (current is null)
            {
                current = await GetAsync(hospitalCode, hospitalSettlementId, ct).ConfigureAwait(false);
                fresh = true;
                if (current is null) return null;
            }
            var next = change(current);
            if (next is null)
            {
                if (fresh) return current;
                current = null; // remembered, maybe stale: "nothing to do" is decided on the stored row only
                continue;
            }
            var work = owed?.Invoke(current, next);
            var leavesPending = !waitRowMissing && (work is null
                ? current.Status == SettlementStatus.Pending && next.Status != SettlementStatus.Pending
                : work.Any(w => w is Work.StopTrackingPending));
            try
            {
                var extra = work is null ? [] : RowsOwed(next, work);
                ETag etag;
                ETag? postMarker = null;
                if (extra.Count == 0 && !leavesPending)
                {
                    var response = await _table.UpdateEntityAsync(ToEntity(next), current.ETag, TableUpdateMode.Replace, ct).ConfigureAwait(false);
                    etag = response.Headers.ETag ?? default;
                }
                else
                {
                    var actions = new List<TableTransactionAction>(extra.Count + 2) { new(TableTransactionActionType.UpdateReplace, ToEntity(next), current.ETag) };
                    actions.AddRange(extra.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, e)));
                    if (leavesPending) actions.Add(new(TableTransactionActionType.Delete, new TableEntity(hospitalCode, WaitPrefix + hospitalSettlementId), ETag.All));
                    var response = await _table.SubmitTransactionAsync(actions, ct).ConfigureAwait(false);
                    etag = response.Value[0].Headers.ETag ?? default;
                    var post = actions.FindIndex(a => a.Entity.RowKey == PostPrefix + hospitalSettlementId);
                    if (post > 0 && response.Value.Count > post) postMarker = response.Value[post].Headers.ETag;
                }
                var written = next with { ETag = etag, PostMarkerETag = postMarker };
                _recent.Remember(written);
                return written;
            }
            catch (RequestFailedException e) when (e.Status == 404 && leavesPending && attempt < 20)
            {
                // The ~wait| row is absent (a settlement from before those rows; or the settlement itself is gone, which the
                // next attempt finds out): write the transition without the delete.
                waitRowMissing = true;
            }
            catch (RequestFailedException e) when (e.Status == 412 && attempt < 20)
            {
                // Someone else moved it first (or what this process remembered is old): read again and re-decide.
                current = null;
            }
        }
    }

    /// <summary>The side rows (of the settlement's own partition) that the owed work of a transition writes with it.</summary>
    private static List<TableEntity> RowsOwed(SettlementRecord after, IReadOnlyList<Work> work)
    {
        var rows = new List<TableEntity>();
        foreach (var w in work)
        {
            switch (w)
            {
                case Work.OweVoid v: rows.Add(VoidEntity(after.HospitalCode, after.HospitalSettlementId, v.Due, v.Sends)); break;
                case Work.OweCancel c: rows.Add(CancelEntity(after.HospitalCode, after.HospitalSettlementId, c.Due, c.Sends)); break;
                case Work.OwePosting p:
                    rows.AddRange(SettlementPostings.IndexRows(after, p.Entry));
                    rows.Add(PostEntity(after.HospitalCode, after.HospitalSettlementId, p.Due, p.Entry));
                    break;
                case Work.OweRelease r: rows.Add(ReleaseEntity(after.HospitalCode, after.HospitalSettlementId, r.Due)); break;
                case Work.StopTrackingPending: break; // the wait row's delete, above
                default: throw new ArgumentException($"{w.GetType().Name} is not written with a transition.", nameof(work));
            }
        }
        if (rows.Any(e => e.PartitionKey != after.HospitalCode || string.CompareOrdinal(e.RowKey, SideRows) < 0))
            throw new ArgumentException("Rows written alongside a settlement are side rows of its own partition.", nameof(work));
        return rows;
    }

    // ---- Work the sweep owes a settlement (side rows written in the same transaction as the transition that causes them) ----

    /// <summary>
    /// <c>~void|{id}</c>: the settlement was failed; the home region must be sent a void until it confirms (reply <c>voided</c>).
    /// <c>Due</c> is when the void is (re-)sent next, <c>Sends</c> how often it was sent.
    /// </summary>
    public const string VoidPrefix = "~void|";

    /// <summary>
    /// <c>~revk|{id}</c>: the hospital asked to cancel (撤销) the completed settlement; the cancel is sent to the home region until
    /// it answers (<c>cancelled</c> or <c>cancelRejected</c>). <c>Due</c> and <c>Sends</c> as for voids.
    /// </summary>
    public const string CancelPrefix = "~revk|";

    /// <summary><c>~post|{id}</c>: the settlement reached completed (or cancelled); its ledger posting is checked and repaired after <c>Due</c>
    /// (the reply deletes it once its posting succeeded, so the sweep only meets postings that were lost).</summary>
    public const string PostPrefix = "~post|";

    /// <summary><c>~rels|{id}</c>: the settlement left live (rejected, failed, cancelled) holding traceability codes; their release is
    /// checked and repaired after <c>Due</c> (deleted once the release after the transition succeeded).</summary>
    public const string ReleasePrefix = "~rels|";

    /// <summary>
    /// <c>~tcc|{id}|{attempt}</c>: an intake attempt is holding traceability codes for a settlement not yet recorded. The settlement's
    /// creating transaction deletes it (ETag-conditional: it commits only while the row is as the attempt wrote it); one the sweep
    /// meets after <c>Due</c> belongs to an attempt that never recorded its settlement, whose holds it releases (spec §10.1).
    /// </summary>
    public const string HoldPrefix = "~tcc|";

    /// <summary>
    /// <c>~wait|{id}</c>: the settlement is pending (waiting for its home region's reply); written with the settlement, deleted by
    /// the transition out of pending. <c>SubmittedAt</c> is the settlement's: the sweep re-dispatches or fails it from then on.
    /// The four work prefixes sort next to each other (<c>~post|</c> &lt; <c>~revk|</c> &lt; <c>~void|</c> &lt; <c>~wait|</c>, no other side row
    /// between them), so one RowKey range per hospital partition holds all the sweep's work.
    /// </summary>
    public const string WaitPrefix = "~wait|";

    /// <summary>The row <c>~wait|</c> itself (no settlement id is empty): this partition's pending settlements all have their wait rows.</summary>
    public const string WaitBackfilled = WaitPrefix;

    private const string WorkFrom = PostPrefix, WorkTo = WaitPrefix + "~";

    public static TableEntity WaitEntity(string hospitalCode, string hospitalSettlementId, DateTimeOffset submittedAt) =>
        new(hospitalCode, WaitPrefix + hospitalSettlementId) { ["SubmittedAt"] = submittedAt };

    public static TableEntity VoidEntity(string hospitalCode, string hospitalSettlementId, DateTimeOffset due, int sends) =>
        new(hospitalCode, VoidPrefix + hospitalSettlementId) { ["Due"] = due, ["Sends"] = sends };

    public static TableEntity CancelEntity(string hospitalCode, string hospitalSettlementId, DateTimeOffset due, int sends) =>
        new(hospitalCode, CancelPrefix + hospitalSettlementId) { ["Due"] = due, ["Sends"] = sends };

    public static TableEntity ReleaseEntity(string hospitalCode, string hospitalSettlementId, DateTimeOffset due) =>
        new(hospitalCode, ReleasePrefix + hospitalSettlementId) { ["Due"] = due };

    public static TableEntity PostEntity(string hospitalCode, string hospitalSettlementId, DateTimeOffset due, Posting entry = Posting.Journal) =>
        new(hospitalCode, PostPrefix + hospitalSettlementId) { ["Due"] = due, ["Entry"] = (int)entry };

    /// <summary>
    /// The postings up to <paramref name="upTo"/> are made: removes the <c>~post|</c> marker unless it now owes a later entry (a
    /// cancel's reversal owed after the journal's posting began must survive the journal's discard). Conditional on what it read.
    /// </summary>
    public async Task CompletePostingAsync(string hospitalCode, string hospitalSettlementId, Posting upTo, CancellationToken ct, ETag? written = null)
    {
        // The marker as this transition wrote it (its ETag from the transaction): one conditional delete; changed since means it
        // owes a later entry now (or is gone), and stays.
        if (written is { } mine)
        {
            await DeleteIfUnchangedAsync(hospitalCode, PostPrefix + hospitalSettlementId, mine, ct).ConfigureAwait(false);
            return;
        }
        for (var i = 0; i < 20; i++)
        {
            var r = await _table.GetEntityIfExistsAsync<TableEntity>(hospitalCode, PostPrefix + hospitalSettlementId, cancellationToken: ct).ConfigureAwait(false);
            if (!r.HasValue) return;
            if ((r.Value!.GetInt32("Entry") ?? 0) > (int)upTo) return;
            if (await DeleteIfUnchangedAsync(hospitalCode, PostPrefix + hospitalSettlementId, r.Value.ETag, ct).ConfigureAwait(false)) return;
        }
    }

    /// <summary>One owed piece of work: the settlement's key parts, when it is due, how often it was attempted, the row's ETag.</summary>
    public sealed record OwedWork(string HospitalCode, string HospitalSettlementId, string RowKey, DateTimeOffset Due, int Sends, ETag ETag)
    {
        public string SettlementId => Keys.SettlementKey(HospitalCode, HospitalSettlementId);
    }

    /// <summary>
    /// The sweep's query of one hospital partition: one RowKey range (<see cref="PostPrefix"/> to <see cref="WaitPrefix"/>),
    /// so it reads only the open work, never the settlements, nonces or ledger index rows: <c>~void|</c>/<c>~post|</c> rows due
    /// before <paramref name="now"/>, and <c>~wait|</c> rows of settlements submitted before <paramref name="pendingBefore"/>
    /// (kind <see cref="WaitPrefix"/>: the settlement is to be read, it may have moved on). A partition without the
    /// <see cref="WaitBackfilled"/> row holds settlements from before the wait rows: their pending ones get wait rows first
    /// (one query of the partition's settlements, once per partition ever).
    /// </summary>
    public async IAsyncEnumerable<OwedItem> SweepAsync(string hospitalCode, DateTimeOffset pendingBefore, DateTimeOffset now, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {hospitalCode} and RowKey ge {WorkFrom} and RowKey lt {WorkTo}") + " and (("
                     + TableClient.CreateQueryFilter($"RowKey lt {WaitPrefix} and Due lt {now}") + ") or ("
                     + TableClient.CreateQueryFilter($"RowKey gt {WaitPrefix} and SubmittedAt lt {pendingBefore}") + ") or "
                     + TableClient.CreateQueryFilter($"RowKey eq {WaitBackfilled}") + ")";
        var backfilled = false;
        await foreach (var e in _table.QueryAsync<TableEntity>(filter, cancellationToken: ct).ConfigureAwait(false))
        {
            if (e.RowKey == WaitBackfilled)
            {
                backfilled = true;
                continue;
            }
            var prefix = e.RowKey.StartsWith(VoidPrefix, StringComparison.Ordinal) ? VoidPrefix
                : e.RowKey.StartsWith(CancelPrefix, StringComparison.Ordinal) ? CancelPrefix
                : e.RowKey.StartsWith(PostPrefix, StringComparison.Ordinal) ? PostPrefix
                : e.RowKey.StartsWith(ReleasePrefix, StringComparison.Ordinal) ? ReleasePrefix
                : e.RowKey.StartsWith(HoldPrefix, StringComparison.Ordinal) ? HoldPrefix
                : e.RowKey.StartsWith(WaitPrefix, StringComparison.Ordinal) ? WaitPrefix : null;
            if (prefix is null) continue;
            yield return new OwedItem(new OwedWork(e.PartitionKey, e.RowKey[prefix.Length..], e.RowKey, e.GetDateTimeOffset("Due") ?? e.GetDateTimeOffset("SubmittedAt") ?? default,
                e.GetInt32("Sends") ?? 0, e.ETag), prefix);
        }
        if (!backfilled) await BackfillWaitRowsAsync(hospitalCode, ct).ConfigureAwait(false);
    }

    /// <summary>What the sweep's query returns: a piece of owed work and its kind (its RowKey prefix).</summary>
    public sealed record OwedItem(OwedWork Owed, string Kind);

    /// <summary>
    /// Gives every pending settlement of the partition a wait row (settlements stored before those rows existed), then writes
    /// <see cref="WaitBackfilled"/>. A wait row written for a settlement that moves on meanwhile is harmless: the sweep reads the
    /// settlement, finds it is no longer pending, and deletes the row.
    /// </summary>
    public async Task<int> BackfillWaitRowsAsync(string hospitalCode, CancellationToken ct)
    {
        var n = 0;
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {hospitalCode} and RowKey lt {SideRows} and Status eq {SettlementStatus.Pending.Name()}");
        await foreach (var e in _table.QueryAsync<TableEntity>(filter, select: ["RowKey", "SubmittedAt"], cancellationToken: ct).ConfigureAwait(false))
        {
            await _table.UpsertEntityAsync(WaitEntity(hospitalCode, e.RowKey, e.GetDateTimeOffset("SubmittedAt") ?? default), TableUpdateMode.Replace, ct).ConfigureAwait(false);
            n++;
        }
        await _table.UpsertEntityAsync(new TableEntity(hospitalCode, WaitBackfilled) { ["At"] = (clock ?? TimeProvider.System).GetUtcNow() }, TableUpdateMode.Replace, ct).ConfigureAwait(false);
        return n;
    }

    /// <summary>An intake attempt's hold row (<see cref="HoldPrefix"/>): which codes, under which attempt token, for which request.</summary>
    public sealed record HoldAttempt(string HospitalCode, string HospitalSettlementId, string Token, string RequestHash, IReadOnlyList<string> Codes, DateTimeOffset Due, ETag ETag = default)
    {
        /// <summary>The sweep found the attempt dead and is releasing its holds (the attempt can no longer record its settlement).</summary>
        public bool Releasing { get; init; }

        public string RowKey => HoldPrefix + HospitalSettlementId + "|" + Token;
        public string SettlementId => Keys.SettlementKey(HospitalCode, HospitalSettlementId);
    }

    /// <summary>Writes an intake attempt's hold row (insert: the token is the attempt's own); the ETag is the creating transaction's condition.</summary>
    public async Task<HoldAttempt> WriteHoldAsync(HoldAttempt a, CancellationToken ct)
    {
        var e = new TableEntity(a.HospitalCode, a.RowKey) { ["Due"] = a.Due, ["Token"] = a.Token, ["RequestHash"] = a.RequestHash };
        LargeText.Write(e, "Codes", string.Join(',', a.Codes));
        var response = await _table.UpsertEntityAsync(e, TableUpdateMode.Replace, ct).ConfigureAwait(false);
        return a with { ETag = response.Headers.ETag ?? default };
    }

    /// <summary>Reads an attempt's hold row by its RowKey (the sweep), null when gone.</summary>
    public async Task<HoldAttempt?> GetHoldAsync(string hospitalCode, string rowKey, CancellationToken ct)
    {
        var r = await _table.GetEntityIfExistsAsync<TableEntity>(hospitalCode, rowKey, cancellationToken: ct).ConfigureAwait(false);
        if (!r.HasValue) return null;
        var e = r.Value!;
        var rest = rowKey[HoldPrefix.Length..];
        var bar = rest.LastIndexOf('|');
        return new HoldAttempt(hospitalCode, rest[..bar], e.GetString("Token") ?? rest[(bar + 1)..], e.GetString("RequestHash") ?? "",
            LargeText.Read(e, "Codes") is { Length: > 0 } codes ? codes.Split(',') : [], e.GetDateTimeOffset("Due") ?? default, e.ETag)
        {
            Releasing = e.GetBoolean("Releasing") ?? false,
        };
    }

    /// <summary>
    /// Marks an attempt's hold row as being released, if it is as read (true): its ETag changes, so the attempt's creating
    /// transaction can no longer commit, and the row stays until the release is done (a crash mid-release is finished next time).
    /// </summary>
    public async Task<bool> MarkHoldReleasingAsync(HoldAttempt a, CancellationToken ct)
    {
        try
        {
            await _table.UpdateEntityAsync(new TableEntity(a.HospitalCode, a.RowKey) { ["Releasing"] = true }, a.ETag, TableUpdateMode.Merge, ct).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            return false;
        }
    }

    /// <summary>Deletes a side row if it is as read (true); false when it changed or is gone (someone else owns what it says).</summary>
    public async Task<bool> DeleteIfUnchangedAsync(string hospitalCode, string rowKey, ETag etag, CancellationToken ct)
    {
        try
        {
            await _table.DeleteEntityAsync(hospitalCode, rowKey, etag, ct).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            return false;
        }
    }

    /// <summary>Reschedules an owed void or cancel (it was sent again); unconditional: the row only says "still owed".</summary>
    public async Task RescheduleAsync(string hospitalCode, string hospitalSettlementId, Work owed, CancellationToken ct) =>
        await _table.UpsertEntityAsync(owed switch
        {
            Work.OweVoid v => VoidEntity(hospitalCode, hospitalSettlementId, v.Due, v.Sends),
            Work.OweCancel c => CancelEntity(hospitalCode, hospitalSettlementId, c.Due, c.Sends),
            _ => throw new ArgumentException($"{owed.GetType().Name} is not rescheduled.", nameof(owed)),
        }, TableUpdateMode.Replace, ct).ConfigureAwait(false);

    /// <summary>The work is done: removes the row (already gone is fine).</summary>
    public async Task CompleteOwedAsync(string hospitalCode, string rowKey, CancellationToken ct)
    {
        try { await _table.DeleteEntityAsync(hospitalCode, rowKey, ETag.All, ct).ConfigureAwait(false); }
        catch (RequestFailedException e) when (e.Status == 404) { }
    }

    /// <summary>A hospital's settlements submitted in [from, to), newest keys first is not guaranteed: ordered by hospital settlement id.</summary>
    public async Task<(List<SettlementRecord> Items, string? Continuation)> ListAsync(string hospitalCode, DateTimeOffset from, DateTimeOffset to, int pageSize, string? continuation, CancellationToken ct)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {hospitalCode} and RowKey lt {SideRows} and SubmittedAt ge {from} and SubmittedAt lt {to}");
        var pages = _table.QueryAsync<TableEntity>(filter, maxPerPage: pageSize, cancellationToken: ct).AsPages(continuation, pageSize);
        await foreach (var page in pages.ConfigureAwait(false))
        {
            return (page.Values.Select(FromEntity).ToList(), page.ContinuationToken);
        }
        return ([], null);
    }

    /// <summary>Settlements still pending that were submitted before <paramref name="before"/> (the sweep).</summary>
    public async IAsyncEnumerable<SettlementRecord> PendingBeforeAsync(DateTimeOffset before, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var filter = TableClient.CreateQueryFilter($"RowKey lt {SideRows} and Status eq {SettlementStatus.Pending.Name()} and SubmittedAt lt {before}");
        await foreach (var e in _table.QueryAsync<TableEntity>(filter, cancellationToken: ct).ConfigureAwait(false)) yield return FromEntity(e);
    }

    public async IAsyncEnumerable<SettlementRecord> AllAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var filter = TableClient.CreateQueryFilter($"RowKey lt {SideRows}");
        await foreach (var e in _table.QueryAsync<TableEntity>(filter, cancellationToken: ct).ConfigureAwait(false)) yield return FromEntity(e);
    }

    private static string? Money(decimal? d) => d?.ToString("0.00", CultureInfo.InvariantCulture);

    private static decimal? Money(string? s) => s is null ? null : decimal.Parse(s, CultureInfo.InvariantCulture);

    public static TableEntity ToEntity(SettlementRecord r)
    {
        var e = new TableEntity(r.HospitalCode, r.HospitalSettlementId)
        {
            ["Status"] = r.Status.Name(),
            ["RequestHash"] = r.RequestHash,
            ["HomeRegion"] = r.HomeRegion,
            ["TreatmentRegion"] = r.TreatmentRegion,
            ["MemberId"] = r.MemberId,
            ["ServiceDate"] = r.ServiceDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["SubmittedAt"] = r.SubmittedAt,
            ["CompletedAt"] = r.CompletedAt,
            ["RejectionCode"] = r.RejectionCode,
            ["RejectionDetail"] = r.RejectionDetail,
            ["FailureReason"] = r.FailureReason,
            ["CallbackUrl"] = r.CallbackUrl,
            ["Total"] = Money(r.Total),
            ["FundTotal"] = Money(r.FundTotal),
            ["AccountPay"] = Money(r.AccountPay),
            ["CashPay"] = Money(r.CashPay),
            ["CancelReason"] = r.CancelReason,
            ["CancelledAt"] = r.CancelledAt,
            ["DispatchCount"] = r.DispatchCount,
            ["CreatedWith"] = r.CreatedWith,
        };
        LargeText.Write(e, "RequestMessage", r.RequestMessage);
        LargeText.Write(e, "Outcome", r.Outcome);
        if (r.TraceCodes.Count > 0) LargeText.Write(e, "TraceCodes", string.Join(',', r.TraceCodes));
        LargeText.Write(e, "AuditFlags", r.AuditFlags);
        return e;
    }

    public static SettlementRecord FromEntity(TableEntity e) => new()
    {
        HospitalCode = e.PartitionKey,
        HospitalSettlementId = e.RowKey,
        Status = SettlementStatuses.Parse(e.GetString("Status")),
        RequestHash = e.GetString("RequestHash"),
        HomeRegion = e.GetString("HomeRegion"),
        TreatmentRegion = e.GetString("TreatmentRegion"),
        MemberId = e.GetString("MemberId"),
        ServiceDate = DateOnly.ParseExact(e.GetString("ServiceDate"), "yyyy-MM-dd", CultureInfo.InvariantCulture),
        SubmittedAt = e.GetDateTimeOffset("SubmittedAt") ?? default,
        CompletedAt = e.GetDateTimeOffset("CompletedAt"),
        RequestMessage = LargeText.Read(e, "RequestMessage") ?? "",
        Outcome = LargeText.Read(e, "Outcome"),
        RejectionCode = e.GetString("RejectionCode"),
        RejectionDetail = e.GetString("RejectionDetail"),
        FailureReason = e.GetString("FailureReason"),
        CallbackUrl = e.GetString("CallbackUrl"),
        Total = Money(e.GetString("Total")),
        FundTotal = Money(e.GetString("FundTotal")),
        AccountPay = Money(e.GetString("AccountPay")),
        CashPay = Money(e.GetString("CashPay")),
        CancelReason = e.GetString("CancelReason"),
        CancelledAt = e.GetDateTimeOffset("CancelledAt"),
        DispatchCount = e.GetInt32("DispatchCount") ?? 0,
        CreatedWith = e.GetString("CreatedWith"),
        TraceCodes = LargeText.Read(e, "TraceCodes") is { Length: > 0 } codes ? codes.Split(',') : [],
        AuditFlags = LargeText.Read(e, "AuditFlags"),
        ETag = e.ETag,
    };

    /// <summary>
    /// The settlements this process last wrote or read, with their ETags (a bounded, first-in-first-out memory). Only an
    /// optimisation: every write made from it is ETag-conditional, so a stale entry costs a 412 and a read, never a lost update.
    /// </summary>
    private sealed class RecentRecords(int capacity)
    {
        private const int MaxChars = 16 * 1024; // a long bill is not kept (≈ 50 lines and more): its transitions read first
        private readonly ConcurrentDictionary<string, SettlementRecord> _records = new(StringComparer.Ordinal);
        private readonly ConcurrentQueue<string> _order = new();

        public SettlementRecord? Get(string key) => _records.GetValueOrDefault(key);

        public void Remember(SettlementRecord r)
        {
            if (r.ETag == default) return;
            var key = r.SettlementId;
            if (r.RequestMessage.Length + (r.Outcome?.Length ?? 0) > MaxChars)
            {
                _records.TryRemove(key, out _);
                return;
            }
            if (_records.TryGetValue(key, out var known) && !IsNewer(r, known)) return;
            _records[key] = r;
            _order.Enqueue(key);
            while (_records.Count > capacity && _order.TryDequeue(out var old)) _records.TryRemove(old, out _);
        }

        /// <summary>Table ETags carry the write's timestamp: keep the later one when two threads race to remember.</summary>
        private static bool IsNewer(SettlementRecord r, SettlementRecord known) => string.CompareOrdinal(r.ETag.ToString(), known.ETag.ToString()) >= 0;
    }
}
