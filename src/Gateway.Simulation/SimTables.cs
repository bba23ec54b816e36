using System.Linq.Expressions;
using Azure;
using Azure.Data.Tables;
using Azure.Data.Tables.Models;

namespace Gateway.Simulation;

/// <summary>
/// The processes' view of table storage: every operation of the in-memory tables goes through the scheduler first
/// (<see cref="Scheduler.YieldAsync"/>), which may interleave other processes' operations before it and inject a fault
/// around it. A planted bug (<see cref="IgnoreETagsOn"/>) turns conditional writes of one table into unconditional ones.
/// </summary>
public sealed class SimTableService(TableServiceClient inner, Scheduler scheduler) : TableServiceClient
{
    /// <summary>Planted bug: conditional writes to these tables drop their ETag (a store that skips the check).</summary>
    public HashSet<string> IgnoreETagsOn { get; } = new(StringComparer.Ordinal);

    /// <summary>Writes that reached storage (the invariants, a function of storage, need checking only after one).</summary>
    public long Writes { get; internal set; }

    public override TableClient GetTableClient(string tableName) => new SimTableClient(inner.GetTableClient(tableName), tableName, scheduler, this);

    public override async Task<Response<TableItem>> CreateTableIfNotExistsAsync(string tableName, CancellationToken cancellationToken = default) =>
        await inner.CreateTableIfNotExistsAsync(tableName, cancellationToken).ConfigureAwait(false);
}

internal sealed class SimTableClient(TableClient inner, string table, Scheduler scheduler, SimTableService service) : TableClient
{
    public override string Name => table;

    private async Task<T> Op<T>(string what, bool write, Func<Task<T>> run)
    {
        var fault = await scheduler.YieldAsync($"{table}.{what}", write).ConfigureAwait(false);
        switch (fault)
        {
            case Fault.CrashBefore: throw new ProcessCrash($"before {table}.{what}");
            case Fault.TimeoutBefore: throw new RequestFailedException(408, "The operation timed out (simulated).", "OperationTimedOut", null);
        }
        var result = await run().ConfigureAwait(false);
        if (write) service.Writes++;
        switch (fault)
        {
            case Fault.CrashAfter: throw new ProcessCrash($"after {table}.{what}");
            case Fault.TimeoutAfter: throw new RequestFailedException(0, "The answer was lost (simulated): the operation committed.", "Timeout", null);
            case Fault.RetriedAfterCommit:
                service.Writes++;
                return await run().ConfigureAwait(false); // the SDK's retry of a request that had committed
        }
        return result;
    }

    private ETag Condition(ETag etag) => service.IgnoreETagsOn.Contains(table) ? ETag.All : etag;

    public override Task<Response<T>> GetEntityAsync<T>(string partitionKey, string rowKey, IEnumerable<string>? select = null, CancellationToken cancellationToken = default) =>
        Op($"get {partitionKey}/{rowKey}", false, () => inner.GetEntityAsync<T>(partitionKey, rowKey, select, cancellationToken));

    public override Task<NullableResponse<T>> GetEntityIfExistsAsync<T>(string partitionKey, string rowKey, IEnumerable<string>? select = null, CancellationToken cancellationToken = default) =>
        Op($"get {partitionKey}/{rowKey}", false, () => inner.GetEntityIfExistsAsync<T>(partitionKey, rowKey, select, cancellationToken));

    public override Task<Response> AddEntityAsync<T>(T entity, CancellationToken cancellationToken = default) =>
        Op($"add {entity.PartitionKey}/{entity.RowKey}", true, () => inner.AddEntityAsync(entity, cancellationToken));

    public override Task<Response> UpsertEntityAsync<T>(T entity, TableUpdateMode mode = TableUpdateMode.Merge, CancellationToken cancellationToken = default) =>
        Op($"upsert {entity.PartitionKey}/{entity.RowKey}", true, () => inner.UpsertEntityAsync(entity, mode, cancellationToken));

    public override Task<Response> UpdateEntityAsync<T>(T entity, ETag ifMatch, TableUpdateMode mode = TableUpdateMode.Merge, CancellationToken cancellationToken = default) =>
        Op($"update {entity.PartitionKey}/{entity.RowKey}", true, () => inner.UpdateEntityAsync(entity, Condition(ifMatch), mode, cancellationToken));

    public override Task<Response> DeleteEntityAsync(string partitionKey, string rowKey, ETag ifMatch = default, CancellationToken cancellationToken = default) =>
        Op($"delete {partitionKey}/{rowKey}", true, () => inner.DeleteEntityAsync(partitionKey, rowKey, ifMatch, cancellationToken));

    public override Task<Response<IReadOnlyList<Response>>> SubmitTransactionAsync(IEnumerable<TableTransactionAction> transactionActions, CancellationToken cancellationToken = default)
    {
        var actions = transactionActions.Select(a => new TableTransactionAction(a.ActionType, a.Entity, Condition(a.ETag))).ToList();
        var rows = string.Join(",", actions.Select(a => $"{a.ActionType}:{a.Entity.RowKey}"));
        return Op($"batch {actions.FirstOrDefault()?.Entity.PartitionKey}[{rows}]", true, () => inner.SubmitTransactionAsync(actions, cancellationToken));
    }

    public override AsyncPageable<T> QueryAsync<T>(string? filter = null, int? maxPerPage = null, IEnumerable<string>? select = null, CancellationToken cancellationToken = default) =>
        new Yielding<T>(inner.QueryAsync<T>(filter, maxPerPage, select, cancellationToken), this, $"query {filter}");

    public override AsyncPageable<T> QueryAsync<T>(Expression<Func<T, bool>> filter, int? maxPerPage = null, IEnumerable<string>? select = null, CancellationToken cancellationToken = default) =>
        new Yielding<T>(inner.QueryAsync(filter, maxPerPage, select, cancellationToken), this, $"query {filter}");

    public override async Task<Response<TableItem>> CreateIfNotExistsAsync(CancellationToken cancellationToken = default) =>
        await inner.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>A query whose every page fetch is a yield point (a fault fails the fetch).</summary>
    private sealed class Yielding<T>(AsyncPageable<T> pages, SimTableClient client, string what) : AsyncPageable<T> where T : notnull
    {
        public override async IAsyncEnumerable<Page<T>> AsPages(string? continuationToken = null, int? pageSizeHint = null)
        {
            await using var e = pages.AsPages(continuationToken, pageSizeHint).GetAsyncEnumerator();
            while (await client.Op(what, false, async () => await e.MoveNextAsync().ConfigureAwait(false)).ConfigureAwait(false))
                yield return e.Current;
        }
    }
}
