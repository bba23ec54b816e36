using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Gateway.Domain;
using Gateway.Handler.Home;
using Gateway.Integration.Tests.InMemory;
using Gateway.Integration.Tests.Ledger;
using Gateway.Storage;
using Microsoft.Extensions.Configuration;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Gateway.Integration.Tests;

/// <summary>The member registry: imports (CSV/JSON, all or nothing; on Azurite and on the in-memory store) and the national directory lookup.</summary>
public sealed class MemberRegistryTests(AzuriteHost host) : IClassFixture<AzuriteHost>
{
    private const string Header = MemberImport.CsvHeader;

    private StorageBackend _backend = null!;

    private void Use(Backend backend) => _backend = StorageBackend.Open(backend, host.Azurite);

    private async Task<(MemberImport Import, MemberStore Members)> StoresAsync()
    {
        var storage = _backend.Storage();
        await storage.EnsureCreatedAsync();
        var members = new MemberStore(storage);
        return (new MemberImport(members), members);
    }

    [Theory]
    [InlineData(Backend.Azurite)]
    [InlineData(Backend.Memory)]
    public async Task A_good_csv_imports_every_member_with_diseases_and_filings(Backend backend)
    {
        Use(backend);
        var (import, members) = await StoresAsync();
        var csv = Header + "\n" +
                  "IMP0001,511300,resident,false,1981-03-02,7,povertyRegistered,false,0.00,active,E11:2025-01-01:,440300:2026-01-01:2026-12-31;350200:2026-03-01:\n" +
                  "IMP0002,511300,employee,true,1955-05-05,30,none,true,1234.50,suspended,,\n";
        var result = await import.ImportAsync(RegionCode.Parse("511300"), new StringReader(csv), csv: true, CancellationToken.None);
        Assert.True(result.Ok, string.Join("; ", result.Errors));
        Assert.Equal(2, result.Imported);
        var m = (await members.GetProfileAsync(RegionCode.Parse("511300"), "IMP0001", CancellationToken.None))!;
        Assert.Equal(AssistanceCategory.PovertyRegistered, m.AssistanceCategory);
        Assert.True(m.HasSpecialDisease("E11", new DateOnly(2026, 5, 1)));
        Assert.True(m.IsFiledFor(RegionCode.Parse("350200"), new DateOnly(2026, 5, 1)));
        Assert.False(m.IsFiledFor(RegionCode.Parse("350200"), new DateOnly(2026, 2, 1)));
        var suspended = (await members.GetProfileAsync(RegionCode.Parse("511300"), "IMP0002", CancellationToken.None))!;
        Assert.Equal((MemberStatus.Suspended, 1234.50m, true), (suspended.Status, suspended.AccountBalance, suspended.Retired));
    }

    [Theory]
    [InlineData(Backend.Azurite)]
    [InlineData(Backend.Memory)]
    public async Task A_re_import_updates_the_member_but_keeps_the_live_account_balance(Backend backend)
    {
        Use(backend);
        var (import, members) = await StoresAsync();
        var region = RegionCode.Parse("511300");
        var id = "IMPB" + Guid.NewGuid().ToString("N")[..8];
        var first = Header + "\n" + $"{id},511300,employee,false,1970-01-01,10,none,false,1000.00,active,,440300:2026-01-01:2026-12-31\n";
        Assert.True((await import.ImportAsync(region, new StringReader(first), csv: true, CancellationToken.None)).Ok);
        Assert.Equal(1000.00m, (await members.GetProfileAsync(region, id, CancellationToken.None))!.AccountBalance);

        // A settlement pays 861.33 from the account (as example B does): the live balance is 138.67.
        var state = (await members.LoadAsync(region, id, 2026, "H440300001~acct-1", null, CancellationToken.None))!;
        var marker = new AppliedMarker("H440300001~acct-1", AppliedStatus.Applied, 2026, "{}", "{}", 0m, 861.33m);
        Assert.True(await members.CommitAsync(state, state.Accumulators, marker, CancellationToken.None));
        Assert.Equal(138.67m, (await members.GetProfileAsync(region, id, CancellationToken.None))!.AccountBalance);

        // The region re-imports last month's export: retired now, 12 years, balance 1000.00 in the file.
        var again = Header + "\n" + $"{id},511300,employee,true,1970-01-01,12,none,false,1000.00,active,,440300:2026-01-01:2026-12-31\n";
        Assert.True((await import.ImportAsync(region, new StringReader(again), csv: true, CancellationToken.None)).Ok);
        var m = (await members.GetProfileAsync(region, id, CancellationToken.None))!;
        Assert.Equal((true, 12, 138.67m), (m.Retired, m.ContinuousYears, m.AccountBalance));
    }

