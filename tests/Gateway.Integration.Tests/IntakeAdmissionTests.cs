using System.Net;
using System.Net.Sockets;
using Gateway.Handler.Hosting;
using Gateway.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Integration.Tests;

/// <summary>
/// Admission control at intake (issue 21, "no retry storms"): the store's pressure as the SDK pipeline measures it, the
/// decision to shed a hospital write, and the settings that tune it.
/// </summary>
public sealed class IntakeAdmissionTests
{
    private static readonly IntakeShedding Limits = new(MaxStorageInFlight: 4, SlowStore: TimeSpan.FromMilliseconds(500), AfterFailure: TimeSpan.FromSeconds(5));

    [Fact]
    public void A_quiet_store_admits()
    {
        var clock = new FakeTimeProvider();
        var pressure = new StoragePressure(clock);
        pressure.Observe(TimeSpan.FromMilliseconds(20), answered: true);
        Assert.Null(new IntakeAdmission(pressure, Limits).Decide());
    }

    [Fact]
    public void An_unanswered_request_sheds_for_the_cooldown_then_admits_again()
    {
        var clock = new FakeTimeProvider();
        var pressure = new StoragePressure(clock);
        var admission = new IntakeAdmission(pressure, Limits);
        pressure.Observe(TimeSpan.FromMilliseconds(30), answered: false);
        var refusal = admission.Decide();
        Assert.NotNull(refusal);
        Assert.Equal(TimeSpan.FromSeconds(5), refusal.Value.RetryAfter);
        Assert.Contains("did not answer", refusal.Value.Why, StringComparison.Ordinal);
        clock.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(TimeSpan.FromSeconds(2), admission.Decide()!.Value.RetryAfter);
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Null(admission.Decide());
    }

    [Fact]
    public void A_slow_store_sheds_until_its_average_decays_below_the_threshold()
    {
        var clock = new FakeTimeProvider();
        var pressure = new StoragePressure(clock);
        var admission = new IntakeAdmission(pressure, Limits);
        for (var i = 0; i < 30; i++) pressure.Observe(TimeSpan.FromMilliseconds(2000), answered: true);
        var refusal = admission.Decide();
        Assert.NotNull(refusal);
        Assert.Contains("ms on average", refusal.Value.Why, StringComparison.Ordinal);
        // The Retry-After is long enough for the average to fall below the threshold with nothing more measured.
        clock.Advance(refusal.Value.RetryAfter);
        Assert.Null(admission.Decide());
        Assert.True(pressure.Read().LatencyMilliseconds <= Limits.SlowStore.TotalMilliseconds);
    }

    [Fact]
    public void Too_many_requests_in_flight_shed_and_admit_once_they_finish()
    {
        var pressure = new StoragePressure(new FakeTimeProvider());
        var admission = new IntakeAdmission(pressure, Limits);
        var held = Enumerable.Range(0, 5).Select(_ => pressure.Hold()).ToList();
        Assert.Equal(5, pressure.Read().InFlight);
        Assert.Contains("5 requests in flight", admission.Decide()!.Value.Why, StringComparison.Ordinal);
        held[0].Dispose();
        held[0].Dispose(); // a second release changes nothing
        Assert.Equal(4, pressure.Read().InFlight);
        Assert.Null(admission.Decide());
        foreach (var h in held) h.Dispose();
        Assert.Equal(0, pressure.Read().InFlight);
    }

