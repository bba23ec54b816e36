using Azure.Core;
using Azure.Identity;
using Azure.Messaging.ServiceBus;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;

namespace Gateway.Messaging;

/// <summary>The two transports; <c>QueueTransport</c> names one.</summary>
public enum QueueTransport { ServiceBus, StorageQueues }

/// <summary>
/// Builds the messaging adapters from configuration (app settings as .NET configuration: <c>__</c> in a setting's name is
/// <c>:</c> here), by the names the Functions host itself uses for the connection
/// <c>ServiceBusConnection</c> of function.json: a connection string in <c>ServiceBusConnection</c>, or identity-based
/// <c>ServiceBusConnection__fullyQualifiedNamespace</c> (+ <c>ServiceBusConnection__clientId</c> for a user-assigned identity).
/// With <c>QueueTransport</c> = <c>StorageQueues</c>, <c>ServiceBusConnection</c> is the storage (Azurite) connection string
/// of the queues the local host maps the Service Bus queues to.
/// </summary>
public static class MessagingFactory
{
    public const string TransportSetting = "QueueTransport";
    public const string ConnectionSetting = "ServiceBusConnection";

    /// <summary>The SDK's retry options for every send: exponential, 5 tries, 30 s per try.</summary>
    public static ServiceBusRetryOptions RetryOptions => new()
    {
        Mode = ServiceBusRetryMode.Exponential,
        MaxRetries = 5,
        Delay = TimeSpan.FromMilliseconds(200),
        MaxDelay = TimeSpan.FromSeconds(10),
        TryTimeout = TimeSpan.FromSeconds(30),
    };

    public static QueueTransport Transport(Func<string, string?> setting)
    {
        var value = setting(TransportSetting);
        return value switch
        {
            "ServiceBus" => QueueTransport.ServiceBus,
            "StorageQueues" => QueueTransport.StorageQueues,
            null or "" => throw new InvalidOperationException($"Set {TransportSetting} to ServiceBus (Azure) or StorageQueues (the local host on Azurite)."),
            _ => throw new InvalidOperationException($"{TransportSetting} is '{value}'; it must be ServiceBus or StorageQueues."),
        };
    }

    public static ServiceBusClient ServiceBusClient(Func<string, string?> setting)
    {
        var options = new ServiceBusClientOptions { RetryOptions = RetryOptions, TransportType = ServiceBusTransportType.AmqpTcp };
        if (setting(ConnectionSetting) is { Length: > 0 } connection) return new ServiceBusClient(connection, options);
        var ns = setting(ConnectionSetting + ":fullyQualifiedNamespace")
            ?? throw new InvalidOperationException($"Set {ConnectionSetting} (a connection string) or {ConnectionSetting}__fullyQualifiedNamespace (managed identity).");
        TokenCredential credential = setting(ConnectionSetting + ":clientId") is { Length: > 0 } clientId
            ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
            : new DefaultAzureCredential();
        return new ServiceBusClient(ns, credential, options);
    }

    public static QueueServiceClient StorageQueues(Func<string, string?> setting) =>
        new(setting(ConnectionSetting) is { Length: > 0 } c ? c : throw new InvalidOperationException($"Set {ConnectionSetting} to the storage connection string of the local queues."),
            new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });

    public static ClaimCheck ClaimCheck(string storageConnection, Func<string, string?> setting, TimeProvider? clock = null)
    {
        var container = setting("ClaimCheckContainer") is { Length: > 0 } c ? c : Messaging.ClaimCheck.DefaultContainer;
        var threshold = int.TryParse(setting("ClaimCheckThresholdBytes"), out var t) && t > 0 ? t : Messaging.ClaimCheck.DefaultThresholdBytes;
        return new ClaimCheck(new BlobServiceClient(storageConnection).GetBlobContainerClient(container), threshold, clock);
    }

    public static IDeadLetterQueues DeadLetters(Func<string, string?> setting) => Transport(setting) switch
    {
        QueueTransport.ServiceBus => new ServiceBusDeadLetters(ServiceBusClient(setting)),
        _ => new StorageQueueDeadLetters(StorageQueues(setting), TimeProvider.System),
    };
}