    [Theory]
    [InlineData(Backend.Azurite)]
    [InlineData(Backend.Memory)]
    public async Task A_file_with_bad_rows_names_each_line_and_writes_nothing(Backend backend)
    {
        Use(backend);
        var (import, members) = await StoresAsync();
        var csv = Header + "\n" +
                  "BAD0001,511300,resident,false,1981-03-02,7,none,false,0.00,active,,\n" +
                  "BAD0002,511300,retiree,false,1981-03-02,7,none,false,0.00,active,,\n" +
                  "BAD0003,511300,resident,false,03/02/1981,7,none,false,0.00,active,,\n" +
                  "BAD0004,440300,resident,false,1981-03-02,7,none,false,0.00,active,,\n" +
                  "BAD0005,511300,resident,false,1981-03-02,7,none,false,0.00,active,,440300-2026\n";
        var result = await import.ImportAsync(RegionCode.Parse("511300"), new StringReader(csv), csv: true, CancellationToken.None);
        Assert.False(result.Ok);
        Assert.Contains(result.Errors, e => e.Line == 3 && e.Field == "insuranceType");
        Assert.Contains(result.Errors, e => e.Line == 4 && e.Field == "birthDate");
        Assert.Contains(result.Errors, e => e.Line == 5 && e.Field == "homeRegion");
        Assert.Contains(result.Errors, e => e.Line == 6 && e.Field == "filings");
        Assert.DoesNotContain(result.Errors, e => e.Line == 2);
        Assert.Null(await members.GetProfileAsync(RegionCode.Parse("511300"), "BAD0001", CancellationToken.None));

        var json = "[{\"memberId\":\"J1\",\"homeRegion\":\"511300\",\"insuranceType\":\"resident\",\"birthDate\":\"1990-01-01\"},\n {\"memberId\":\"J2\",\"homeRegion\":\"511300\",\"insuranceType\":\"resident\",\"birthDate\":\"1990-01-01\",\"surprise\":1}]";
        var jsonResult = await import.ImportAsync(RegionCode.Parse("511300"), new StringReader(json), csv: false, CancellationToken.None);
        Assert.False(jsonResult.Ok);
        Assert.Equal(2, Assert.Single(jsonResult.Errors).Line);
        Assert.Null(await members.GetProfileAsync(RegionCode.Parse("511300"), "J1", CancellationToken.None));
    }

    /// <summary>The directory as the handler registers it (its client's resilience handler included).</summary>
    private static NationalDirectory Directory(WireMockServer server, double timeoutSeconds = 0.5)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["NationalDirectoryBaseUrl"] = server.Urls[0],
            ["NationalDirectoryTimeoutSeconds"] = timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }).Build();
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        Gateway.Handler.Hosting.OutboundResilience.AddNationalDirectory(services, configuration);
        return Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<NationalDirectory>(
            Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(services));
    }

    private const string Found = "{\"memberId\":\"N1\",\"homeRegion\":\"511300\",\"insuranceType\":\"resident\",\"birthDate\":\"1980-02-02\",\"continuousYears\":3}";

    [Fact]
    public async Task The_national_directory_found_not_found_slow_failing_and_malformed()
    {
        using var server = WireMockServer.Start();
        server.Given(Request.Create().WithPath("/members/511300/N1").UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBody(Found));
        server.Given(Request.Create().WithPath("/members/511300/NONE").UsingGet()).RespondWith(Response.Create().WithStatusCode(404));
        server.Given(Request.Create().WithPath("/members/511300/SLOW").UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBody(Found).WithDelay(TimeSpan.FromSeconds(2)));
        server.Given(Request.Create().WithPath("/members/511300/DOWN").UsingGet()).RespondWith(Response.Create().WithStatusCode(503));
        server.Given(Request.Create().WithPath("/members/511300/JUNK").UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBody("{\"memberId\": 12, \"oops\": true"));
        var directory = Directory(server);
        var region = RegionCode.Parse("511300");

        var (answer, member) = await directory.LookupAsync(region, "N1", CancellationToken.None);
        Assert.Equal(DirectoryAnswer.Found, answer);
        Assert.Equal(3, member!.ContinuousYears);
        Assert.Equal(DirectoryAnswer.NotFound, (await directory.LookupAsync(region, "NONE", CancellationToken.None)).Answer);
        Assert.Equal(DirectoryAnswer.Malformed, (await directory.LookupAsync(region, "JUNK", CancellationToken.None)).Answer);
        await Assert.ThrowsAsync<Polly.Timeout.TimeoutRejectedException>(() => directory.LookupAsync(region, "SLOW", CancellationToken.None));
        // 1 try + 2 retries (WireMock logs a delayed answer when it is sent, after the client gave up).
        for (var i = 0; i < 50 && server.LogEntries.Count(e => e.RequestMessage.Path.EndsWith("/SLOW", StringComparison.Ordinal)) < 3; i++) await Task.Delay(100);
        Assert.Equal(3, server.LogEntries.Count(e => e.RequestMessage.Path.EndsWith("/SLOW", StringComparison.Ordinal)));
        await Assert.ThrowsAsync<HttpRequestException>(() => directory.LookupAsync(region, "DOWN", CancellationToken.None));
        Assert.Equal(3, server.LogEntries.Count(e => e.RequestMessage.Path.EndsWith("/DOWN", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_directory_that_recovers_is_retried_within_the_call()
    {
        using var server = WireMockServer.Start();
        server.Given(Request.Create().WithPath("/members/511300/N1").UsingGet()).AtPriority(10).InScenario("s").WillSetStateTo("up").RespondWith(Response.Create().WithStatusCode(500));
        server.Given(Request.Create().WithPath("/members/511300/N1").UsingGet()).AtPriority(1).InScenario("s").WhenStateIs("up").RespondWith(Response.Create().WithStatusCode(200).WithBody(Found));
        var (answer, _) = await Directory(server).LookupAsync(RegionCode.Parse("511300"), "N1", CancellationToken.None);
        Assert.Equal(DirectoryAnswer.Found, answer);
    }
}
