using System.Globalization;
using System.Linq.Expressions;
using Azure;
using Azure.Data.Tables;
using Azure.Data.Tables.Models;
using static Gateway.Storage.InMemory.InMemoryTableStore;

namespace Gateway.Storage.InMemory;

/// <summary>
/// A <see cref="TableClient"/> over one table of an <see cref="InMemoryTableStore"/>, sync and async, with the answers
/// the SDK gives against Azurite 3.37 (see InMemoryTablesConformanceTests):
/// <list type="bullet">
/// <item>Writes answer 204 with the new ETag; Add of an existing key throws 409 EntityAlreadyExists; Update (Replace or
/// Merge, an ETag or <see cref="ETag.All"/>) of a missing entity 404 ResourceNotFound; an ETag that no longer matches
/// 412 UpdateConditionNotSatisfied; a malformed one 400; Upsert creates. Merge keeps the properties it does not name;
/// a null property is not stored (and leaves a merged one as it was).</item>
/// <item>DeleteEntity of a missing entity returns the 404 response (the SDK does not throw for it); a stale ETag throws 412.</item>
/// <item>GetEntity of a missing entity throws 404; GetEntityIfExists answers no value (the 404 response).</item>
/// <item>An operation on a missing table throws 404 TableNotFound (GetEntityIfExists and DeleteEntity answer it).</item>
/// <item>Transactions: at most 100 actions, one partition, one action per row, all or nothing; a failure throws
/// <see cref="TableTransactionFailedException"/> with the failed action's index and status; success answers 202 and one
/// 204 response per action, in order, with its ETag (none for a delete). An Update action without an ETag is an upsert
/// (the SDK sends no If-Match), a Delete action without one is unconditional.</item>
/// <item>Queries: key order (PartitionKey, then RowKey, ordinal), pages of at most 1000 (or the page size asked), the
/// continuation token the SDK builds from the service's next keys (base64 PartitionKey, a space, base64 RowKey); each page
/// is read when it is reached. A LINQ filter is turned into OData by the SDK's own binder, as the real client does.
/// <c>select</c> returns only the properties named (and the ETag).</item>
/// </list>
/// </summary>
public class InMemoryTableClient : TableClient
{
    private readonly InMemoryTableServiceClient _service;
    private readonly string _name;

    internal InMemoryTableClient(InMemoryTableServiceClient service, string name)
    {
        _service = service;
        _name = name;
    }

    private InMemoryTableStore Store => _service.Store;


    public override string Name => _name;

    public override string AccountName => Store.AccountName;

    public override Uri Uri => new(_service.Uri, _name);

    // ---- the request runner: faults before, the round-trip, the store, faults after, the SDK's exception ----

    private TableOperation Operation(TableOperationKind kind, string kindName, string? pk, IReadOnlyList<string> rowKeys, bool write,
        string? filter = null, IReadOnlyList<TableTransactionActionType>? actions = null) =>
        new(_name, kind, pk, rowKeys, write, kindName == "table create" ? kindName : $"{_name} {kindName}", filter, actions ?? []);

    private async ValueTask<T> Run<T>(bool async, TableOperation op, Func<(T Value, int Status)> apply, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var faults = _service.Faults;
        if (faults is not null) await Wait(async, faults.BeforeAsync(op, ct)).ConfigureAwait(false);
        _service.Counter.Record(op.Name);
        var value = default(T)!;
        int status;
        Exception? failure = null;
        try
        {
            (value, status) = apply();
        }
        catch (StoreException e)
        {
            status = e.Status;
            failure = InMemoryErrors.ToRequestFailed(e, Store);
        }
        catch (TransactionException e)
        {
            status = e.Error.Status;
            failure = InMemoryErrors.ToTransactionFailed(e.Error, e.Index);
        }
        if (faults is not null) await Wait(async, faults.AfterAsync(op, status, ct)).ConfigureAwait(false);
        if (failure is not null) throw failure;
        return value;
    }

    private static async ValueTask Wait(bool async, ValueTask task)
    {
        if (async) await task.ConfigureAwait(false);
        else task.AsTask().GetAwaiter().GetResult();
    }

    private Response Answer(int status, params (string Name, string Value)[] headers) => InMemoryResponse.Create(Store, status, headers);

    private Response NotFoundAnswer(StoreException e) => InMemoryErrors.ErrorResponse(e, Store, isError: false);

    // ---- tables ----

