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
        };
    }
}
