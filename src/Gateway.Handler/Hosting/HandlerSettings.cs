namespace Gateway.Handler.Hosting;

/// <summary>Settings the handler reads, by the exact names function.json, host.json and infra/ use.</summary>
public sealed class HandlerSettings
{
    /// <summary>Table storage: <c>TableStorageConnection</c>, else <c>AzureWebJobsStorage</c>.</summary>
    public required string StorageConnection { get; init; }
    /// <summary>Where data/ (catalogs, hospitals, demo) lives; defaults to the executable's folder.</summary>
    public required string DataDirectory { get; init; }
    /// <summary>Which adapter the messaging port uses (<c>QueueTransport</c>: <c>ServiceBus</c> or <c>StorageQueues</c>).</summary>
    public required Gateway.Messaging.QueueTransport Transport { get; init; }
    /// <summary>Deliveries before the queue dead-letters a message (<c>MaxDeliveryCount</c>); on the last one a failure is recorded.</summary>
    public int MaxDeliveryCount { get; init; } = 5;
    /// <summary>A settlement still pending after this long is failed by the sweep (<c>SettlementTimeoutSeconds</c>).</summary>
    public TimeSpan SettlementTimeout { get; init; } = TimeSpan.FromMinutes(10);
    /// <summary>A pending settlement is re-dispatched after this long (<c>RedispatchAfterSeconds</c>).</summary>
    public TimeSpan RedispatchAfter { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Load the demo hospitals, members and keys (<c>GATEWAY_DEMO</c> = true).</summary>
    public bool Demo { get; init; }
    /// <summary>When intake sheds new hospital writes with 503 + Retry-After (<c>IntakeMaxStorageInFlight</c>, <c>IntakeSlowStoreMilliseconds</c>, <c>IntakeShedAfterFailureSeconds</c>).</summary>
    public IntakeShedding Shedding { get; init; } = IntakeShedding.Default;
    /// <summary>The SDK's per-try timeout and retries for table requests (<c>StorageNetworkTimeoutSeconds</c>, <c>StorageMaxRetries</c>).</summary>
    public Gateway.Storage.StorageRetry StorageRetry { get; init; } = Gateway.Storage.StorageRetry.Default;

    public static HandlerSettings From(IConfiguration c)
    {
        var storage = c["TableStorageConnection"] ?? c["AzureWebJobsStorage"] ?? throw new InvalidOperationException("Set AzureWebJobsStorage (or TableStorageConnection).");
        return new HandlerSettings
        {
            StorageConnection = storage,
            DataDirectory = c["GATEWAY_DATA_DIR"] ?? Path.Combine(AppContext.BaseDirectory, "data"),
            Transport = Gateway.Messaging.MessagingFactory.Transport(name => c[name]),
            MaxDeliveryCount = int.TryParse(c["MaxDeliveryCount"], out var m) ? m : 5,
            SettlementTimeout = TimeSpan.FromSeconds(double.TryParse(c["SettlementTimeoutSeconds"], out var t) ? t : 600),
            RedispatchAfter = TimeSpan.FromSeconds(double.TryParse(c["RedispatchAfterSeconds"], out var r) ? r : 60),
            Demo = string.Equals(c["GATEWAY_DEMO"], "true", StringComparison.OrdinalIgnoreCase),
            Shedding = new IntakeShedding(
                Whole(c, "IntakeMaxStorageInFlight", IntakeShedding.Default.MaxStorageInFlight, 1, 100_000),
                TimeSpan.FromMilliseconds(Whole(c, "IntakeSlowStoreMilliseconds", (int)IntakeShedding.Default.SlowStore.TotalMilliseconds, 10, 600_000)),
                TimeSpan.FromSeconds(Whole(c, "IntakeShedAfterFailureSeconds", (int)IntakeShedding.Default.AfterFailure.TotalSeconds, 0, 600))),
            StorageRetry = new Gateway.Storage.StorageRetry(
                TimeSpan.FromSeconds(Whole(c, "StorageNetworkTimeoutSeconds", (int)Gateway.Storage.StorageRetry.Default.NetworkTimeout.TotalSeconds, 1, 120)),
                Whole(c, "StorageMaxRetries", Gateway.Storage.StorageRetry.Default.MaxRetries, 0, 10)),
        };
    }

    /// <summary>A whole-number setting within bounds, or its default when absent; anything else stops the app naming the setting.</summary>
    private static int Whole(IConfiguration c, string name, int fallback, int min, int max)
    {
        var text = c[name];
        if (string.IsNullOrWhiteSpace(text)) return fallback;
        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v) || v < min || v > max)
            throw new InvalidOperationException($"Setting {name} must be a whole number from {min} to {max}; it is '{text}'.");
        return v;
    }
}