    /// <summary>Creates the table: Create answers 201, CreateIfNotExists 204 (or 409, returned, when the table exists).</summary>
    internal async ValueTask<Response<TableItem>> CreateCore(bool async, bool ifNotExists, CancellationToken ct) =>
        await Run(async, Operation(TableOperationKind.CreateTable, "table create", null, [], true), () =>
        {
            var status = ifNotExists ? 204 : 201;
            if (Store.CreateTable(_name)) return (Response.FromValue(new TableItem(_name), Answer(status)), status);
            if (!ifNotExists) throw StoreException.TableAlreadyExists();
            return (Response.FromValue(new TableItem(_name), NotFoundAnswer(StoreException.TableAlreadyExists())), 409);
        }, ct).ConfigureAwait(false);

    internal async ValueTask<Response> DeleteCore(bool async, CancellationToken ct) =>
        await Run(async, Operation(TableOperationKind.DeleteTable, "table create", null, [], true), () =>
            Store.DeleteTable(_name) ? (Answer(204), 204) : (NotFoundAnswer(StoreException.TableNotFound()), 404), ct).ConfigureAwait(false);

    public override Response<TableItem> Create(CancellationToken cancellationToken = default) => CreateCore(false, false, cancellationToken).GetAwaiter().GetResult();
    public override async Task<Response<TableItem>> CreateAsync(CancellationToken cancellationToken = default) => await CreateCore(true, false, cancellationToken).ConfigureAwait(false);
    public override Response<TableItem> CreateIfNotExists(CancellationToken cancellationToken = default) => CreateCore(false, true, cancellationToken).GetAwaiter().GetResult();
    public override async Task<Response<TableItem>> CreateIfNotExistsAsync(CancellationToken cancellationToken = default) => await CreateCore(true, true, cancellationToken).ConfigureAwait(false);
    public override Response Delete(CancellationToken cancellationToken = default) => DeleteCore(false, cancellationToken).GetAwaiter().GetResult();
    public override async Task<Response> DeleteAsync(CancellationToken cancellationToken = default) => await DeleteCore(true, cancellationToken).ConfigureAwait(false);

    // ---- point reads ----

    private static IReadOnlySet<string>? Selection(IEnumerable<string>? select)
    {
        if (select is null) return null;
        var names = string.Join(",", select).Split(',').Select(s => s.Trim()).Where(s => s.Length > 0).ToHashSet(StringComparer.Ordinal);
        return names.Count == 0 ? null : names;
    }

    private async ValueTask<NullableResponse<T>> GetCore<T>(bool async, string partitionKey, string rowKey, IEnumerable<string>? select, bool throwIfMissing, CancellationToken ct)
        where T : class, ITableEntity
    {
        ArgumentNullException.ThrowIfNull(partitionKey);
        ArgumentNullException.ThrowIfNull(rowKey);
        var selection = Selection(select);
        return await Run<NullableResponse<T>>(async, Operation(TableOperationKind.Get, "read", partitionKey, [rowKey], false), () =>
        {
            StoredEntity? e;
            try
            {
                e = Store.Get(_name, partitionKey, rowKey) ?? throw StoreException.EntityNotFound();
            }
            catch (StoreException x) when (!throwIfMissing && x.Status == 404)
            {
                return (new NoValueResponse<T>(NotFoundAnswer(x)), 404);
            }
            var raw = Answer(200, ("ETag", e.ETag), ("Content-Type", "application/json;odata=minimalmetadata;streaming=true;charset=utf-8"));
            return (Response.FromValue(EntityValues.ToEntity<T>(e.Values(selection)), raw), 200);
        }, ct).ConfigureAwait(false);
    }

    public override Response<T> GetEntity<T>(string partitionKey, string rowKey, IEnumerable<string>? select = null, CancellationToken cancellationToken = default) =>
        (Response<T>)GetCore<T>(false, partitionKey, rowKey, select, true, cancellationToken).GetAwaiter().GetResult();

    public override async Task<Response<T>> GetEntityAsync<T>(string partitionKey, string rowKey, IEnumerable<string>? select = null, CancellationToken cancellationToken = default) =>
        (Response<T>)await GetCore<T>(true, partitionKey, rowKey, select, true, cancellationToken).ConfigureAwait(false);

    public override NullableResponse<T> GetEntityIfExists<T>(string partitionKey, string rowKey, IEnumerable<string>? select = null, CancellationToken cancellationToken = default) =>
        GetCore<T>(false, partitionKey, rowKey, select, false, cancellationToken).GetAwaiter().GetResult();

