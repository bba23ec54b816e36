using System.Diagnostics;
using System.Net;
using System.Text;
using Gateway.Contracts;
using Gateway.TestSupport;
using Newtonsoft.Json.Linq;

namespace Gateway.Deploy.Tests;

/// <summary>
/// The published site, as zipped, runs: the embedded Functions host reads the published host.json and
/// function.json files and starts the self-contained handler from host.json's path (no --handler override,
/// no GATEWAY_DATA_DIR), on Azurite, and a signed settlement goes through to its split.
/// </summary>
public sealed class PublishedSiteRunsTests(PublishedSite site) : IClassFixture<PublishedSite>
{
    [Fact]
    public async Task The_published_site_settles_a_signed_encounter_under_the_functions_host()
    {
        await using var azurite = await AzuriteFixture.StartAsync();
        var port = AzuriteFixture.FreePort();
        var log = new StringBuilder();
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Gateway.TestSupport.RepoPaths.ProjectOutput("Gateway.LocalHost", "Gateway.LocalHost.dll"));
        void Arg(string name, string value) { info.ArgumentList.Add("--" + name); info.ArgumentList.Add(value); }
        Arg("root", site.SiteDirectory);
        Arg("settings", Path.Combine(RepoPaths.Root, "local.settings.json"));
        Arg("port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Arg("set", $"AzureWebJobsStorage={azurite.ConnectionString}");
        Arg("set", $"ServiceBusConnection={azurite.ConnectionString}");
        Arg("set", "GATEWAY_DEMO=true");
        using var host = Process.Start(info) ?? throw new InvalidOperationException("Could not start the local host.");
        host.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        host.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        host.BeginOutputReadLine();
        host.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
            await WaitHealthyAsync(http, host, log);
            Assert.Contains(site.SiteDirectory, Handlers(log), StringComparison.Ordinal);

            var keys = JObject.Parse(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "data", "demo", "keys.json")));
            var id = "deploy-" + Guid.NewGuid().ToString("N")[..12];
            var body = (await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "data", "demo", "settlement-A.json"))).Replace("__ID__", id, StringComparison.Ordinal);
            var bytes = Encoding.UTF8.GetBytes(body);
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/settlements") { Content = new ByteArrayContent(bytes) };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            request.Headers.Add("Prefer", "wait=20");
            foreach (var (name, value) in RequestSigning.Headers("k-H440300001", (string)keys["k-H440300001"]!, "POST", "/api/v1/settlements", bytes, DateTimeOffset.UtcNow))
                request.Headers.Add(name, value);
            using var response = await http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode}: {text}\n{log}");
            Assert.Equal("completed", (string?)JObject.Parse(text)["status"]);
        }
        finally
        {
            if (!host.HasExited) host.Kill(entireProcessTree: true);
            await host.WaitForExitAsync();
        }
    }

    private static string Handlers(StringBuilder log)
    {
        lock (log) return log.ToString();
    }

    private static async Task WaitHealthyAsync(HttpClient http, Process host, StringBuilder log)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (host.HasExited) throw new InvalidOperationException("The local host exited:\n" + Handlers(log));
            try
            {
                using var r = await http.GetAsync("api/v1/health");
                if (r.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(200);
        }
        throw new TimeoutException("The published site did not become healthy:\n" + Handlers(log));
    }
}
