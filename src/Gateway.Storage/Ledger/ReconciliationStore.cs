using Azure.Data.Tables;

namespace Gateway.Storage;

/// <summary>Reconciliation results as run (JSON), newest first, for the clearing pages.</summary>
public sealed class ReconciliationStore(GatewayStorage storage, TimeProvider clock)
{
    private readonly TableClient _table = storage.Table(GatewayStorage.PeriodsTable);
    private const string Partition = "reconciliation";

    public async Task SaveAsync(string hospitalCode, string json, CancellationToken ct)
    {
        var inverted = (DateTimeOffset.MaxValue.UtcTicks - clock.GetUtcNow().UtcTicks).ToString("D19", System.Globalization.CultureInfo.InvariantCulture);
        await _table.UpsertEntityAsync(new TableEntity(Partition, $"{inverted}|{hospitalCode}") { ["Result"] = json }, TableUpdateMode.Replace, ct).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<string>> RecentAsync(int count, CancellationToken ct)
    {
        var list = new List<string>();
        await foreach (var e in _table.QueryAsync<TableEntity>(x => x.PartitionKey == Partition, maxPerPage: count, cancellationToken: ct).ConfigureAwait(false))
        {
            list.Add(e.GetString("Result"));
            if (list.Count >= count) break;
        }
        return list;
    }
}