    public override async Task<NullableResponse<T>> GetEntityIfExistsAsync<T>(string partitionKey, string rowKey, IEnumerable<string>? select = null, CancellationToken cancellationToken = default) =>
        await GetCore<T>(true, partitionKey, rowKey, select, false, cancellationToken).ConfigureAwait(false);

    // ---- single-entity writes ----

    /// <summary>What the SDK sends for an entity (checked and converted before anything is sent, as the SDK does).</summary>
    private static Write Prepare(TableTransactionActionType kind, ITableEntity entity, string? ifMatch)
    {
        ArgumentNullException.ThrowIfNull(entity);
        if (entity.PartitionKey is null) throw new ArgumentNullException(nameof(entity.PartitionKey));
        if (entity.RowKey is null) throw new ArgumentNullException(nameof(entity.RowKey));
        var properties = kind == TableTransactionActionType.Delete ? [] : EntityValues.Properties(entity);
        return new Write(kind, entity.PartitionKey, entity.RowKey, properties, ifMatch);
    }

    private async ValueTask<Response> WriteCore(bool async, Write w, TableOperationKind kind, string kindName, CancellationToken ct) =>
        await Run(async, Operation(kind, kindName, w.PartitionKey, [w.RowKey], true), () =>
        {
            var etag = Store.Apply(_name, w);
            return (etag is null ? Answer(204) : Answer(204, ("ETag", etag)), 204);
        }, ct).ConfigureAwait(false);

    private ValueTask<Response> AddCore<T>(bool async, T entity, CancellationToken ct) where T : ITableEntity =>
        WriteCore(async, Prepare(TableTransactionActionType.Add, entity, null), TableOperationKind.Add, "insert", ct);

    public override Response AddEntity<T>(T entity, CancellationToken cancellationToken = default) => AddCore(false, entity, cancellationToken).GetAwaiter().GetResult();
    public override async Task<Response> AddEntityAsync<T>(T entity, CancellationToken cancellationToken = default) => await AddCore(true, entity, cancellationToken).ConfigureAwait(false);

    private ValueTask<Response> UpsertCore<T>(bool async, T entity, TableUpdateMode mode, CancellationToken ct) where T : ITableEntity =>
        mode switch
        {
            TableUpdateMode.Replace => WriteCore(async, Prepare(TableTransactionActionType.UpsertReplace, entity, null), TableOperationKind.UpsertReplace, "upsert", ct),
            TableUpdateMode.Merge => WriteCore(async, Prepare(TableTransactionActionType.UpsertMerge, entity, null), TableOperationKind.UpsertMerge, "upsert-merge", ct),
            _ => throw new ArgumentException($"Unexpected value for {nameof(mode)}: {mode}"),
        };

    public override Response UpsertEntity<T>(T entity, TableUpdateMode mode = TableUpdateMode.Merge, CancellationToken cancellationToken = default) =>
        UpsertCore(false, entity, mode, cancellationToken).GetAwaiter().GetResult();

    public override async Task<Response> UpsertEntityAsync<T>(T entity, TableUpdateMode mode = TableUpdateMode.Merge, CancellationToken cancellationToken = default) =>
        await UpsertCore(true, entity, mode, cancellationToken).ConfigureAwait(false);

    private ValueTask<Response> UpdateCore<T>(bool async, T entity, ETag ifMatch, TableUpdateMode mode, CancellationToken ct) where T : ITableEntity
    {
        if (ifMatch == default) throw new ArgumentException("Value cannot be empty.", nameof(ifMatch));
        var conditional = ifMatch != ETag.All; // the round-trip counter names an unconditional update an upsert (If-Match: *)
        return mode switch
        {
            TableUpdateMode.Replace => WriteCore(async, Prepare(TableTransactionActionType.UpdateReplace, entity, ifMatch.ToString()), TableOperationKind.UpdateReplace, conditional ? "update" : "upsert", ct),
            TableUpdateMode.Merge => WriteCore(async, Prepare(TableTransactionActionType.UpdateMerge, entity, ifMatch.ToString()), TableOperationKind.UpdateMerge, conditional ? "merge" : "upsert-merge", ct),
            _ => throw new ArgumentException($"Unexpected value for {nameof(mode)}: {mode}"),
        };
    }

