using Azure;
using Azure.Data.Tables;

namespace Gateway.Storage.InMemory;

/// <summary>What kind of request an in-memory table operation stands for (one round-trip each).</summary>
public enum TableOperationKind
{
    /// <summary>Create a table (<c>CreateTable…</c>, <c>CreateIfNotExists…</c>).</summary>
    CreateTable,
    /// <summary>Delete a table.</summary>
    DeleteTable,
    /// <summary>A point read (<c>GetEntity…</c>, <c>GetEntityIfExists…</c>).</summary>
    Get,
    /// <summary>One page of a query (each page is one round-trip).</summary>
    Query,
    /// <summary><c>AddEntity…</c>.</summary>
    Add,
    /// <summary><c>UpdateEntity…</c> with <see cref="TableUpdateMode.Replace"/>.</summary>
    UpdateReplace,
    /// <summary><c>UpdateEntity…</c> with <see cref="TableUpdateMode.Merge"/>.</summary>
    UpdateMerge,
    /// <summary><c>UpsertEntity…</c> with <see cref="TableUpdateMode.Replace"/>.</summary>
    UpsertReplace,
    /// <summary><c>UpsertEntity…</c> with <see cref="TableUpdateMode.Merge"/>.</summary>
    UpsertMerge,
    /// <summary><c>DeleteEntity…</c>.</summary>
    Delete,
    /// <summary>An entity-group transaction (<c>SubmitTransaction…</c>).</summary>
    Transaction,
}

/// <summary>
/// One request to the in-memory table service, as <see cref="IStorageFaults"/> sees it.
/// </summary>
/// <param name="Table">The table name as the client was given it.</param>
/// <param name="Kind">The kind of request.</param>
/// <param name="PartitionKey">The entity's (or the transaction's first action's) partition; for a query the partition its
/// filter pins with a top-level <c>PartitionKey eq …</c>, else null (a scan); null for table operations.</param>
/// <param name="RowKeys">The row keys written or read (one per transaction action, in order); empty for queries and tables.</param>
/// <param name="IsWrite">Whether the request changes the store when it succeeds.</param>
/// <param name="Name">The round-trip's name as <see cref="StorageRoundTripCounter"/> counts it ("Settlements batch", "Members query", …).</param>
/// <param name="Filter">A query's OData filter (null: every entity); null for other kinds.</param>
/// <param name="Actions">A transaction's action types, in order; empty for other kinds.</param>
public sealed record TableOperation(
    string Table,
    TableOperationKind Kind,
    string? PartitionKey,
    IReadOnlyList<string> RowKeys,
    bool IsWrite,
    string Name,
    string? Filter,
    IReadOnlyList<TableTransactionActionType> Actions);

/// <summary>
/// The fault hook of <see cref="InMemoryTableStore"/>: called around every request (every page of a query included),
/// outside the store's locks, so an implementation may await (yield to a deterministic scheduler, say) and may throw.
/// <list type="bullet">
/// <item><see cref="BeforeAsync"/> throwing: the request never reached the store; nothing changed, nothing was counted
/// (a crash before the write, a connection refused, a 503 or a 412 the caller should see).</item>
/// <item><see cref="AfterAsync"/> throwing: the request took effect (if it succeeded, its write is committed and visible)
/// but the caller gets the exception instead of the answer (a crash or a timeout after the write).</item>
/// </list>
/// There is no retry policy in memory: what the hook throws is what the caller sees, as after the SDK's retries gave up.
/// <see cref="TableFaults"/> makes the exceptions the real client throws.
/// </summary>
public interface IStorageFaults
{
    /// <summary>Before the request is applied. Throw to fail it without effect.</summary>
    ValueTask BeforeAsync(TableOperation operation, CancellationToken cancellationToken);

    /// <summary>
    /// After the request was applied: <paramref name="status"/> is the service's answer (204, 200, 202 for a transaction,
    /// or the failure's status: 404, 409, 412, …). Throw to make the caller see a failure although a write committed.
    /// </summary>
    ValueTask AfterAsync(TableOperation operation, int status, CancellationToken cancellationToken);
}

/// <summary>The exceptions the Azure SDK client throws for faults, for an <see cref="IStorageFaults"/> to throw.</summary>
public static class TableFaults
{
    /// <summary>503 ServerBusy (what a throttled or unavailable service answers, once the retries are exhausted).</summary>
    public static RequestFailedException ServerBusy() =>
        new(503, "The server is busy.", "ServerBusy", null);

    /// <summary>500 OperationTimedOut (the service did not finish in time; a write may or may not have happened).</summary>
    public static RequestFailedException OperationTimedOut() =>
        new(500, "Operation could not be completed within the specified time.", "OperationTimedOut", null);

    /// <summary>408 Request Timeout.</summary>
    public static RequestFailedException RequestTimeout() =>
        new(408, "The request timed out.", "OperationTimedOut", null);

    /// <summary>
    /// No answer at all (connection reset, client-side timeout): status 0, as Azure.Core reports a transport failure;
    /// after the pipeline's retries (<paramref name="attempts"/> of them) it throws an <see cref="AggregateException"/> of them.
    /// </summary>
    public static Exception NoResponse(int attempts = 1)
    {
        RequestFailedException One() => new(0, "Connection reset by peer.", null, new IOException("Connection reset by peer."));
        return attempts <= 1 ? One() : new AggregateException($"Retry failed after {attempts} tries.", Enumerable.Range(0, attempts).Select(_ => One()));
    }

    /// <summary>
    /// A conflict as the service reports it for <paramref name="operation"/>: 412 UpdateConditionNotSatisfied (or 409
    /// EntityAlreadyExists with <paramref name="status"/> 409); a <see cref="TableTransactionFailedException"/> naming
    /// action <paramref name="actionIndex"/> for a transaction.
    /// </summary>
    public static RequestFailedException Conflict(TableOperation operation, int status = 412, int actionIndex = 0)
    {
        var (code, message) = status == 409
            ? ("EntityAlreadyExists", "The specified entity already exists.")
            : ("UpdateConditionNotSatisfied", "The update condition specified in the request was not satisfied.");
        if (operation.Kind != TableOperationKind.Transaction) return new RequestFailedException(status, message, code, null);
        var inner = new RequestFailedException(status, $"{actionIndex}:{message}", code, null);
        inner.Data[InMemoryErrors.FailedEntityKey] = actionIndex.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new TableTransactionFailedException(inner);
    }
}
