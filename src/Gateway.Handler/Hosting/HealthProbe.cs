using Azure.Data.Tables;

namespace Gateway.Handler.Hosting;

/// <summary>
/// Is the instance up: storage answers a one-row query within two seconds. The answer is kept five seconds, so a
/// health-check storm costs storage at most one query per instance per five seconds, and the probe uses its own table
/// client, so it is never counted in the app's storage round-trips.
/// </summary>
public sealed class HealthProbe(string storageConnection, TimeProvider clock)
{
    private static readonly TimeSpan Keep = TimeSpan.FromSeconds(5);
    private readonly TableServiceClient _tables = new(storageConnection, new TableClientOptions { Retry = { MaxRetries = 0, NetworkTimeout = TimeSpan.FromSeconds(2) } });
    private readonly SemaphoreSlim _one = new(1, 1);
    private (DateTimeOffset At, bool Up)? _last;

    public async Task<bool> IsUpAsync(CancellationToken ct)
    {
        if (_last is { } l && clock.GetUtcNow() - l.At < Keep) return l.Up;
        await _one.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_last is { } again && clock.GetUtcNow() - again.At < Keep) return again.Up;
            bool up;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(2));
                await foreach (var _ in _tables.GetTableClient(Gateway.Storage.GatewayStorage.PeriodsTable).QueryAsync<TableEntity>(maxPerPage: 1, select: ["PartitionKey"], cancellationToken: timeout.Token).ConfigureAwait(false))
                    break;
                up = true;
            }
            catch (Exception e) when (e is Azure.RequestFailedException or OperationCanceledException or HttpRequestException or AggregateException && !ct.IsCancellationRequested)
            {
                up = false;
            }
            _last = (clock.GetUtcNow(), up);
            return up;
        }
        finally
        {
            _one.Release();
        }
    }
}

/// <summary>The health answer: <c>up</c> or <c>down</c> and nothing else.</summary>
public sealed record HealthStatus(string Status);

/// <summary>GET /api/v1/diagnostics: the storage round-trips this instance has made (in all and by operation), the store's pressure and the hospital writes shed.</summary>
public sealed record DiagnosticsView(long StorageRoundTrips, OperationCounts StorageRoundTripsByOperation, long StorageInFlight, double StorageLatencyMilliseconds, long IntakeShed)
{
    public static DiagnosticsView Of(Gateway.Storage.GatewayStorage storage, IntakeAdmission admission)
    {
        var pressure = storage.Pressure.Read();
        return new(storage.Counter.Count, new OperationCounts(storage.Counter.ByOperation), pressure.InFlight, Math.Round(pressure.LatencyMilliseconds, 1), admission.Shed);
    }
}

/// <summary>Counts by operation name; the names are written as they are (not camel-cased like members).</summary>
[Newtonsoft.Json.JsonDictionary(NamingStrategyType = typeof(Newtonsoft.Json.Serialization.DefaultNamingStrategy))]
public sealed class OperationCounts(IReadOnlyDictionary<string, long> counts) : SortedDictionary<string, long>(counts.ToDictionary(), StringComparer.Ordinal);
