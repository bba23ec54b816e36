using Gateway.Handler.Clearing;
using Gateway.Handler.Hosting;
using Gateway.Handler.Reference;
using Microsoft.Extensions.Configuration;

namespace Gateway.Deploy.Tests;

/// <summary>
/// The settings the handler reads, found by running its own configuration code (HandlerSettings, hospital
/// keys, clearing users) against a configuration that records every key and section asked for. It answers
/// with the settings infra/ declares, so a fallback (TableStorageConnection → AzureWebJobsStorage) is only
/// read when the first choice is missing.
/// </summary>
public sealed class HandlerSettingReads
{
    public HandlerSettingReads(IEnumerable<string> declaredSettings)
    {
        var provider = new RecordingProvider(declaredSettings);
        var configuration = new ConfigurationBuilder().Add(new RecordingSource(provider)).Build();
        var options = HandlerOptions.Read(configuration);
        var settings = HandlerSettings.From(options);
        // The messaging port's settings, read as Program reads them (QueueTransport is read by HandlerSettings).
        string? Setting(string name) => configuration[name];
        _ = Gateway.Messaging.MessagingFactory.ClaimCheck("UseDevelopmentStorage=true", Setting);
        if (settings.Transport == Gateway.Messaging.QueueTransport.ServiceBus)
            Gateway.Messaging.MessagingFactory.ServiceBusClient(Setting).DisposeAsync().AsTask().GetAwaiter().GetResult();
        var data = Path.Combine(RepoPaths.Root, "data");
        var hospitals = HospitalRegistry.Load(data, configuration, demo: false);
        _ = new ClearingUsers(data, configuration, demo: false);
        _ = ClearingIdentityOptions.From(configuration);
        _ = SignInLimits.From(configuration);
        configuration.Bind(new NationalDirectoryOptions());
        configuration.Bind(new CallbackOptions());
        _ = Gateway.Handler.Security.CallbackPolicy.From(configuration); // AllowLoopbackCallbacks is test-harness only (InfraConsistencyTests)
        _ = settings;
        Keys = provider.Keys.ToHashSet(StringComparer.OrdinalIgnoreCase);
        // The configuration binder asks every scalar setting it binds for children too (a value or a section): a name read as a
        // value is not a section read.
        var keys = provider.Keys.ToHashSet(StringComparer.OrdinalIgnoreCase);
        Sections = provider.Sections.Where(x => !keys.Contains(x)).ToHashSet(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Single settings read, in app-setting form (":" written as "__").</summary>
    public IReadOnlySet<string> Keys { get; }

    /// <summary>Sections whose children are read (HospitalKeys → settings HospitalKeys__&lt;id&gt;).</summary>
    public IReadOnlySet<string> Sections { get; }

    private sealed class RecordingSource(RecordingProvider provider) : IConfigurationSource
    {
        public IConfigurationProvider Build(IConfigurationBuilder builder) => provider;
    }

    private sealed class RecordingProvider : ConfigurationProvider
    {
        public RecordingProvider(IEnumerable<string> declared)
        {
            // App settings reach .NET configuration as environment variables, where "__" separates sections.
            // A value of the kind the reader parses (a URL, a number), so reading code that validates still runs.
            foreach (var name in declared)
            {
                Data[name.Replace("__", ":", StringComparison.Ordinal)] =
                    name == "QueueTransport" ? "ServiceBus"
                    : name == "ClearingIdentity" ? "AppServiceAuthentication"
                    : name == "GATEWAY_DEMO" ? "false"
                    : name.EndsWith("fullyQualifiedNamespace", StringComparison.Ordinal) ? "declared.servicebus.windows.net"
                    : name.EndsWith("Url", StringComparison.Ordinal) ? "https://declared.example/"
                    : name.EndsWith("Seconds", StringComparison.Ordinal) || name.EndsWith("Count", StringComparison.Ordinal) ? "1"
                    : "declared";
            }
        }

        public List<string> Keys { get; } = [];

        public List<string> Sections { get; } = [];

        public override bool TryGet(string key, out string? value)
        {
            Keys.Add(key.Replace(":", "__", StringComparison.Ordinal));
            return base.TryGet(key, out value);
        }

        public override IEnumerable<string> GetChildKeys(IEnumerable<string> earlierKeys, string? parentPath)
        {
            if (parentPath is not null) Sections.Add(parentPath.Replace(":", "__", StringComparison.Ordinal));
            return base.GetChildKeys(earlierKeys, parentPath);
        }
    }
}
