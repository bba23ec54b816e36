using Azure.Core;
using Azure.Data.Tables;

namespace Gateway.Storage;

/// <summary>
/// The table clients the gateway uses, long-lived and thread-safe, sharing one pipeline policy that counts
/// round-trips. Table names are fixed (docs/design.md); <see cref="EnsureCreatedAsync"/> creates them. Spent nonces
/// have no table of their own: they are rows of the hospital's partition of Settlements (SettlementStore).
/// </summary>
public sealed class GatewayStorage
{
    public const string SettlementsTable = "Settlements";
    public const string MembersTable = "Members";
    public const string AccumulatorsTable = "Accumulators";
    public const string LedgerTable = "Ledger";
    public const string PeriodsTable = "Periods";
    /// <summary>Hospitals' online filings (秒备案) as the gateway holds them: status, and the home region's answer.</summary>
    public const string FilingsTable = "Filings";
    /// <summary>Stays opened through the national interface (2401/2201): one partition per stay, its row and its fee lines.</summary>
    public const string StaysTable = "Stays";
    /// <summary>National messages answered, by hospital and msgid (idempotency of the national interface).</summary>
    public const string NationalMessagesTable = "NationalMessages";

    /// <summary>Traceability codes (追溯码) held nationally, partitioned by code (spec §10.1, TraceCodeStore).</summary>
    public const string TraceCodesTable = "TraceCodes";
    /// <summary>Post-settlement review (事后审核, spec §10.3): flagged settlements per home region and the decisions on them.</summary>
    public const string ReviewsTable = "Reviews";

    public static readonly string[] AllTables = [SettlementsTable, MembersTable, AccumulatorsTable, LedgerTable, PeriodsTable, FilingsTable, StaysTable, NationalMessagesTable, TraceCodesTable, ReviewsTable];

    public GatewayStorage(string connectionString, StorageRoundTripCounter? counter = null, FaultInjectionPolicy? faults = null, StorageRetry? retry = null,
        StoragePressure? pressure = null)
    {
        Counter = counter ?? new StorageRoundTripCounter();
        Pressure = pressure ?? new StoragePressure();
        var options = new TableClientOptions();
        options.AddPolicy(Counter, HttpPipelinePosition.PerRetry);
        options.AddPolicy(Pressure, HttpPipelinePosition.PerRetry);
        if (faults is not null) options.AddPolicy(faults, HttpPipelinePosition.PerCall);
        retry ??= StorageRetry.Default;
        options.Retry.MaxRetries = retry.MaxRetries;
        options.Retry.Delay = TimeSpan.FromMilliseconds(100);
        options.Retry.NetworkTimeout = retry.NetworkTimeout;
        Service = new TableServiceClient(connectionString, options);
    }

    /// <summary>Over a given service client (the simulator's yielding decorator of the in-memory tables); round-trips are counted by that client, if at all.</summary>
    public GatewayStorage(TableServiceClient service, StorageRoundTripCounter? counter = null)
    {
        Counter = counter ?? new StorageRoundTripCounter();
        Service = service;
    }

    /// <summary>
    /// Over an in-memory account instead (the simulator, tests): the same stores on <see cref="InMemory.InMemoryTableStore"/>,
    /// each request one round-trip on the service's counter, named as over HTTP.
    /// </summary>
    public GatewayStorage(InMemory.InMemoryTableServiceClient service)
    {
        Counter = service.Counter;
        Service = service;
    }

    /// <summary>A client of <paramref name="store"/> (one process of several sharing the account), counting on <paramref name="counter"/>.</summary>
    public static GatewayStorage InMemory(InMemory.InMemoryTableStore store, StorageRoundTripCounter? counter = null, InMemory.IStorageFaults? faults = null) =>
        new(new InMemory.InMemoryTableServiceClient(store, counter, faults));

    public StorageRoundTripCounter Counter { get; }

    /// <summary>How hard the store is pressed (in flight, latency, last failure): what intake admission reads. Idle for the in-memory backends.</summary>
    public StoragePressure Pressure { get; } = new();

    public TableServiceClient Service { get; }

    public TableClient Table(string name) => Service.GetTableClient(name);

    public async Task EnsureCreatedAsync(CancellationToken ct = default)
    {
        foreach (var t in AllTables) await Service.CreateTableIfNotExistsAsync(t, ct).ConfigureAwait(false);
    }
}
