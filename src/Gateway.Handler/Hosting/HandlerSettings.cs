using System.Globalization;
using Microsoft.Extensions.Options;

namespace Gateway.Handler.Hosting;

/// <summary>
/// The handler's settings as the configuration binder reads them, by the exact names function.json, host.json and infra/
/// use. Checked by <see cref="HandlerOptionsValidator"/> when the app starts (<c>ValidateOnStart</c>): a misconfigured
/// setting stops the handler with a message naming it.
/// </summary>
public sealed class HandlerOptions
{
    /// <summary>Table storage: <c>TableStorageConnection</c>, else <c>AzureWebJobsStorage</c>.</summary>
    public string? TableStorageConnection { get; set; }
    /// <summary>
    /// Not bound by the binder (no public setter): in Azure the host's own storage is identity-based
    /// (<c>AzureWebJobsStorage__accountName</c>, …), a section the binder cannot turn into a string. Read as a plain value
    /// by <see cref="Read"/>.
    /// </summary>
    private string? _azureWebJobsStorage;

    /// <summary>The host's storage as a plain connection string (a method, not a property: the binder must not touch it).</summary>
    public string? AzureWebJobsStorage() => _azureWebJobsStorage;

    /// <summary>The options as configured: the binder's properties, then the host storage's plain value if it has one.</summary>
    public static HandlerOptions Read(IConfiguration configuration)
    {
        var options = new HandlerOptions();
        configuration.Bind(options);
        options.ReadUnbound(configuration);
        return options;
    }

    /// <summary>Fills what the binder leaves out (<see cref="AzureWebJobsStorage"/>).</summary>
    public void ReadUnbound(IConfiguration configuration)
    {
        // The fallback is read only when the first choice is missing (infra/ declares TableStorageConnection).
        if (string.IsNullOrWhiteSpace(TableStorageConnection)) _azureWebJobsStorage = configuration["AzureWebJobsStorage"];
    }
    /// <summary>Where data/ (catalogs, hospitals, demo) lives; defaults to the executable's folder.</summary>
    [ConfigurationKeyName("GATEWAY_DATA_DIR")]
    public string? DataDirectory { get; set; }
    /// <summary>Which adapter the messaging port uses: <c>ServiceBus</c> or <c>StorageQueues</c>.</summary>
    [ConfigurationKeyName(Gateway.Messaging.MessagingFactory.TransportSetting)]
    public string? QueueTransport { get; set; }
    /// <summary>Deliveries before the queue dead-letters a message; on the last one a failure is recorded.</summary>
    public int MaxDeliveryCount { get; set; } = 5;
    /// <summary>A settlement still pending after this long is failed by the sweep.</summary>
    public double SettlementTimeoutSeconds { get; set; } = 600;
    /// <summary>A pending settlement is re-dispatched after this long.</summary>
    public double RedispatchAfterSeconds { get; set; } = 60;
    /// <summary>Load the demo hospitals, members and keys (<c>GATEWAY_DEMO</c> = true).</summary>
    [ConfigurationKeyName("GATEWAY_DEMO")]
    public bool Demo { get; set; }
    /// <summary>Test only: fail storage writes at random (<c>FaultInjectionSeed</c>, <c>FaultInjectionRate</c> per write).</summary>
    public int? FaultInjectionSeed { get; set; }
    public double FaultInjectionRate { get; set; }
    /// <summary>Admission control: table requests in flight above which intake sheds new hospital writes with 503.</summary>
    public int IntakeMaxStorageInFlight { get; set; } = IntakeShedding.Default.MaxStorageInFlight;
    /// <summary>Average table latency above which intake sheds new hospital writes.</summary>
    public int IntakeSlowStoreMilliseconds { get; set; } = (int)IntakeShedding.Default.SlowStore.TotalMilliseconds;
    /// <summary>How long after an unanswered table request intake sheds new hospital writes.</summary>
    public int IntakeShedAfterFailureSeconds { get; set; } = (int)IntakeShedding.Default.AfterFailure.TotalSeconds;
    /// <summary>The SDK's per-try timeout for table requests.</summary>
    public int StorageNetworkTimeoutSeconds { get; set; } = (int)Gateway.Storage.StorageRetry.Default.NetworkTimeout.TotalSeconds;
    /// <summary>The SDK's retries per table request.</summary>
    public int StorageMaxRetries { get; set; } = Gateway.Storage.StorageRetry.Default.MaxRetries;
}

