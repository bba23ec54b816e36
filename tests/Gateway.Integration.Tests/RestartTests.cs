using System.Net;
using Gateway.Domain;
using Gateway.Storage;
using Gateway.TestSupport;

namespace Gateway.Integration.Tests;

/// <summary>
/// The embedded default keeps its data: what a gateway on a persistent Azurite (as <c>./gateway up</c> runs it) wrote before a
/// clean stop of the gateway and of Azurite is all there after both start again on the same folder, and the demo data loaded
/// again changes no live figure.
/// </summary>
public sealed class RestartTests
{
    [Fact]
    public async Task What_was_written_before_a_stop_is_all_there_after_a_restart()
    {
        var location = Path.Combine(Path.GetTempPath(), "gateway-restart-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(location);
        try
        {
            string id;
            Gateway.Domain.AnnualAccumulators before;
            {
                var azurite = await AzuriteFixture.StartAsync(location);
                var gateway = await GatewayFixture.StartAsync(azurite: azurite);
                id = Requests.NewId("restart");
                using (var r = await gateway.Hospital("H440300001").SubmitAsync(Requests.SpecA(id), 15))
                    Assert.Equal(HttpStatusCode.Created, r.StatusCode);
                before = (await new MemberStore(new GatewayStorage(azurite.ConnectionString)).LoadAsync(RegionCode.Parse("511300"), "M511300001", 2026, "x~x", null, CancellationToken.None))!.Accumulators;
                Assert.True(before.Admissions > 0 && before.BasicPaid > 0m);
                await gateway.StopHostAsync();
                await azurite.StopAsync();   // SIGTERM: Azurite flushes its table journal and exits, as on Ctrl-C
                Assert.Contains("verify: the journal holds all", azurite.ReadLog()); // its self-check: journal = memory
            }
            {
                var azurite = await AzuriteFixture.StartAsync(location);
                await using var gateway = await GatewayFixture.StartAsync(azurite: azurite); // loads the demo data again
                using var r = await gateway.Hospital("H440300001").GetAsync(id);
                Assert.Equal(HttpStatusCode.OK, r.StatusCode);
                Assert.Equal("completed", (string)(await Requests.Json(r))["status"]!);
                var after = (await new MemberStore(new GatewayStorage(azurite.ConnectionString)).LoadAsync(RegionCode.Parse("511300"), "M511300001", 2026, "x~x", null, CancellationToken.None))!.Accumulators;
                Assert.True(after.SameAs(before), "the member's accumulators survived the restart and the demo reload");
                var results = await Gateway.Cli.Verify.VerifyCommand.RunAsync(azurite.ConnectionString, CancellationToken.None);
                Assert.All(results, x => Assert.True(x.Holds, $"{x.Name}: {string.Join("; ", x.Violations)}"));
                Assert.Contains(results, x => x.Name.Contains("journal", StringComparison.OrdinalIgnoreCase) && x.Checked > 0);
            }
        }
        finally
        {
            try { Directory.Delete(location, recursive: true); } catch (IOException) { }
        }
    }
}
