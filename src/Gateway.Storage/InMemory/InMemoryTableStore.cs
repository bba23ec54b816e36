using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Azure.Data.Tables;

namespace Gateway.Storage.InMemory;

/// <summary>
/// An in-memory table storage account, faithful to Azure Table Storage as Azurite 3.37 implements it and the Azure SDK
/// (Azure.Data.Tables 12.13) presents it: what <see cref="InMemoryTableServiceClient"/> and <see cref="InMemoryTableClient"/>
/// (the SDK's clients, overridden) read and write. Several clients over one store are several processes sharing one account.
/// <list type="bullet">
/// <item>Deterministic: no wall clock, no randomness. Every write takes a timestamp from <see cref="Clock"/>, made strictly
/// increasing across the store (the next tick when the clock has not moved), which is the entity's <c>Timestamp</c> and
/// its ETag <c>W/"datetime'…'"</c> (so ETags order as writes do).</item>
/// <item>Thread-safe: one lock per table; a transaction is applied under it all or nothing.</item>
/// <item>Values are copied in and out: nothing a caller holds aliases the store.</item>
/// <item><see cref="Faults"/> is called around every request (<see cref="IStorageFaults"/>).</item>
/// </list>
/// </summary>
public sealed partial class InMemoryTableStore(TimeProvider clock, IStorageFaults? faults = null)
{
    private const int MaxKeyLength = 512;
    private const int MaxStringLength = 32 * 1024;
    private const int MaxBinaryLength = 64 * 1024;
    private const int MaxEntityBytes = 1024 * 1024;
    private const int MaxProperties = 252;
    private const int MaxPageSize = 1000;
    private const int MaxTransactionActions = 100;

    private readonly Dictionary<string, MemoryTable> _tables = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _stampLock = new();
    private long _lastTicks;
    private long _requests;

    /// <summary>Where write timestamps (and so ETags) come from.</summary>
    public TimeProvider Clock { get; } = clock;

    /// <summary>The fault hook for clients that have none of their own (null: no faults).</summary>
    public IStorageFaults? Faults { get; set; } = faults;

    /// <summary>The account name the clients report.</summary>
    public string AccountName => "memory";

