using System.Collections.Concurrent;
using Azure;
using Azure.Data.Tables;
using Gateway.Domain;
using Newtonsoft.Json;

namespace Gateway.Storage;

/// <summary>
/// The double-entry ledger on Azure Tables: idempotent posting and reversal, incremental positions (sharded
/// counters), period close in O(region pairs × shards), statements, confirm/dispute, queries.
/// </summary>
public sealed class LedgerStore(GatewayStorage storage, IReadOnlyList<RegionCode> regions, TimeProvider clock)
{
    private readonly TableClient _ledger = storage.Table(GatewayStorage.LedgerTable);
    private readonly TableClient _periods = storage.Table(GatewayStorage.PeriodsTable);
    private readonly TableClient _index = storage.Table(GatewayStorage.SettlementsTable);
    private readonly ConcurrentDictionary<ClearingPeriod, bool> _closed = new();
    private readonly ConcurrentDictionary<string, ShardState> _shards = new(StringComparer.Ordinal);
    private const string PeriodPartition = "period";

    /// <summary>
    /// What this process knows of one shard partition: postings to it are serialised here (so they never race each
    /// other for the counter's ETag), the counter as last written or read with its ETag, and whether it is frozen
    /// (forever, once it is). Knowledge only: every write is conditional, so a counter moved by another process or
    /// frozen by a close costs one 412 and a read.
    /// </summary>
    private sealed class ShardState
    {
        public readonly SemaphoreSlim Gate = new(1, 1);
        public TableEntity? Counter;
        public volatile bool Frozen;
    }

    public IReadOnlyList<RegionCode> Regions => regions;

    public IEnumerable<(RegionCode Home, RegionCode Treatment)> Pairs =>
        from h in regions from t in regions where h != t select (h, t);

    /// <summary>
    /// The index rows of journal <paramref name="sequence"/> of a settlement as they will be if it posts into the period of
    /// <paramref name="anchor"/> (as it does unless that period closes first): the settlement transition that causes the
    /// posting writes them in its own transaction (<see cref="SettlementStore.UpdateAsync"/>), and the posting is then
    /// made with <c>indexedAtAnchor: true</c> so it writes them only if it lands in a later period.
    /// </summary>
    public static IReadOnlyList<TableEntity> IndexAtAnchor(string settlementKey, int sequence, RegionCode home, RegionCode treatment, DateTimeOffset anchor)
    {
        var period = ClearingPeriod.Of(anchor);
        return LedgerRows.IndexEntities(settlementKey, sequence, period, LedgerRows.Partition(period, home, treatment, LedgerRows.Shard(settlementKey)));
    }

    /// <summary>
    /// Posts a completed settlement once: a replay finds the entry wherever it went and posts nothing.
    /// <paramref name="indexedAtAnchor"/>: the index rows for the anchor's period were written already (<see cref="IndexAtAnchor"/>).
    /// </summary>
    public async Task<JournalEntry> PostAsync(LedgerPosting p, DateTimeOffset anchor, CancellationToken ct, bool indexedAtAnchor = false)
    {
        LedgerRows.IndexKey(p.SettlementKey); // a key that cannot be indexed is refused before anything is written
        var (entry, partition) = await WriteAsync(p.SettlementKey, 0, p.Home, p.Treatment, anchor, period => Journal.Post(p, period), ct).ConfigureAwait(false);
        await IndexAsync(entry, partition, anchor, indexedAtAnchor, ct).ConfigureAwait(false);
        return entry;
    }

    /// <summary>Posts the exact reversal of a settlement's entry into the period open at <paramref name="anchor"/> (or the next open one).</summary>
    public async Task<JournalEntry> ReverseAsync(string settlementKey, DateTimeOffset anchor, CancellationToken ct, bool indexedAtAnchor = false)
    {
        var original = (await EntriesBySettlementAsync(settlementKey, ct).ConfigureAwait(false)).FirstOrDefault(e => e.Sequence == 0)
            ?? throw new InvalidOperationException($"No journal entry to reverse for {settlementKey}.");
        var (entry, partition) = await WriteAsync(settlementKey, 1, original.Home, original.Treatment, anchor, period => Journal.Reverse(original, period), ct).ConfigureAwait(false);
        await IndexAsync(entry, partition, anchor, indexedAtAnchor, ct).ConfigureAwait(false);
        return entry;
    }

