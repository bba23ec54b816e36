using Azure.Data.Tables;
using Gateway.Storage.InMemory;

namespace Gateway.Simulation;

/// <summary>The simulator's storage: Gateway.Storage's in-memory tables (ETags, entity-group transactions, OData queries).</summary>
internal static class InMemoryTables
{
    public static TableServiceClient Create(TimeProvider clock) => new InMemoryTableServiceClient(new InMemoryTableStore(clock));
}