    [Theory]
    [InlineData("POST", "/api/v1/settlements", true)]
    [InlineData("POST", "/api/v1/settlements/S1/cancel", true)]
    [InlineData("POST", "/api/v1/filings", true)]
    [InlineData("POST", "/api/v1/national/2304", true)]
    [InlineData("GET", "/api/v1/settlements/S1", false)]
    [InlineData("GET", "/api/v1/settlements", false)]
    [InlineData("POST", "/api/v1/reconciliations", false)]
    [InlineData("POST", "/ApplyReply", false)]
    [InlineData("POST", "/api/clearing/periods/2026-11/close", false)]
    public void Only_hospital_writes_are_shed(string method, string path, bool intake)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Path = path;
        Assert.Equal(intake, IntakeAdmission.IsIntake(context.Request));
    }

    [Fact]
    public async Task A_shed_write_is_a_503_problem_with_retry_after_and_never_reaches_the_app()
    {
        var clock = new FakeTimeProvider();
        var pressure = new StoragePressure(clock);
        pressure.Observe(TimeSpan.FromSeconds(5), answered: false);
        var admission = new IntakeAdmission(pressure, Limits);
        var context = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider() };
        context.Request.Method = "POST";
        context.Request.Path = "/api/v1/settlements";
        context.Response.Body = new MemoryStream();
        var reached = false;
        await admission.InvokeAsync(context, () => { reached = true; return Task.CompletedTask; });
        Assert.False(reached);
        Assert.Equal(503, context.Response.StatusCode);
        Assert.Equal("5", context.Response.Headers.RetryAfter.ToString());
        Assert.Equal("application/problem+json; charset=utf-8", context.Response.ContentType);
        var body = System.Text.Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray());
        Assert.Contains("\"type\":\"https://gateway.example.org/problems/service-unavailable\"", body.Replace(" ", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("Nothing was recorded", body, StringComparison.Ordinal);
        Assert.Equal(1, admission.Shed);
    }

    [Fact]
    public async Task A_store_that_accepts_and_never_answers_is_measured_as_in_flight_then_failed()
    {
        using var blackHole = new TcpListener(IPAddress.Loopback, 0);
        blackHole.Start();
        var held = new List<TcpClient>();
        var accepting = Task.Run(async () => { try { while (true) held.Add(await blackHole.AcceptTcpClientAsync()); } catch (Exception e) when (e is SocketException or ObjectDisposedException) { } });
        var port = ((IPEndPoint)blackHole.LocalEndpoint).Port;
        var storage = new GatewayStorage(
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
            $"TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;", retry: new StorageRetry(TimeSpan.FromSeconds(1), 0));
        var read = storage.Table(GatewayStorage.SettlementsTable).GetEntityIfExistsAsync<Azure.Data.Tables.TableEntity>("p", "r");
        for (var i = 0; i < 50 && storage.Pressure.Read().InFlight == 0; i++) await Task.Delay(10);
        Assert.Equal(1, storage.Pressure.Read().InFlight);
        await Assert.ThrowsAnyAsync<Exception>(async () => await read);
        var after = storage.Pressure.Read();
        Assert.Equal(0, after.InFlight);
        Assert.NotNull(after.SinceLastFailure);
        Assert.NotNull(new IntakeAdmission(storage.Pressure, IntakeShedding.Default).Decide());
        blackHole.Stop();
        await accepting;
        foreach (var c in held) c.Dispose();
    }

    [Theory]
    [InlineData("IntakeMaxStorageInFlight", "many")]
    [InlineData("IntakeSlowStoreMilliseconds", "0")]
    [InlineData("StorageNetworkTimeoutSeconds", "-1")]
    [InlineData("StorageMaxRetries", "99")]
    public void A_misconfigured_setting_stops_the_app_naming_it(string name, string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true", ["QueueTransport"] = "StorageQueues",
            [name] = value,
        }).Build();
        var e = Assert.Throws<InvalidOperationException>(() => HandlerSettings.From(configuration));
        Assert.Contains(name, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_settings_default_to_the_documented_figures()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true", ["QueueTransport"] = "StorageQueues" }).Build();
        var s = HandlerSettings.From(configuration);
        Assert.Equal(IntakeShedding.Default, s.Shedding);
        Assert.Equal(new StorageRetry(TimeSpan.FromSeconds(5), 3), s.StorageRetry);
    }
}