    /// <summary>
    /// Posts a review's refusal (spec §10.3) once: the adjustment (sequence 2) of the settlement's posting, into the posting's
    /// period when it is open (else the next open one); a replay finds it and posts nothing (the first amount stands).
    /// </summary>
    public async Task<JournalEntry> AdjustAsync(string settlementKey, decimal amount, CancellationToken ct)
    {
        var original = (await EntriesBySettlementAsync(settlementKey, ct).ConfigureAwait(false)).FirstOrDefault(e => e.Sequence == 0)
            ?? throw new InvalidOperationException($"No journal entry to adjust for {settlementKey}.");
        var anchor = original.Period.Start;
        var (entry, partition) = await WriteAsync(settlementKey, JournalEntry.AdjustmentSequence, original.Home, original.Treatment, anchor,
            period => Journal.Adjust(original, amount, period), ct).ConfigureAwait(false);
        await IndexAsync(entry, partition, anchor, false, ct).ConfigureAwait(false);
        return entry;
    }

    private async Task<(JournalEntry Entry, string Partition)> WriteAsync(string key, int sequence, RegionCode home, RegionCode treatment, DateTimeOffset anchor,
        Func<ClearingPeriod, JournalEntry> build, CancellationToken ct)
    {
        var shard = LedgerRows.Shard(key);
        var period = ClearingPeriod.Of(anchor);
        var row = LedgerRows.JournalRow(key, sequence);
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var partition = LedgerRows.Partition(period, home, treatment, shard);
            var state = _shards.GetOrAdd(partition, _ => new ShardState());
            if (state.Frozen)
            {
                // Closed to new postings; but this settlement may have posted here before the close (a replay).
                var posted = await _ledger.GetEntityIfExistsAsync<TableEntity>(partition, row, cancellationToken: ct).ConfigureAwait(false);
                if (posted.HasValue) return (LedgerRows.FromEntity(posted.Value!), partition);
                period = period.Next(); // closed: later postings go to the next open period
                continue;
            }
            await state.Gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                if (state.Frozen) continue; // frozen while waiting: the same period again, through the check above
                if (state.Counter is { } known)
                {
                    // The counter as this process last left it. The journal insert fails if this settlement already posted
                    // here (409) and the counter update if the shard moved or was frozen since (412): then read, below.
                    // It cannot have posted in a later period: that needs this counter frozen, which changes its ETag; nor
                    // in an earlier one: every period passed on the way here was checked for this journal.
                    var entry = build(period);
                    if (await TryCommitAsync(state, entry, shard, partition, known, ct).ConfigureAwait(false)) return (entry, partition);
                }
                var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition} and (RowKey eq {row} or RowKey eq {LedgerRows.CounterRow})");
                TableEntity? journal = null, counter = null;
                await foreach (var e in _ledger.QueryAsync<TableEntity>(filter, cancellationToken: ct).ConfigureAwait(false))
                {
                    if (e.RowKey == row) journal = e;
                    else counter = e;
                }
                if (counter?.GetBoolean("Frozen") == true)
                {
                    state.Frozen = true;
                    state.Counter = null;
                }
                else state.Counter = counter;
                if (journal is not null) return (LedgerRows.FromEntity(journal), partition);
                // A close freezes every shard counter (creating the missing ones frozen) before it marks the period closed,
                // so an existing counter that is not frozen is the whole answer; only a missing one needs the period's row.
                if (state.Frozen || (counter is null && await IsClosedAsync(period, ct).ConfigureAwait(false)))
                {
                    period = period.Next();
                    continue;
                }
                var fresh = build(period);
                if (await TryCommitAsync(state, fresh, shard, partition, counter, ct).ConfigureAwait(false)) return (fresh, partition);
                // Another posting to this shard (or a close freezing it) won the race: read again.
            }
            finally
            {
                state.Gate.Release();
            }
        }
        throw new InvalidOperationException($"Could not post {key}/{sequence}: too many conflicts.");
    }

    /// <summary>Journal insert + counter (insert, or replace under its ETag) in one transaction; remembers the new counter.</summary>
    private async Task<bool> TryCommitAsync(ShardState state, JournalEntry entry, int shard, string partition, TableEntity? counter, CancellationToken ct)
    {
        var position = counter is null ? PairPosition.Empty(entry.Period, entry.Home, entry.Treatment) : LedgerRows.CounterPosition(counter, entry.Period, entry.Home, entry.Treatment);
        var next = LedgerRows.Counter(partition, position.Add(entry), false);
        var actions = new List<TableTransactionAction>
        {
            new(TableTransactionActionType.Add, LedgerRows.ToEntity(entry, shard, clock.GetUtcNow())),
            counter is null
                ? new TableTransactionAction(TableTransactionActionType.Add, next)
                : new TableTransactionAction(TableTransactionActionType.UpdateReplace, next, counter.ETag),
        };
        try
        {
            var response = await _ledger.SubmitTransactionAsync(actions, ct).ConfigureAwait(false);
            next.ETag = response.Value[1].Headers.ETag ?? default;
            state.Counter = next.ETag == default ? null : next;
            return true;
        }
        catch (TableTransactionFailedException e) when (e.Status is 409 or 412)
        {
            state.Counter = null;
            return false;
        }
    }

    /// <summary>
    /// Makes the index rows point at where the entry is. When the caller wrote them for the anchor's period and the entry
    /// is there (the usual case) this costs nothing; otherwise one transaction (+ removing the anchor period's row).
    /// </summary>
    private async Task IndexAsync(JournalEntry e, string partition, DateTimeOffset anchor, bool indexedAtAnchor, CancellationToken ct)
    {
        var predicted = ClearingPeriod.Of(anchor);
        if (indexedAtAnchor && e.Period == predicted) return;
        var rows = LedgerRows.IndexEntities(e.SettlementKey, e.Sequence, e.Period, partition);
        await _index.SubmitTransactionAsync(rows.Select(r => new TableTransactionAction(TableTransactionActionType.UpsertReplace, r)), ct).ConfigureAwait(false);
        if (indexedAtAnchor)
        {
            var (hospital, id) = LedgerRows.IndexKey(e.SettlementKey);
            try { await _index.DeleteEntityAsync(hospital, LedgerRows.PeriodIndexRow(predicted, id, e.Sequence), ETag.All, ct).ConfigureAwait(false); }
            catch (RequestFailedException x) when (x.Status == 404) { }
        }
    }

    public async Task<bool> IsClosedAsync(ClearingPeriod period, CancellationToken ct)
    {
        if (_closed.TryGetValue(period, out var closed) && closed) return true;
        var r = await _periods.GetEntityIfExistsAsync<TableEntity>(PeriodPartition, period.ToString(), cancellationToken: ct).ConfigureAwait(false);
        closed = r.HasValue && r.Value!.GetString("Status") == "closed";
        if (closed) _closed[period] = true; // closed is forever; open is re-read
        return closed;
    }

    /// <summary>The positions matrix of a period: point reads of every pair's shard counters, O(pairs × shards).</summary>
    public async Task<IReadOnlyList<PairPosition>> PositionsAsync(ClearingPeriod period, CancellationToken ct)
    {
        var tasks = Pairs.Select(async pair =>
        {
            var shards = await Task.WhenAll(Enumerable.Range(0, LedgerRows.Shards).Select(async s =>
            {
                var r = await _ledger.GetEntityIfExistsAsync<TableEntity>(LedgerRows.Partition(period, pair.Home, pair.Treatment, s), LedgerRows.CounterRow, cancellationToken: ct).ConfigureAwait(false);
                return r.HasValue ? LedgerRows.CounterPosition(r.Value!, period, pair.Home, pair.Treatment) : PairPosition.Empty(period, pair.Home, pair.Treatment);
            })).ConfigureAwait(false);
            return PairPosition.Sum(shards, period, pair.Home, pair.Treatment);
        });
        return (await Task.WhenAll(tasks).ConfigureAwait(false)).Where(p => p.Postings + p.Reversals > 0).ToList();
    }

    /// <summary>
    /// Closes a period: freezes every shard counter under its ETag (a racing posting then re-routes to the next
    /// period), writes one statement per active pair, marks the period closed. Idempotent: a re-run gives the same statements.
    /// </summary>
    public async Task<IReadOnlyList<PeriodStatement>> CloseAsync(ClearingPeriod period, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await _periods.UpsertEntityAsync(new TableEntity(PeriodPartition, period.ToString()) { ["Status"] = await IsClosedAsync(period, ct).ConfigureAwait(false) ? "closed" : "closing" }, TableUpdateMode.Merge, ct).ConfigureAwait(false);
        var positions = new List<PairPosition>();
        foreach (var (home, treatment) in Pairs)
        {
            var shards = await Task.WhenAll(Enumerable.Range(0, LedgerRows.Shards).Select(s => FreezeAsync(period, home, treatment, s, ct))).ConfigureAwait(false);
            var p = PairPosition.Sum(shards, period, home, treatment);
            if (p.Postings + p.Reversals > 0) positions.Add(p);
        }
        var statements = new List<PeriodStatement>();
        foreach (var p in positions)
        {
            var existing = await GetStatementAsync(period, p.Home, p.Treatment, ct).ConfigureAwait(false);
            if (existing is not null) { statements.Add(existing); continue; }
            var e = new TableEntity(StatementPartition(period), StatementRow(p.Home, p.Treatment))
            {
                ["Postings"] = p.Postings,
                ["Reversals"] = p.Reversals,
                ["HomeStatus"] = StatementStatus.Pending,
                ["TreatmentStatus"] = StatementStatus.Pending,
                ["ClosedAt"] = now,
            };
            LedgerRows.WriteFunds(e, p.Funds);
            try { await _periods.AddEntityAsync(e, ct).ConfigureAwait(false); }
            catch (RequestFailedException x) when (x.Status == 409) { }
            statements.Add((await GetStatementAsync(period, p.Home, p.Treatment, ct).ConfigureAwait(false))!);
        }
        await _periods.UpsertEntityAsync(new TableEntity(PeriodPartition, period.ToString()) { ["Status"] = "closed", ["ClosedAt"] = now }, TableUpdateMode.Merge, ct).ConfigureAwait(false);
        _closed[period] = true;
        return statements;
    }

    private async Task<PairPosition> FreezeAsync(ClearingPeriod period, RegionCode home, RegionCode treatment, int shard, CancellationToken ct)
    {
        var partition = LedgerRows.Partition(period, home, treatment, shard);
        while (true)
        {
            var r = await _ledger.GetEntityIfExistsAsync<TableEntity>(partition, LedgerRows.CounterRow, cancellationToken: ct).ConfigureAwait(false);
            try
            {
                if (!r.HasValue)
                {
                    var empty = PairPosition.Empty(period, home, treatment);
                    await _ledger.AddEntityAsync(LedgerRows.Counter(partition, empty, true), ct).ConfigureAwait(false);
                    _shards.GetOrAdd(partition, _ => new ShardState()).Frozen = true;
                    return empty;
                }
                var position = LedgerRows.CounterPosition(r.Value!, period, home, treatment);
                if (r.Value!.GetBoolean("Frozen") != true)
                    await _ledger.UpdateEntityAsync(LedgerRows.Counter(partition, position, true), r.Value!.ETag, TableUpdateMode.Replace, ct).ConfigureAwait(false);
                _shards.GetOrAdd(partition, _ => new ShardState()).Frozen = true;
                return position;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412)
            {
                // A posting committed meanwhile: read the counter again and freeze that.
            }
        }
    }

    private static string StatementPartition(ClearingPeriod period) => $"statement|{period}";

    public async Task<PeriodStatement?> GetStatementAsync(ClearingPeriod period, RegionCode home, RegionCode treatment, CancellationToken ct)
    {
        var r = await _periods.GetEntityIfExistsAsync<TableEntity>(StatementPartition(period), StatementRow(home, treatment), cancellationToken: ct).ConfigureAwait(false);
        return r.HasValue ? Statement(period, r.Value!) : null;
    }

    public async Task<IReadOnlyList<PeriodStatement>> StatementsAsync(ClearingPeriod period, CancellationToken ct)
    {
        var list = new List<PeriodStatement>();
        await foreach (var e in _periods.QueryAsync<TableEntity>(x => x.PartitionKey == StatementPartition(period), cancellationToken: ct).ConfigureAwait(false))
        {
            if (e.RowKey.Count(c => c == '|') != 1) continue; // a response (history) row, not a statement
            list.Add(Statement(period, e));
        }
        return list;
    }

    private static string StatementRow(RegionCode home, RegionCode treatment) => $"{home}|{treatment}";

    /// <summary>History rows of a statement share its partition (one transaction with the statement): <c>{home}|{treatment}|r{seq}</c>.</summary>
    private static string ResponseRow(RegionCode home, RegionCode treatment, int sequence) => $"{home}|{treatment}|r{sequence:D6}";

    private static StatementSide Side(TableEntity e, string prefix, RegionCode region)
    {
        var status = e.GetString($"{prefix}Status") ?? StatementStatus.Pending;
        var reason = e.GetString($"{prefix}Reason");
        var ids = e.GetString($"{prefix}SettlementIds");
        // Rows written before answers were kept per side hold one shared dispute: it belongs to a side that disputes.
        if (reason is null && ids is null && status == StatementStatus.Disputed)
        {
            reason = e.GetString("DisputeReason");
            ids = e.GetString("DisputedSettlementIds");
        }
        return new StatementSide(region, status, reason, JsonConvert.DeserializeObject<List<string>>(ids ?? "[]")!, e.GetString($"{prefix}By"), e.GetDateTimeOffset($"{prefix}At"));
    }

    private static PeriodStatement Statement(ClearingPeriod period, TableEntity e)
    {
        var sep = e.RowKey.IndexOf('|');
        var home = RegionCode.Parse(e.RowKey[..sep]);
        var treatment = RegionCode.Parse(e.RowKey[(sep + 1)..]);
        return new PeriodStatement(period, home, treatment, LedgerRows.ReadFunds(e), e.GetInt32("Postings") ?? 0, e.GetInt32("Reversals") ?? 0,
            Side(e, "Home", home), Side(e, "Treatment", treatment), e.GetDateTimeOffset("ClosedAt") ?? default);
    }

    /// <summary>
    /// A side confirms or disputes a statement: its own status, reason, settlement ids, who and when are replaced (the
    /// other side's are untouched) and the answer is appended to the statement's history, in one transaction under the
    /// statement's ETag (two answers racing serialise). A confirm clears the side's dispute. A dispute never changes the
    /// ledger; a correction is a new entry. Null when there is no statement (the period is not closed).
    /// </summary>
    public async Task<PeriodStatement?> RespondAsync(ClearingPeriod period, RegionCode home, RegionCode treatment, RegionCode side, bool confirm,
        string? reason, IReadOnlyList<string> settlementIds, string by, CancellationToken ct)
    {
        var prefix = side == home ? "Home" : side == treatment ? "Treatment" : throw new ArgumentException("Only the two regions of the pair respond.");
        var status = confirm ? StatementStatus.Confirmed : StatementStatus.Disputed;
        var ids = confirm ? [] : settlementIds.Distinct(StringComparer.Ordinal).ToList();
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var r = await _periods.GetEntityIfExistsAsync<TableEntity>(StatementPartition(period), StatementRow(home, treatment), cancellationToken: ct).ConfigureAwait(false);
            if (!r.HasValue) return null;
            var e = r.Value!;
            var sequence = (e.GetInt32("Responses") ?? 0) + 1;
            var at = clock.GetUtcNow();
            e[$"{prefix}Status"] = status;
            e[$"{prefix}Reason"] = reason;
            e[$"{prefix}SettlementIds"] = JsonConvert.SerializeObject(ids);
            e[$"{prefix}By"] = by;
            e[$"{prefix}At"] = at;
            e["Responses"] = sequence;
            e.Remove("DisputeReason"); // the shared fields of older rows: now per side
            e.Remove("DisputedSettlementIds");
            var history = new TableEntity(StatementPartition(period), ResponseRow(home, treatment, sequence))
            {
                ["Side"] = side.Value,
                ["Status"] = status,
                ["Reason"] = reason,
                ["SettlementIds"] = JsonConvert.SerializeObject(ids),
                ["By"] = by,
                ["At"] = at,
            };
            try
            {
                await _periods.SubmitTransactionAsync(
                [
                    new TableTransactionAction(TableTransactionActionType.UpdateReplace, e, e.ETag),
                    new TableTransactionAction(TableTransactionActionType.Add, history),
                ], ct).ConfigureAwait(false);
                return Statement(period, e);
            }
            catch (TableTransactionFailedException x) when (x.Status is 409 or 412)
            {
                // Another answer to this statement committed meanwhile: read it again.
            }
        }
        throw new InvalidOperationException($"Could not record the answer to {home} → {treatment} {period}: too many conflicts.");
    }

    /// <summary>Every answer given to a statement, oldest first (one partition-scoped range query).</summary>
    public async Task<IReadOnlyList<StatementResponse>> ResponsesAsync(ClearingPeriod period, RegionCode home, RegionCode treatment, CancellationToken ct)
    {
        var prefix = $"{StatementRow(home, treatment)}|r";
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {StatementPartition(period)} and RowKey ge {prefix} and RowKey lt {prefix + "~"}");
        var list = new List<StatementResponse>();
        await foreach (var e in _periods.QueryAsync<TableEntity>(filter, cancellationToken: ct).ConfigureAwait(false))
        {
            list.Add(new StatementResponse(int.Parse(e.RowKey[(prefix.Length)..], System.Globalization.CultureInfo.InvariantCulture), RegionCode.Parse(e.GetString("Side")),
                e.GetString("Status") ?? StatementStatus.Pending, e.GetString("Reason"), JsonConvert.DeserializeObject<List<string>>(e.GetString("SettlementIds") ?? "[]")!,
                e.GetString("By") ?? "", e.GetDateTimeOffset("At") ?? default));
        }
        return list.OrderBy(x => x.Sequence).ToList();
    }

    /// <summary>
    /// The ids among <paramref name="settlementIds"/> that are not settlements posted (or reversed) in this period for this
    /// pair: for each, one query of the journal rows <c>journal-{id}-0|1</c> in the one shard partition it would be in.
    /// </summary>
    public async Task<IReadOnlyList<string>> NotInStatementAsync(ClearingPeriod period, RegionCode home, RegionCode treatment, IReadOnlyList<string> settlementIds, CancellationToken ct)
    {
        var checks = settlementIds.Distinct(StringComparer.Ordinal).Select(async id =>
        {
            if (!Keys.TrySplitSettlementKey(id, out _, out _)) return (id, found: false);
            var partition = LedgerRows.Partition(period, home, treatment, LedgerRows.Shard(id));
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition} and (RowKey eq {LedgerRows.JournalRow(id, 0)} or RowKey eq {LedgerRows.JournalRow(id, 1)})");
            await foreach (var _ in _ledger.QueryAsync<TableEntity>(filter, select: ["RowKey"], cancellationToken: ct).ConfigureAwait(false)) return (id, found: true);
            return (id, found: false);
        });
        return (await Task.WhenAll(checks).ConfigureAwait(false)).Where(x => !x.found).Select(x => x.id).ToList();
    }

    public async Task<IReadOnlyList<(string Period, string Status)>> PeriodsAsync(CancellationToken ct)
    {
        var list = new List<(string, string)>();
        await foreach (var e in _periods.QueryAsync<TableEntity>(x => x.PartitionKey == PeriodPartition, cancellationToken: ct).ConfigureAwait(false))
            list.Add((e.RowKey, e.GetString("Status") ?? "open"));
        return list;
    }

    /// <summary>A settlement's journal entries (its posting, and its reversal if cancelled), through the index rows.</summary>
    public async Task<IReadOnlyList<JournalEntry>> EntriesBySettlementAsync(string settlementKey, CancellationToken ct)
    {
        if (!Keys.TrySplitSettlementKey(settlementKey, out var hospital, out var id)) return [];
        var prefix = LedgerRows.SettlementIndexPrefix(id);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {hospital} and RowKey ge {prefix} and RowKey lt {prefix + "~"}");
        var list = new List<JournalEntry>();
        await foreach (var idx in _index.QueryAsync<TableEntity>(filter, cancellationToken: ct).ConfigureAwait(false))
        {
            if (idx.GetString("SettlementKey") != settlementKey) continue;
            if (await JournalAsync(idx, ct).ConfigureAwait(false) is { } j) list.Add(j);
        }
        return list.OrderBy(e => e.Sequence).ToList();
    }

    /// <summary>The journal an index row points at (null while the posting it announces has not happened yet).</summary>
    private async Task<JournalEntry?> JournalAsync(TableEntity idx, CancellationToken ct)
    {
        var r = await _ledger.GetEntityIfExistsAsync<TableEntity>(idx.GetString("Partition"), LedgerRows.JournalRow(idx.GetString("SettlementKey"), idx.GetInt32("Sequence") ?? 0), cancellationToken: ct).ConfigureAwait(false);
        return r.HasValue ? LedgerRows.FromEntity(r.Value!) : null;
    }

    /// <summary>Journal entries of a pair in a period, one page (the continuation token is opaque).</summary>
    public async Task<(IReadOnlyList<JournalEntry> Items, string? Continuation)> EntriesByPairAsync(ClearingPeriod period, RegionCode home, RegionCode treatment, int pageSize, string? continuation, CancellationToken ct)
    {
        var (items, next) = await EntriesByPairAsync(period, home, treatment, EntryFilter.None, pageSize, continuation, ct).ConfigureAwait(false);
        return (items.Select(x => x.Entry).ToList(), next);
    }

    /// <summary>
    /// Journal entries of a pair in a period that pass <paramref name="filter"/>, one page of at most
    /// <paramref name="pageSize"/>. The query is scoped to the pair's shard partitions
    /// (<c>{period}|{home}|{treatment}|s0…s3</c>, a PartitionKey range) and carries the hospital, posting-date and
    /// posting/reversal conditions to the table service; the amount range (on the entry's |total|, exact decimals) is
    /// applied to what comes back. Paging is by key (the continuation names the last entry returned), so pages are
    /// complete and never skip or repeat an entry whatever the filters.
    /// </summary>
    public async Task<(IReadOnlyList<PostedEntry> Items, string? Continuation)> EntriesByPairAsync(ClearingPeriod period, RegionCode home, RegionCode treatment,
        EntryFilter filter, int pageSize, string? continuation, CancellationToken ct)
    {
        var from = $"{period}|{home}|{treatment}|s";
        var query = TableClient.CreateQueryFilter($"PartitionKey ge {from} and PartitionKey lt {from + "~"} and RowKey ge {"journal-"} and RowKey lt {"journal-~"}");
        if (continuation is not null)
        {
            if (!TryDecodeKey(continuation, out var pk, out var rk) || !pk.StartsWith(from, StringComparison.Ordinal))
                throw new ArgumentException("Not a continuation of this listing.", nameof(continuation));
            query += " and " + TableClient.CreateQueryFilter($"(PartitionKey gt {pk} or (PartitionKey eq {pk} and RowKey gt {rk}))");
        }
        if (filter.Hospital is { Length: > 0 } hospital) query += " and " + TableClient.CreateQueryFilter($"HospitalCode eq {hospital}");
        if (filter.From is { } d0) query += " and " + TableClient.CreateQueryFilter($"PostedAt ge {ChinaTime.StartOf(d0).ToUniversalTime()}");
        if (filter.To is { } d1) query += " and " + TableClient.CreateQueryFilter($"PostedAt lt {ChinaTime.StartOf(d1.AddDays(1)).ToUniversalTime()}");
        if (filter.Reversal is { } reversal) query += " and " + TableClient.CreateQueryFilter($"Sequence eq {(reversal ? 1 : 0)}");
        var items = new List<PostedEntry>();
        TableEntity? last = null;
        await foreach (var e in _ledger.QueryAsync<TableEntity>(query, maxPerPage: Math.Clamp(pageSize + 1, 50, 1000), cancellationToken: ct).ConfigureAwait(false))
        {
            var entry = LedgerRows.FromEntity(e);
            var amount = Math.Abs(entry.Funds.Total);
            if (filter.MinAmount is { } min && amount < min) continue;
            if (filter.MaxAmount is { } max && amount > max) continue;
            if (items.Count == pageSize) return (items, EncodeKey(last!.PartitionKey, last.RowKey)); // there is more
            items.Add(new PostedEntry(entry, e.GetDateTimeOffset("PostedAt")));
            last = e;
        }
        return (items, null);
    }

    private static string EncodeKey(string pk, string rk) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(pk + "\n" + rk)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static bool TryDecodeKey(string token, out string pk, out string rk)
    {
        pk = rk = "";
        try
        {
            var b64 = token.Replace('-', '+').Replace('_', '/');
            var text = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(b64.PadRight(b64.Length + (4 - b64.Length % 4) % 4, '=')));
            var i = text.IndexOf('\n');
            if (i <= 0) return false;
            (pk, rk) = (text[..i], text[(i + 1)..]);
            return true;
        }
        catch (FormatException) { return false; }
    }

    public async Task<(IReadOnlyList<JournalEntry> Items, string? Continuation)> EntriesByHospitalAsync(string hospitalCode, ClearingPeriod period, int pageSize, string? continuation, CancellationToken ct)
    {
        var prefix = LedgerRows.PeriodIndexPrefix(period);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {hospitalCode} and RowKey ge {prefix} and RowKey lt {prefix + "~"}");
        await foreach (var page in _index.QueryAsync<TableEntity>(filter, maxPerPage: pageSize, cancellationToken: ct).AsPages(continuation, pageSize).ConfigureAwait(false))
        {
            var items = new List<JournalEntry>();
            foreach (var idx in page.Values)
            {
                if (await JournalAsync(idx, ct).ConfigureAwait(false) is { } j && j.Period == period) items.Add(j);
            }
            return (items, page.ContinuationToken);
        }
        return ([], null);
    }

    /// <summary>Every journal (verification only: a full scan).</summary>
    public async IAsyncEnumerable<JournalEntry> AllJournalsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var (key, entry, problem) in AllJournalRowsAsync(ct).ConfigureAwait(false))
            yield return entry ?? throw new InvalidOperationException($"Journal row {key}: {problem}");
    }

    /// <summary>
    /// Every journal row as stored, for verification: a row that does not make a valid entry (it does not balance,
    /// or cannot be read) comes back with the problem instead of stopping the walk.
    /// </summary>
    public async IAsyncEnumerable<(string Key, JournalEntry? Entry, string? Problem)> AllJournalRowsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var e in _ledger.QueryAsync<TableEntity>(x => x.RowKey.CompareTo("journal-") >= 0 && x.RowKey.CompareTo("journal-~") < 0, cancellationToken: ct).ConfigureAwait(false))
        {
            JournalEntry? entry = null;
            string? problem = null;
            try { entry = LedgerRows.FromEntity(e); }
            catch (Exception x) when (x is InvalidOperationException or FormatException or ArgumentException or JsonException or OverflowException)
            {
                problem = x.Message;
            }
            yield return ($"{e.PartitionKey}/{e.RowKey}", entry, problem);
        }
    }

    /// <summary>Every shard counter with its partition (verification only).</summary>
    public async IAsyncEnumerable<(string Partition, PairPosition Position)> AllCountersAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var e in _ledger.QueryAsync<TableEntity>(x => x.RowKey == LedgerRows.CounterRow, cancellationToken: ct).ConfigureAwait(false))
        {
            var parts = e.PartitionKey.Split('|');
            yield return (e.PartitionKey, LedgerRows.CounterPosition(e, ClearingPeriod.Parse(parts[0]), RegionCode.Parse(parts[1]), RegionCode.Parse(parts[2])));
        }
    }
}