    /// <summary>The tables that exist, ordered by name (no round-trip, no fault: for tests and the simulator).</summary>
    public IReadOnlyList<string> TableNames()
    {
        lock (_tables) return _tables.Values.Select(t => t.Name).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Every entity of a table in key order, as a query of the whole table would return it (no round-trip, no fault: for
    /// tests and the simulator to inspect the state). Empty when the table does not exist.
    /// </summary>
    public IReadOnlyList<TableEntity> Snapshot(string table)
    {
        if (Find(table) is not { } t) return [];
        lock (t.Sync) return t.All().Select(e => EntityValues.ToEntity<TableEntity>(e.Values(null))).ToList();
    }

    internal string NextRequestId() => $"memory-{Interlocked.Increment(ref _requests)}";

    /// <summary>The next write timestamp: the clock, or one tick after the previous write if the clock has not moved on.</summary>
    private DateTimeOffset NextStamp()
    {
        lock (_stampLock)
        {
            var ticks = Math.Max(Clock.GetUtcNow().UtcTicks, _lastTicks + 1);
            _lastTicks = ticks;
            return new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    internal static string ETagOf(DateTimeOffset stamp) =>
        $"W/\"datetime'{Uri.EscapeDataString(stamp.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture))}'\"";

    private MemoryTable? Find(string table)
    {
        lock (_tables) return _tables.GetValueOrDefault(table);
    }

    private MemoryTable Table(string table) => Find(table) ?? throw StoreException.TableNotFound();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9]{2,62}$")]
    private static partial Regex TableName();

    /// <summary>Creates a table: true if created, false if it existed.</summary>
    internal bool CreateTable(string table)
    {
        if (!TableName().IsMatch(table)) throw StoreException.InvalidResourceName();
        lock (_tables)
        {
            if (_tables.ContainsKey(table)) return false;
            _tables[table] = new MemoryTable(table);
            return true;
        }
    }

    /// <summary>Deletes a table: true if it existed.</summary>
    internal bool DeleteTable(string table)
    {
        lock (_tables) return _tables.Remove(table);
    }

    internal StoredEntity? Get(string table, string partitionKey, string rowKey)
    {
        var t = Table(table);
        lock (t.Sync) return t.Find(partitionKey, rowKey);
    }

    /// <summary>A write of one entity (or one transaction action), validated and normalised before the request is sent.</summary>
    internal sealed record Write(TableTransactionActionType Kind, string PartitionKey, string RowKey, IReadOnlyList<KeyValuePair<string, object>> Properties, string? IfMatch);

    /// <summary>Applies one write; returns the new ETag (null for a delete).</summary>
    internal string? Apply(string table, Write write)
    {
        var t = Table(table);
        lock (t.Sync)
        {
            var (stored, etag) = Resolve(write, t.Find(write.PartitionKey, write.RowKey));
            t.Set(write.PartitionKey, write.RowKey, stored);
            return etag;
        }
    }

    /// <summary>
    /// Applies a transaction all or nothing. Returns the ETag of each action (null for a delete), or throws
    /// <see cref="TransactionException"/> with the failed action's index.
    /// </summary>
    internal IReadOnlyList<string?> Apply(string table, IReadOnlyList<Write> actions)
    {
        var t = Find(table) ?? throw new TransactionException(0, StoreException.TableNotFound());
        if (actions.Count > MaxTransactionActions) throw new TransactionException(0, StoreException.TooManyActions());
        lock (t.Sync)
        {
            var staged = new Dictionary<string, StoredEntity?>(StringComparer.Ordinal);
            var etags = new List<string?>(actions.Count);
            for (var i = 0; i < actions.Count; i++)
            {
                var a = actions[i];
                try
                {
                    if (!string.Equals(a.PartitionKey, actions[0].PartitionKey, StringComparison.Ordinal)) throw StoreException.DifferentPartitions();
                    if (staged.ContainsKey(a.RowKey)) throw StoreException.DuplicateRow(a.RowKey);
                    var (stored, etag) = Resolve(a, t.Find(a.PartitionKey, a.RowKey));
                    staged[a.RowKey] = stored;
                    etags.Add(etag);
                }
                catch (StoreException e)
                {
                    throw new TransactionException(i, e);
                }
            }
            foreach (var (rowKey, stored) in staged) t.Set(actions[0].PartitionKey, rowKey, stored);
            return etags;
        }
    }

    /// <summary>What a write makes of the current entity (null: none): the new entity (null: deleted) and its ETag.</summary>
    private (StoredEntity? Stored, string? ETag) Resolve(Write w, StoredEntity? current)
    {
        switch (w.Kind)
        {
            case TableTransactionActionType.Delete:
                CheckIfMatch(w.IfMatch, current, onBadETag: () => StoreException.InvalidInput());
                return (null, null);
            case TableTransactionActionType.Add:
                Validate(w);
                if (current is not null) throw StoreException.EntityAlreadyExists();
                return Stamp(w.PartitionKey, w.RowKey, w.Properties, null);
            case TableTransactionActionType.UpdateReplace or TableTransactionActionType.UpsertReplace:
                Validate(w);
                if (w.IfMatch is not null) CheckIfMatch(w.IfMatch, current, onBadETag: () => StoreException.InvalidInput());
                return Stamp(w.PartitionKey, w.RowKey, w.Properties, null);
            default: // UpdateMerge, UpsertMerge
                Validate(w);
                if (w.IfMatch is not null) CheckIfMatch(w.IfMatch, current, onBadETag: StoreException.InvalidOperation);
                return Stamp(w.PartitionKey, w.RowKey, w.Properties, current);
        }
    }

    /// <summary>An If-Match check: "*" needs the entity, an ETag needs that version; a malformed ETag is a 400 (as Azurite).</summary>
    private static void CheckIfMatch(string? ifMatch, StoredEntity? current, Func<StoreException> onBadETag)
    {
        if (ifMatch is null or "") throw StoreException.ConditionNotSatisfied();
        if (ifMatch != "*" && !WeakETag().IsMatch(ifMatch)) throw onBadETag();
        if (current is null) throw StoreException.EntityNotFound();
        if (ifMatch != "*" && NormaliseETag(ifMatch) != NormaliseETag(current.ETag)) throw StoreException.ConditionNotSatisfied();
    }

    [GeneratedRegex("^[wW]/\"([^\"]|\\\\\")*\"$")]
    private static partial Regex WeakETag();

    /// <summary>Azurite compares ETags with their first two colons URL-encoded (clients send either form).</summary>
    private static string NormaliseETag(string etag)
    {
        var s = etag;
        for (var i = 0; i < 2; i++)
        {
            var at = s.IndexOf(':', StringComparison.Ordinal);
            if (at < 0) break;
            s = string.Concat(s.AsSpan(0, at), "%3A", s.AsSpan(at + 1));
        }
        return s;
    }

    [GeneratedRegex(@"[\u0000-\u001f\u007f-\u009f/\\#?]")]
    private static partial Regex ForbiddenKeyCharacter();

    /// <summary>The service's checks of a written entity: keys, property sizes and count, entity size.</summary>
    private static void Validate(Write w)
    {
        foreach (var key in (ReadOnlySpan<string>)[w.PartitionKey, w.RowKey])
            if (key.Length > MaxKeyLength || ForbiddenKeyCharacter().IsMatch(key)) throw StoreException.InvalidInput();
        if (w.Properties.Count > MaxProperties) throw StoreException.TooManyProperties();
        long size = 4 + (w.PartitionKey.Length + w.RowKey.Length) * 2;
        foreach (var (name, value) in w.Properties)
        {
            if (value is string s && s.Length > MaxStringLength) throw StoreException.PropertyValueTooLarge();
            if (value is byte[] b && b.Length > MaxBinaryLength) throw StoreException.PropertyValueTooLarge();
            size += 8 + name.Length * 2 + EntityValues.Size(value);
        }
        if (size > MaxEntityBytes) throw StoreException.EntityTooLarge();
    }

    /// <summary>
    /// The stored entity: <paramref name="properties"/> (replacing, or merged over <paramref name="mergeInto"/>'s: existing
    /// properties keep their place, new ones follow), with a new Timestamp and ETag.
    /// </summary>
    private (StoredEntity, string) Stamp(string pk, string rk, IReadOnlyList<KeyValuePair<string, object>> properties, StoredEntity? mergeInto)
    {
        var stamp = NextStamp();
        var etag = ETagOf(stamp);
        List<KeyValuePair<string, object>> list;
        if (mergeInto is null)
        {
            list = new List<KeyValuePair<string, object>>(properties.Count + 1);
            list.AddRange(properties);
            list.Add(new(EntityValues.TimestampKey, stamp));
        }
        else
        {
            list = mergeInto.Properties.Select(p => p.Key == EntityValues.TimestampKey ? new KeyValuePair<string, object>(p.Key, stamp) : p).ToList();
            foreach (var p in properties)
            {
                var at = list.FindIndex(x => x.Key == p.Key);
                if (at >= 0) list[at] = p;
                else list.Add(p);
            }
        }
        return (new StoredEntity(pk, rk, list, stamp, etag), etag);
    }

    /// <summary>
    /// One page of a query: up to <paramref name="top"/> entities from key (<paramref name="fromPk"/>, <paramref name="fromRk"/>)
    /// on that match, in key order, and the key of the next one (null: no more), as Azurite pages.
    /// </summary>
    internal (List<StoredEntity> Items, (string Pk, string Rk)? Next) Query(string table, ODataFilter? filter, int top, string? fromPk, string? fromRk)
    {
        var t = Table(table);
        var items = new List<StoredEntity>(Math.Min(top, 64));
        lock (t.Sync)
        {
            foreach (var e in t.Scan(filter?.Partition, fromPk, fromRk))
            {
                if (filter is not null && !filter.Matches(e.Property)) continue;
                if (items.Count == top) return (items, (e.PartitionKey, e.RowKey));
                items.Add(e);
            }
        }
        return (items, null);
    }

    internal static int PageSize(int? hint) => hint switch
    {
        null or > MaxPageSize => MaxPageSize,
        < 1 => throw StoreException.InvalidInput("The value of $top must be a positive number."),
        _ => hint.Value,
    };

    internal static string EncodeKey(string key) => Convert.ToBase64String(Encoding.UTF8.GetBytes(key));

    internal static string DecodeKey(string token)
    {
        try { return Encoding.UTF8.GetString(Convert.FromBase64String(token)); }
        catch (FormatException) { throw StoreException.InvalidInput("The continuation token is not valid."); }
    }

    /// <summary>A transaction that failed at an action.</summary>
    internal sealed class TransactionException(int index, StoreException error) : Exception(error.Message, error)
    {
        public int Index { get; } = index;
        public StoreException Error { get; } = error;
    }

    /// <summary>One table: partitions in PartitionKey order, rows in RowKey order (ordinal, as the service sorts).</summary>
    private sealed class MemoryTable(string name)
    {
        public readonly Lock Sync = new();
        public readonly string Name = name;
        private readonly SortedDictionary<string, SortedDictionary<string, StoredEntity>> _partitions = new(StringComparer.Ordinal);

        public StoredEntity? Find(string pk, string rk) => _partitions.TryGetValue(pk, out var p) ? p.GetValueOrDefault(rk) : null;

        public void Set(string pk, string rk, StoredEntity? e)
        {
            if (e is null)
            {
                if (_partitions.TryGetValue(pk, out var p) && p.Remove(rk) && p.Count == 0) _partitions.Remove(pk);
                return;
            }
            if (!_partitions.TryGetValue(pk, out var rows)) _partitions[pk] = rows = new SortedDictionary<string, StoredEntity>(StringComparer.Ordinal);
            rows[rk] = e;
        }

        public IEnumerable<StoredEntity> All() => _partitions.Values.SelectMany(p => p.Values);

        /// <summary>Entities from key (fromPk, fromRk) on, of one partition if <paramref name="only"/> is given.</summary>
        public IEnumerable<StoredEntity> Scan(string? only, string? fromPk, string? fromRk)
        {
            IEnumerable<KeyValuePair<string, SortedDictionary<string, StoredEntity>>> partitions = only is null
                ? _partitions
                : _partitions.TryGetValue(only, out var one) ? [new(only, one)] : [];
            foreach (var (pk, rows) in partitions)
            {
                if (fromPk is not null && string.CompareOrdinal(pk, fromPk) < 0) continue;
                var samePartition = fromPk is not null && fromRk is not null && pk == fromPk;
                foreach (var (rk, e) in rows)
                {
                    if (samePartition && string.CompareOrdinal(rk, fromRk) < 0) continue;
                    yield return e;
                }
            }
        }
    }
}

/// <summary>An entity as stored: keys, properties in the service's order (Timestamp among them), timestamp and ETag. Immutable.</summary>
internal sealed class StoredEntity(string partitionKey, string rowKey, IReadOnlyList<KeyValuePair<string, object>> properties, DateTimeOffset timestamp, string etag)
{
    public string PartitionKey { get; } = partitionKey;
    public string RowKey { get; } = rowKey;
    public IReadOnlyList<KeyValuePair<string, object>> Properties { get; } = properties;
    public DateTimeOffset Timestamp { get; } = timestamp;
    public string ETag { get; } = etag;

    /// <summary>A property's value for a filter (the keys and Timestamp included); null when absent.</summary>
    public object? Property(string name) => name switch
    {
        EntityValues.PartitionKeyName => PartitionKey,
        EntityValues.RowKeyName => RowKey,
        _ => Find(name),
    };

    private object? Find(string name)
    {
        foreach (var (k, v) in Properties)
            if (k == name) return v;
        return null;
    }

    /// <summary>
    /// What the service returns: the ETag, the keys, then the properties in stored order; with a projection only the
    /// selected ones (keys and Timestamp included only if selected), the ETag always (as Azurite answers a <c>$select</c>).
    /// </summary>
    public List<KeyValuePair<string, object>> Values(IReadOnlySet<string>? select)
    {
        var list = new List<KeyValuePair<string, object>>(Properties.Count + 3) { new(EntityValues.ETagKey, ETag) };
        if (select is null || select.Contains(EntityValues.PartitionKeyName)) list.Add(new(EntityValues.PartitionKeyName, PartitionKey));
        if (select is null || select.Contains(EntityValues.RowKeyName)) list.Add(new(EntityValues.RowKeyName, RowKey));
        foreach (var p in Properties)
            if (select is null || select.Contains(p.Key)) list.Add(p);
        return list;
    }
}
