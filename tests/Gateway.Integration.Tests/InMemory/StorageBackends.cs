using Gateway.Storage;
using Gateway.Storage.InMemory;
using Gateway.TestSupport;

namespace Gateway.Integration.Tests.InMemory;

/// <summary>Where a store-level test keeps its tables: the Azurite of its fixture, or an in-memory account.</summary>
public enum Backend
{
    Azurite,
    Memory,
}

/// <summary>
/// One storage account for one test: every <see cref="Storage"/> call is another process's client of the same account
/// (on Azurite: a new <see cref="GatewayStorage"/> on the connection string; in memory: a new client of one
/// <see cref="InMemoryTableStore"/>, fresh per test).
/// </summary>
public sealed class StorageBackend
{
    private readonly AzuriteFixture? _azurite;
    private readonly InMemoryTableStore? _memory;

    private StorageBackend(AzuriteFixture? azurite, InMemoryTableStore? memory)
    {
        _azurite = azurite;
        _memory = memory;
    }

    public static StorageBackend Open(Backend backend, AzuriteFixture azurite) =>
        backend == Backend.Azurite ? new StorageBackend(azurite, null) : new StorageBackend(null, new InMemoryTableStore(TimeProvider.System));

    public GatewayStorage Storage(StorageRoundTripCounter? counter = null) =>
        _memory is not null ? GatewayStorage.InMemory(_memory, counter) : new GatewayStorage(_azurite!.ConnectionString, counter);

    public override string ToString() => _memory is not null ? "memory" : "azurite";
}