/// <summary>Every rule a setting must meet, each failure naming the setting.</summary>
public sealed class HandlerOptionsValidator : IValidateOptions<HandlerOptions>
{
    public ValidateOptionsResult Validate(string? name, HandlerOptions o)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(o.TableStorageConnection) && string.IsNullOrWhiteSpace(o.AzureWebJobsStorage()))
            failures.Add("Set AzureWebJobsStorage (or TableStorageConnection).");
        if (o.QueueTransport is not ("ServiceBus" or "StorageQueues"))
            failures.Add(string.IsNullOrEmpty(o.QueueTransport)
                ? $"Set {Gateway.Messaging.MessagingFactory.TransportSetting} to ServiceBus (Azure) or StorageQueues (the local host on Azurite)."
                : $"{Gateway.Messaging.MessagingFactory.TransportSetting} is '{o.QueueTransport}'; it must be ServiceBus or StorageQueues.");
        if (o.MaxDeliveryCount is < 1 or > 100) failures.Add($"MaxDeliveryCount is {o.MaxDeliveryCount}; it must be from 1 to 100 (the queues' max delivery count).");
        if (!(o.SettlementTimeoutSeconds is > 0 and <= 86_400)) failures.Add($"SettlementTimeoutSeconds is {Text(o.SettlementTimeoutSeconds)}; it must be over 0 and at most 86400.");
        if (!(o.RedispatchAfterSeconds is > 0 and <= 86_400)) failures.Add($"RedispatchAfterSeconds is {Text(o.RedispatchAfterSeconds)}; it must be over 0 and at most 86400.");
        if (o.RedispatchAfterSeconds >= o.SettlementTimeoutSeconds && o.SettlementTimeoutSeconds > 0)
            failures.Add($"RedispatchAfterSeconds ({Text(o.RedispatchAfterSeconds)}) must be below SettlementTimeoutSeconds ({Text(o.SettlementTimeoutSeconds)}).");
        if (!(o.FaultInjectionRate is >= 0 and <= 1)) failures.Add($"FaultInjectionRate is {Text(o.FaultInjectionRate)}; it must be from 0 to 1.");
        Range(failures, "IntakeMaxStorageInFlight", o.IntakeMaxStorageInFlight, 1, 100_000);
        Range(failures, "IntakeSlowStoreMilliseconds", o.IntakeSlowStoreMilliseconds, 10, 600_000);
        Range(failures, "IntakeShedAfterFailureSeconds", o.IntakeShedAfterFailureSeconds, 0, 600);
        Range(failures, "StorageNetworkTimeoutSeconds", o.StorageNetworkTimeoutSeconds, 1, 120);
        Range(failures, "StorageMaxRetries", o.StorageMaxRetries, 0, 10);
        if (o.DataDirectory is { Length: > 0 } dir && !Directory.Exists(dir)) failures.Add($"GATEWAY_DATA_DIR is '{dir}', which is not a folder.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Range(List<string> failures, string name, int value, int min, int max)
    {
        if (value < min || value > max) failures.Add($"Setting {name} must be a whole number from {min} to {max}; it is '{value}'.");
    }

    private static string Text(double d) => d.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The settings the handler's parts use, resolved from <see cref="HandlerOptions"/>.</summary>
public sealed class HandlerSettings
{
    public required string StorageConnection { get; init; }
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

    public static HandlerSettings From(HandlerOptions o) => new()
    {
        StorageConnection = (string.IsNullOrWhiteSpace(o.TableStorageConnection) ? o.AzureWebJobsStorage() : o.TableStorageConnection)!,
        DataDirectory = o.DataDirectory is { Length: > 0 } d ? d : Path.Combine(AppContext.BaseDirectory, "data"),
        Transport = Gateway.Messaging.MessagingFactory.Transport(_ => o.QueueTransport),
        MaxDeliveryCount = o.MaxDeliveryCount,
        SettlementTimeout = TimeSpan.FromSeconds(o.SettlementTimeoutSeconds),
        RedispatchAfter = TimeSpan.FromSeconds(o.RedispatchAfterSeconds),
        Demo = o.Demo,
        Shedding = new IntakeShedding(o.IntakeMaxStorageInFlight, TimeSpan.FromMilliseconds(o.IntakeSlowStoreMilliseconds), TimeSpan.FromSeconds(o.IntakeShedAfterFailureSeconds)),
        StorageRetry = new Gateway.Storage.StorageRetry(TimeSpan.FromSeconds(o.StorageNetworkTimeoutSeconds), o.StorageMaxRetries),
    };
}

public static class HandlerOptionsSetup
{
    /// <summary>Binds <see cref="HandlerOptions"/> from the configuration, validated when the app starts.</summary>
    public static OptionsBuilder<HandlerOptions> AddHandlerOptions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<IValidateOptions<HandlerOptions>, HandlerOptionsValidator>();
        services.AddSingleton(sp => HandlerSettings.From(sp.GetRequiredService<IOptions<HandlerOptions>>().Value));
        return services.AddOptions<HandlerOptions>().Bind(configuration).PostConfigure(o => o.ReadUnbound(configuration)).ValidateOnStart();
    }

    /// <summary>
    /// The same binding and validation, now: for the few choices made while the services are registered (the transport, the
    /// data folder). Throws <see cref="OptionsValidationException"/> naming each misconfigured setting.
    /// </summary>
    public static HandlerOptions Load(IConfiguration configuration)
    {
        var options = HandlerOptions.Read(configuration);
        var result = new HandlerOptionsValidator().Validate(Options.DefaultName, options);
        if (result.Failed) throw new OptionsValidationException(Options.DefaultName, typeof(HandlerOptions), result.Failures);
        return options;
    }
}
