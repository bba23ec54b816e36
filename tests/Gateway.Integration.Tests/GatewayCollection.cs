using Gateway.TestSupport;

namespace Gateway.Integration.Tests;

/// <summary>One running gateway (Azurite + local host + handler) shared by the end-to-end tests.</summary>
public sealed class GatewayHost : IAsyncLifetime
{
    public GatewayFixture Gateway { get; private set; } = null!;

    public async Task InitializeAsync() => Gateway = await GatewayFixture.StartAsync(new Dictionary<string, string>
    {
        ["CallbackTimeoutSeconds"] = "3", // short enough for the slow-hospital case, long enough that a loaded machine does not time out a success
        ["LocalHostMasterKey"] = MasterKey, // the host's admin routes (queue figures)
        ["AllowLoopbackCallbacks"] = "true", // the callback receivers are WireMock on 127.0.0.1 (never in Azure)
    });

    public const string MasterKey = "test-master-key";

    public async Task DisposeAsync() => await Gateway.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayHost>
{
    public const string Name = "gateway";
}