    public override Response UpdateEntity<T>(T entity, ETag ifMatch, TableUpdateMode mode = TableUpdateMode.Merge, CancellationToken cancellationToken = default) =>
        UpdateCore(false, entity, ifMatch, mode, cancellationToken).GetAwaiter().GetResult();

    public override async Task<Response> UpdateEntityAsync<T>(T entity, ETag ifMatch, TableUpdateMode mode = TableUpdateMode.Merge, CancellationToken cancellationToken = default) =>
        await UpdateCore(true, entity, ifMatch, mode, cancellationToken).ConfigureAwait(false);

    private async ValueTask<Response> DeleteEntityCore(bool async, string partitionKey, string rowKey, ETag ifMatch, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(partitionKey);
        ArgumentNullException.ThrowIfNull(rowKey);
        var w = new Write(TableTransactionActionType.Delete, partitionKey, rowKey, [], ifMatch == default ? "*" : ifMatch.ToString());
        return await Run(async, Operation(TableOperationKind.Delete, "delete", partitionKey, [rowKey], true), () =>
        {
            try
            {
                Store.Apply(_name, w);
                return (Answer(204), 204);
            }
            catch (StoreException e) when (e.Status == 404)
            {
                return (InMemoryErrors.ErrorResponse(e, Store, isError: true), 404); // the SDK returns a delete's 404 (an error) rather than throwing it
            }
        }, ct).ConfigureAwait(false);
    }

    public override Response DeleteEntity(string partitionKey, string rowKey, ETag ifMatch = default, CancellationToken cancellationToken = default) =>
        DeleteEntityCore(false, partitionKey, rowKey, ifMatch, cancellationToken).GetAwaiter().GetResult();

    public override async Task<Response> DeleteEntityAsync(string partitionKey, string rowKey, ETag ifMatch = default, CancellationToken cancellationToken = default) =>
        await DeleteEntityCore(true, partitionKey, rowKey, ifMatch, cancellationToken).ConfigureAwait(false);

