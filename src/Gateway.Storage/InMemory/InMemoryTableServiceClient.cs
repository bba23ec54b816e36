using System.Linq.Expressions;
using Azure;
using Azure.Data.Tables;
using Azure.Data.Tables.Models;

namespace Gateway.Storage.InMemory;

/// <summary>
/// A <see cref="TableServiceClient"/> over an <see cref="InMemoryTableStore"/>: the table operations the gateway uses,
/// with the SDK's results and exceptions. Each request is one round-trip on <see cref="Counter"/>, named as the HTTP
/// pipeline's counter names it. Other members (SAS, service properties, statistics, table listing) are not supported.
/// </summary>
public class InMemoryTableServiceClient : TableServiceClient
{
    private readonly IStorageFaults? _faults;

    /// <param name="store">The account.</param>
    /// <param name="counter">Counts this client's round-trips (a new one if null).</param>
    /// <param name="faults">This client's fault hook; null: the store's <see cref="InMemoryTableStore.Faults"/>.</param>
    public InMemoryTableServiceClient(InMemoryTableStore store, StorageRoundTripCounter? counter = null, IStorageFaults? faults = null)
    {
        Store = store;
        Counter = counter ?? new StorageRoundTripCounter();
        _faults = faults;
    }

    /// <summary>The account this client reads and writes.</summary>
    public InMemoryTableStore Store { get; }

    /// <summary>This client's round-trips.</summary>
    public StorageRoundTripCounter Counter { get; }

    /// <summary>The fault hook in force for this client's requests.</summary>
    internal IStorageFaults? Faults => _faults ?? Store.Faults;

    public override string AccountName => Store.AccountName;

    public override Uri Uri => new($"http://{Store.AccountName}.table.memory.invalid/");

    public override TableClient GetTableClient(string tableName)
    {
        ArgumentException.ThrowIfNullOrEmpty(tableName);
        return new InMemoryTableClient(this, tableName);
    }

    private InMemoryTableClient Client(string tableName) => (InMemoryTableClient)GetTableClient(tableName);

    public override Response<TableItem> CreateTable(string tableName, CancellationToken cancellationToken = default) =>
        Client(tableName).CreateCore(false, ifNotExists: false, cancellationToken).GetAwaiter().GetResult();

    public override async Task<Response<TableItem>> CreateTableAsync(string tableName, CancellationToken cancellationToken = default) =>
        await Client(tableName).CreateCore(true, ifNotExists: false, cancellationToken).ConfigureAwait(false);

    public override Response<TableItem> CreateTableIfNotExists(string tableName, CancellationToken cancellationToken = default) =>
        Client(tableName).CreateCore(false, ifNotExists: true, cancellationToken).GetAwaiter().GetResult();

    public override async Task<Response<TableItem>> CreateTableIfNotExistsAsync(string tableName, CancellationToken cancellationToken = default) =>
        await Client(tableName).CreateCore(true, ifNotExists: true, cancellationToken).ConfigureAwait(false);

    public override Response DeleteTable(string tableName, CancellationToken cancellationToken = default) =>
        Client(tableName).DeleteCore(false, cancellationToken).GetAwaiter().GetResult();

    public override async Task<Response> DeleteTableAsync(string tableName, CancellationToken cancellationToken = default) =>
        await Client(tableName).DeleteCore(true, cancellationToken).ConfigureAwait(false);

    private static NotSupportedException NotSupported(string member) => new($"{member} is not supported by the in-memory table service.");

    public override AsyncPageable<TableItem> QueryAsync(string? filter = null, int? maxPerPage = null, CancellationToken cancellationToken = default) => throw NotSupported("Listing tables");
    public override Pageable<TableItem> Query(string? filter = null, int? maxPerPage = null, CancellationToken cancellationToken = default) => throw NotSupported("Listing tables");
    public override AsyncPageable<TableItem> QueryAsync(FormattableString filter, int? maxPerPage = null, CancellationToken cancellationToken = default) => throw NotSupported("Listing tables");
    public override Pageable<TableItem> Query(FormattableString filter, int? maxPerPage = null, CancellationToken cancellationToken = default) => throw NotSupported("Listing tables");
    public override AsyncPageable<TableItem> QueryAsync(Expression<Func<TableItem, bool>> filter, int? maxPerPage = null, CancellationToken cancellationToken = default) => throw NotSupported("Listing tables");
    public override Pageable<TableItem> Query(Expression<Func<TableItem, bool>> filter, int? maxPerPage = null, CancellationToken cancellationToken = default) => throw NotSupported("Listing tables");
}
