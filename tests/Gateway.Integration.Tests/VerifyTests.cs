using Azure.Storage.Queues;
using Gateway.Cli.Verify;
using Gateway.TestSupport;

namespace Gateway.Integration.Tests;

/// <summary>After settlements, cancellations and redeliveries through the gateway, `gateway verify` finds a clean store.</summary>
[Collection(GatewayCollection.Name)]
public sealed class VerifyTests(GatewayHost host)
{
    [Fact]
    public async Task The_store_verifies_clean_after_settling_and_cancelling()
    {
        var g = host.Gateway;
        var h = g.Hospital("H350200002");
        var ids = Enumerable.Range(0, 6).Select(i => Requests.NewId($"v{i}")).ToList();
        foreach (var r in await Task.WhenAll(ids.Select(id => h.SubmitAsync(Requests.SpecA(id), 15)))) r.Dispose();
        using var cancel = await h.SendAsync(HttpMethod.Post, $"/api/v1/settlements/{ids[0]}/cancel", "{\"reason\":\"duplicate admission\"}", waitSeconds: 15);
        var queues = new QueueServiceClient(g.Azurite.ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
        await QueueDrain.WaitEmptyAsync(queues, ["eval-requests-511300", "eval-replies"]);

        var results = await VerifyCommand.RunAsync(g.Azurite.ConnectionString, CancellationToken.None);
        Assert.All(results, r => Assert.True(r.Holds, $"{r.Name}: {string.Join("; ", r.Violations)}"));
        Assert.True(results.Single(r => r.Name.StartsWith("every completed", StringComparison.Ordinal)).Checked >= 6);
    }
}