    public override Response DeleteEntity(ITableEntity entity, ETag ifMatch = default, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entity);
        return DeleteEntityCore(false, entity.PartitionKey, entity.RowKey, ifMatch, cancellationToken).GetAwaiter().GetResult();
    }

    public override async Task<Response> DeleteEntityAsync(ITableEntity entity, ETag ifMatch = default, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entity);
        return await DeleteEntityCore(true, entity.PartitionKey, entity.RowKey, ifMatch, cancellationToken).ConfigureAwait(false);
    }

    // ---- transactions ----

    private async ValueTask<Response<IReadOnlyList<Response>>> TransactionCore(bool async, IEnumerable<TableTransactionAction> transactionActions, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(transactionActions);
        var actions = transactionActions.ToList();
        if (actions.Count == 0) throw new InvalidOperationException("The batch contains no entity operations.");
        var writes = actions.Select(a => a.ActionType switch
        {
            TableTransactionActionType.Delete => Prepare(a.ActionType, a.Entity, a.ETag == default ? "*" : a.ETag.ToString()),
            TableTransactionActionType.UpdateReplace or TableTransactionActionType.UpdateMerge => Prepare(a.ActionType, a.Entity, a.ETag == default ? null : a.ETag.ToString()),
            TableTransactionActionType.Add or TableTransactionActionType.UpsertReplace or TableTransactionActionType.UpsertMerge => Prepare(a.ActionType, a.Entity, null),
            _ => throw new InvalidOperationException("Unknown request type."),
        }).ToList();
        var op = Operation(TableOperationKind.Transaction, "batch", writes[0].PartitionKey, writes.Select(w => w.RowKey).ToList(), true,
            actions: actions.Select(a => a.ActionType).ToList());
        return await Run(async, op, () =>
        {
            var etags = Store.Apply(_name, writes);
            IReadOnlyList<Response> responses = etags.Select(e => e is null ? Answer(204) : Answer(204, ("ETag", e))).ToList();
            return (Response.FromValue(responses, Answer(202, ("Content-Type", "multipart/mixed; boundary=batchresponse_memory"))), 202);
        }, ct).ConfigureAwait(false);
    }

    public override Response<IReadOnlyList<Response>> SubmitTransaction(IEnumerable<TableTransactionAction> transactionActions, CancellationToken cancellationToken = default) =>
        TransactionCore(false, transactionActions, cancellationToken).GetAwaiter().GetResult();

    public override async Task<Response<IReadOnlyList<Response>>> SubmitTransactionAsync(IEnumerable<TableTransactionAction> transactionActions, CancellationToken cancellationToken = default) =>
        await TransactionCore(true, transactionActions, cancellationToken).ConfigureAwait(false);

    // ---- queries ----

    private Func<string?, int?, CancellationToken, ValueTask<Page<T>>> Pages<T>(bool async, string? filter, IEnumerable<string>? select)
        where T : class, ITableEntity
    {
        var selection = Selection(select);
        ODataFilter? parsed = null;
        StoreException? invalid = null;
        if (!string.IsNullOrEmpty(filter))
        {
            try { parsed = ODataFilter.Parse(filter); }
            catch (Exception e) when (e is FormatException or OverflowException) { invalid = StoreException.InvalidInput("The query condition specified in the request is invalid."); }
        }
        var kindName = filter?.Contains("PartitionKey eq ", StringComparison.Ordinal) == true ? "query" : "scan";
        var op = Operation(TableOperationKind.Query, kindName, parsed?.Partition, [], false, filter);
        return async (token, pageSize, ct) => await Run<Page<T>>(async, op, () =>
        {
            if (invalid is not null) throw invalid;
            var (fromPk, fromRk) = ParseContinuation(token);
            var (items, next) = Store.Query(_name, parsed, PageSize(pageSize), fromPk, fromRk);
            var headers = next is { } n
                ? new[] { ("x-ms-continuation-NextPartitionKey", EncodeKey(n.Pk)), ("x-ms-continuation-NextRowKey", EncodeKey(n.Rk)) }
                : [];
            var values = items.Select(e => EntityValues.ToEntity<T>(e.Values(selection))).ToList();
            var continuation = next is { } k ? $"{EncodeKey(k.Pk)} {EncodeKey(k.Rk)}" : null;
            return (Page<T>.FromValues(values, continuation, Answer(200, headers)), 200);
        }, ct).ConfigureAwait(false);
    }

    /// <summary>The SDK's reading of its continuation token: "{next partition} {next row}", each as the service encoded it.</summary>
    private static (string? Pk, string? Rk) ParseContinuation(string? token)
    {
        if (token is null || token.Length <= 1) return (null, null);
        var parts = token.Split(' ', 2);
        return (DecodeKey(parts[0]), parts.Length > 1 && parts[1].Length > 0 ? DecodeKey(parts[1]) : null);
    }

    public override AsyncPageable<T> QueryAsync<T>(string? filter = null, int? maxPerPage = null, IEnumerable<string>? select = null, CancellationToken cancellationToken = default) =>
        new InMemoryAsyncPageable<T>(Pages<T>(true, filter, select), maxPerPage, cancellationToken);

    public override Pageable<T> Query<T>(string? filter = null, int? maxPerPage = null, IEnumerable<string>? select = null, CancellationToken cancellationToken = default) =>
        new InMemoryPageable<T>(Pages<T>(false, filter, select), maxPerPage, cancellationToken);

    public override AsyncPageable<T> QueryAsync<T>(Expression<Func<T, bool>> filter, int? maxPerPage = null, IEnumerable<string>? select = null, CancellationToken cancellationToken = default) =>
        QueryAsync<T>(CreateQueryFilter(filter), maxPerPage, select, cancellationToken);

    public override Pageable<T> Query<T>(Expression<Func<T, bool>> filter, int? maxPerPage = null, IEnumerable<string>? select = null, CancellationToken cancellationToken = default) =>
        Query<T>(CreateQueryFilter(filter), maxPerPage, select, cancellationToken);

    // ---- not supported ----

    private static NotSupportedException NotSupported(string member) => new($"{member} is not supported by the in-memory table service.");

    public override Response<IReadOnlyList<TableSignedIdentifier>> GetAccessPolicies(CancellationToken cancellationToken = default) => throw NotSupported("Access policies");
    public override Task<Response<IReadOnlyList<TableSignedIdentifier>>> GetAccessPoliciesAsync(CancellationToken cancellationToken = default) => throw NotSupported("Access policies");
    public override Response SetAccessPolicy(IEnumerable<TableSignedIdentifier> tableAcl, CancellationToken cancellationToken = default) => throw NotSupported("Access policies");
    public override Task<Response> SetAccessPolicyAsync(IEnumerable<TableSignedIdentifier> tableAcl, CancellationToken cancellationToken = default) => throw NotSupported("Access policies");

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"in-memory table {_name}");
}
