using System.Diagnostics;
using Gateway.Handler.Hosting;
using Gateway.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Gateway.Integration.Tests;

/// <summary>Typed options validated at start: a misconfigured setting stops the handler with a message naming it.</summary>
public sealed class HandlerOptionsTests
{
    private static IConfiguration Config(params (string Key, string Value)[] values) => new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?> { ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true", ["QueueTransport"] = "StorageQueues" }
            .Concat(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value))
        .Build();

    [Fact]
    public void The_defaults_are_valid()
    {
        var s = HandlerSettings.From(HandlerOptionsSetup.Load(Config()));
        Assert.Equal(5, s.MaxDeliveryCount);
        Assert.Equal(TimeSpan.FromMinutes(10), s.SettlementTimeout);
        Assert.Equal(TimeSpan.FromSeconds(60), s.RedispatchAfter);
        Assert.Equal(Gateway.Messaging.QueueTransport.StorageQueues, s.Transport);
    }

    [Theory]
    [InlineData("MaxDeliveryCount", "0")]
    [InlineData("SettlementTimeoutSeconds", "-1")]
    [InlineData("RedispatchAfterSeconds", "0")]
    [InlineData("QueueTransport", "Carrier pigeon")]
    [InlineData("FaultInjectionRate", "2")]
    [InlineData("GATEWAY_DATA_DIR", "/no/such/folder")]
    public void A_value_out_of_range_is_refused_naming_the_setting(string setting, string value)
    {
        var e = Assert.Throws<OptionsValidationException>(() => HandlerOptionsSetup.Load(Config((setting, value))));
        Assert.Contains(setting, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_options_service_validates_the_same_rules_at_start()
    {
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        services.AddHandlerOptions(Config(("MaxDeliveryCount", "0")));
        using var sp = Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(services);
        var e = Assert.Throws<OptionsValidationException>(() => Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<IStartupValidator>(sp).Validate());
        Assert.Contains("MaxDeliveryCount", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("MaxDeliveryCount", "five")]
    [InlineData("MaxDeliveryCount", "0")]
    [InlineData("QueueTransport", "")]
    public async Task The_handler_stops_at_start_with_a_message_naming_the_setting(string setting, string value)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(RepoPaths.ProjectOutput("Gateway.Handler", "Gateway.Handler.dll"));
        info.Environment["AzureWebJobsStorage"] = "UseDevelopmentStorage=true";
        info.Environment["QueueTransport"] = "StorageQueues";
        info.Environment["FUNCTIONS_CUSTOMHANDLER_PORT"] = "1"; // never listened on: the handler stops before
        info.Environment[setting] = value;
        using var p = Process.Start(info)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(timeout.Token);
        Assert.NotEqual(0, p.ExitCode);
        var text = await stderr + await stdout;
        Assert.Contains(setting, text, StringComparison.Ordinal);
        Assert.Contains("settings are not valid", text, StringComparison.Ordinal);
    }
}
