using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Contracts;

namespace Gateway.TestSupport;

/// <summary>
/// The whole gateway as it runs locally: Azurite, the local Functions host and the handler, as processes on free
/// loopback ports, reading the repository's host.json and functions/. Extra settings override local.settings.json.
/// </summary>
public sealed class GatewayFixture : IAsyncDisposable
{
    private Process? _host;
    private readonly StringBuilder _log = new();

    public required AzuriteFixture Azurite { get; init; }
    public required int Port { get; init; }
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(60) };

    public Uri BaseUrl => new($"http://127.0.0.1:{Port}/");

    public string Log { get { lock (_log) return _log.ToString(); } }

    public static async Task<GatewayFixture> StartAsync(IReadOnlyDictionary<string, string>? settings = null, AzuriteFixture? azurite = null)
    {
        var f = new GatewayFixture { Azurite = azurite ?? await AzuriteFixture.StartAsync(), Port = AzuriteFixture.FreePort() };
        f.Http.BaseAddress = f.BaseUrl;
        await f.StartHostAsync(settings ?? new Dictionary<string, string>());
        return f;
    }

    private async Task StartHostAsync(IReadOnlyDictionary<string, string> settings)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add(RepoPaths.ProjectOutput("Gateway.LocalHost", "Gateway.LocalHost.dll"));
        void Arg(string name, string value) { info.ArgumentList.Add("--" + name); info.ArgumentList.Add(value); }
        Arg("root", RepoPaths.Root);
        Arg("handler", RepoPaths.ProjectOutput("Gateway.Handler", "Gateway.Handler.dll"));
        Arg("port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var all = new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = Azurite.ConnectionString,
            ["ServiceBusConnection"] = Azurite.ConnectionString,
            ["GATEWAY_DATA_DIR"] = Path.Combine(RepoPaths.Root, "data"),
            ["GATEWAY_DEMO"] = "true",
        };
        foreach (var (k, v) in settings) all[k] = v;
        foreach (var (k, v) in all) Arg("set", $"{k}={v}");
        _host = Process.Start(info) ?? throw new InvalidOperationException("Could not start the local host.");
        _host.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        _host.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        _host.BeginOutputReadLine();
        _host.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (_host.HasExited) throw new InvalidOperationException("The local host exited:\n" + Log);
            try
            {
                using var r = await Http.GetAsync("api/v1/health");
                if (r.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            await Task.Delay(200);
        }
        throw new TimeoutException("The gateway did not become healthy:\n" + Log);
    }

    /// <summary>A client that signs as a demo hospital (keys from data/demo/keys.json).</summary>
    public HospitalClient Hospital(string code) => new(Http, code, DemoKeys.Secret("k-" + code));

    /// <summary>Stops the local host and its handler, leaving Azurite running (a restart of the gateway, not of its store).</summary>
    public async Task StopHostAsync()
    {
        if (_host is not null && !_host.HasExited)
        {
            _host.Kill(entireProcessTree: true);
            await _host.WaitForExitAsync();
        }
        _host?.Dispose();
        _host = null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopHostAsync();
        Http.Dispose();
        await Azurite.DisposeAsync();
    }
}

public static class DemoKeys
{
    private static readonly Lazy<Dictionary<string, string>> Keys = new(() =>
        Newtonsoft.Json.JsonConvert.DeserializeObject<Dictionary<string, string>>(File.ReadAllText(Path.Combine(RepoPaths.Root, "data", "demo", "keys.json")))!);

    public static string Secret(string keyId) => Keys.Value[keyId];
}

/// <summary>A hospital's signed HTTP client (what an integrator writes, docs/api.md).</summary>
public sealed class HospitalClient(HttpClient http, string hospitalCode, string secret)
{
    public string Code => hospitalCode;

    /// <summary>
    /// Retry a write refused at the door by admission control (503 with Retry-After, "refused until it catches up") as an
    /// integrator's client does: signed afresh, after the wait it was given, a few times. Only for requests signed here
    /// (no explicit nonce or time). Off for a test that wants to see the refusal itself.
    /// </summary>
    public bool RetryShedWrites { get; set; } = true;

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string pathAndQuery, string? body = null, int? waitSeconds = null,
        string? nonce = null, DateTimeOffset? at = null, string? keyId = null, string? signAsSecret = null, string contentType = "application/json", string? signPath = null)
    {
        var bytes = body is null ? [] : Encoding.UTF8.GetBytes(body);
        return await SendRawAsync(method, pathAndQuery, body is null ? null : bytes, contentType, waitSeconds: waitSeconds, nonce: nonce, at: at, keyId: keyId, signAsSecret: signAsSecret, signPath: signPath);
    }

    /// <summary>The bytes as given (any encoding), signed over the path as sent (or <paramref name="signPath"/>); chunked leaves Content-Length out.</summary>
    public async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string pathAndQuery, byte[]? body, string contentType, bool chunked = false, int? waitSeconds = null,
        string? nonce = null, DateTimeOffset? at = null, string? keyId = null, string? signAsSecret = null, string? signPath = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            var response = await SendOnceAsync(method, pathAndQuery, body, contentType, chunked, waitSeconds, nonce, at, keyId, signAsSecret, signPath);
            if (!RetryShedWrites || nonce is not null || at is not null || attempt > 4 || (int)response.StatusCode != 503
                || response.Headers.RetryAfter?.Delta is not { } wait) return response;
            await response.Content.LoadIntoBufferAsync();
            if (!(await response.Content.ReadAsStringAsync()).Contains("refused until it catches up", StringComparison.Ordinal)) return response;
            response.Dispose();
            await Task.Delay(wait < TimeSpan.FromSeconds(5) ? wait : TimeSpan.FromSeconds(5));
        }
    }

    private async Task<HttpResponseMessage> SendOnceAsync(HttpMethod method, string pathAndQuery, byte[]? body, string contentType, bool chunked, int? waitSeconds,
        string? nonce, DateTimeOffset? at, string? keyId, string? signAsSecret, string? signPath)
    {
        var bytes = body ?? [];
        // As written: no client-side canonicalisation of the path (an attacker's %73 stays %73).
        var request = new HttpRequestMessage(method, new Uri(new Uri(http.BaseAddress!, "/").ToString().TrimEnd('/') + "/" + pathAndQuery.TrimStart('/'),
            new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true }));
        if (body is not null)
        {
            request.Content = chunked ? new StreamContent(new MemoryStream(bytes)) : new ByteArrayContent(bytes);
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            if (chunked) request.Headers.TransferEncodingChunked = true;
        }
        foreach (var (name, value) in RequestSigning.Headers(keyId ?? "k-" + hospitalCode, signAsSecret ?? secret, method.Method, signPath ?? "/" + pathAndQuery.TrimStart('/'), bytes, at ?? DateTimeOffset.UtcNow, nonce))
            request.Headers.TryAddWithoutValidation(name, value);
        if (waitSeconds is { } w) request.Headers.TryAddWithoutValidation("Prefer", $"wait={w}");
        return await http.SendAsync(request);
    }

    public Task<HttpResponseMessage> SubmitAsync(string body, int? waitSeconds = 10) => SendAsync(HttpMethod.Post, "/api/v1/settlements", body, waitSeconds);

    public Task<HttpResponseMessage> GetAsync(string id, int? waitSeconds = null) => SendAsync(HttpMethod.Get, "/api/v1/settlements/" + id, null, waitSeconds);
}
