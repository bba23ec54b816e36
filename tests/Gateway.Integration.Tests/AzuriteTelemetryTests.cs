using Azure.Data.Tables;
using Azure.Storage.Queues;
using Gateway.TestSupport;

namespace Gateway.Integration.Tests;

/// <summary>
/// Azurite collects telemetry unless told not to: it traces every request with OpenTelemetry and exports it to
/// Microsoft's Application Insights, and when that cannot be reached (no internet) it keeps the batches in
/// <c>$TMPDIR/Microsoft-AzureMonitor-*</c> to send later. A medical gateway's store must not report on its traffic, and
/// the tracing costs Azurite's one thread on every request. The Azurite of <c>./gateway up</c> and of the tests runs with
/// the flags of <c>tools/azurite.flags</c> (<c>--disableTelemetry</c> among them): given its own temporary folder and
/// traffic of every kind, it writes nothing there. (Without the flag, Azurite's start event alone lands there within
/// seconds.)
/// </summary>
public sealed class AzuriteTelemetryTests
{
    [Fact]
    public async Task Azurite_as_the_gateway_runs_it_sends_and_keeps_no_telemetry()
    {
        Assert.Contains("--disableTelemetry", File.ReadAllLines(Path.Combine(RepoPaths.Root, "tools", "azurite.flags")));
        Assert.Contains("tools/azurite.flags", File.ReadAllText(Path.Combine(RepoPaths.Root, "gateway")));

        var tmp = Directory.CreateTempSubdirectory("gateway-azurite-tmp-").FullName;
        try
        {
            await using var azurite = await AzuriteFixture.StartAsync(environment: new Dictionary<string, string> { ["TMPDIR"] = tmp });
            var table = new TableServiceClient(azurite.ConnectionString).GetTableClient("Telemetry");
            await table.CreateIfNotExistsAsync();
            var queue = new QueueServiceClient(azurite.ConnectionString).GetQueueClient("telemetry");
            await queue.CreateIfNotExistsAsync();
            // Azurite samples 1% of requests: a few hundred of each kind, then time for an export to fail and be kept.
            for (var i = 0; i < 300; i++)
            {
                await table.UpsertEntityAsync(new TableEntity("p", $"r{i:D4}") { ["N"] = i });
                await table.GetEntityAsync<TableEntity>("p", $"r{i:D4}");
                await queue.SendMessageAsync($"m{i}");
            }
            await foreach (var _ in table.QueryAsync<TableEntity>(e => e.PartitionKey == "p")) { }
            await Task.Delay(TimeSpan.FromSeconds(8));

            var kept = Directory.EnumerateFileSystemEntries(tmp, "*", SearchOption.AllDirectories).ToList();
            Assert.True(kept.Count == 0, "Azurite kept telemetry in its temporary folder:\n" + string.Join('\n', kept.Take(5)));
        }
        finally { Directory.Delete(tmp, recursive: true); }
    }
}
