using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Contracts;

namespace Gateway.Cli.Load;

/// <summary>
/// The hostile mix of a soak (docs/benchmarks.md): alongside the settlement traffic, a few requests a second that must be
/// refused cleanly and never cost the gateway a 5xx: a wrong signature (401), a malformed body (400), an oversize body
/// (413), an unknown member (422 from the home region), a cancel racing its own submission (the cancel answers 202/200 or
/// 409, the settlement ends completed or cancelled), and a callback to a loopback listener that accepts and then never
/// answers (refused at intake, 400, by the SSRF policy under <c>./gateway up</c>; where a test host allows loopback
/// callbacks the settlement completes and the callback times out in the background).
/// Each kind is sent in turn; the result counts what was sent, what was answered as expected, and every unexpected answer.
/// </summary>
internal static class HostileLoad
{
    public sealed record Result(int Sent, int Expected, IReadOnlyDictionary<string, int> Unexpected);

    private static readonly string[] Kinds = ["bad-signature", "malformed", "oversize", "unknown-member", "cancel-race", "silent-callback"];

    public static async Task<Result> RunAsync(HttpClient http, IReadOnlyDictionary<string, string> secrets, string template, string run, double rate,
        Task[] traffic, CancellationToken ct)
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var held = new ConcurrentBag<TcpClient>();
        var accept = Task.Run(async () =>
        {
            // Accepts and holds every connection without ever answering: a callback receiver that has stopped responding.
            try { while (!ct.IsCancellationRequested) held.Add(await silent.AcceptTcpClientAsync(ct)); }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { }
        }, CancellationToken.None);
        var silentUrl = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}/callbacks";

        var sent = 0;
        var expected = 0;
        var unexpected = new ConcurrentDictionary<string, int>();
        var running = new List<Task>();
        var origin = Stopwatch.GetTimestamp();
        var all = Task.WhenAll(traffic);
        for (var i = 0; !all.IsCompleted && !ct.IsCancellationRequested; i++)
        {
            var due = origin + (long)(i / rate * Stopwatch.Frequency);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.Zero)
            {
                try { await Task.WhenAny(Task.Delay(wait, ct), all); }
                catch (OperationCanceledException) { break; }
                if (all.IsCompleted) break;
            }
            var kind = Kinds[i % Kinds.Length];
            var n = i;
            running.Add(Task.Run(async () =>
            {
                string? verdict;
                try { verdict = await SendAsync(http, secrets, template, $"{run}-x{n}", kind, silentUrl, ct); }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { verdict = ct.IsCancellationRequested ? null : $"{kind}: {e.GetType().Name}"; }
                if (verdict is null) Interlocked.Increment(ref expected);
                else unexpected.AddOrUpdate(verdict, 1, (_, c) => c + 1);
                Interlocked.Increment(ref sent);
            }, CancellationToken.None));
        }
        await Task.WhenAll(running);
        silent.Stop();
        await accept;
        foreach (var c in held) c.Dispose();
        return new Result(sent, expected, unexpected);
    }

    /// <summary>Sends one hostile request; null when it was answered as it must be, else a short description of what came back.</summary>
    private static async Task<string?> SendAsync(HttpClient http, IReadOnlyDictionary<string, string> secrets, string template, string id, string kind, string silentUrl,
        CancellationToken ct)
    {
        const string hospital = "H440300001";
        var body = template.Replace("__ID__", id, StringComparison.Ordinal);
        switch (kind)
        {
            case "bad-signature":
                return Verdict(kind, await PostAsync(http, hospital, "not-the-secret", "/api/v1/settlements", body, 0, ct), 401);
            case "malformed":
                return Verdict(kind, await PostAsync(http, hospital, secrets["k-" + hospital], "/api/v1/settlements", body[..(body.Length / 2)], 0, ct), 400);
            case "oversize":
                return Verdict(kind, await PostAsync(http, hospital, secrets["k-" + hospital], "/api/v1/settlements", body + new string(' ', 1_100_000), 0, ct), 413, 400);
            case "unknown-member":
                return Verdict(kind, await PostAsync(http, hospital, secrets["k-" + hospital], "/api/v1/settlements", body.Replace("M511300001", "M511300999", StringComparison.Ordinal), 20, ct), 422);
            case "cancel-race":
            {
                var submit = PostAsync(http, hospital, secrets["k-" + hospital], "/api/v1/settlements", body, 0, ct);
                var cancel = PostAsync(http, hospital, secrets["k-" + hospital], $"/api/v1/settlements/{id}/cancel", "{\"reason\":\"soak: a cancel racing its submission\"}", 0, ct);
                var s = await submit;
                var c = await cancel;
                return Verdict(kind + " submit", s, 201, 202) ?? Verdict(kind + " cancel", c, 200, 202, 404, 409);
            }
            case "silent-callback":
            {
                var withCallback = body.Replace("\"member\":", $"\"callbackUrl\": \"{silentUrl}\", \"member\":", StringComparison.Ordinal);
                return Verdict(kind, await PostAsync(http, hospital, secrets["k-" + hospital], "/api/v1/settlements", withCallback, 20, ct), 400, 201, 202);
            }
            default: throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    private static string? Verdict(string kind, int status, params int[] allowed) => allowed.Contains(status) ? null : $"{kind}: {status}";

    private static async Task<int> PostAsync(HttpClient http, string hospital, string secret, string path, string body, int wait, CancellationToken ct)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        using var request = new HttpRequestMessage(HttpMethod.Post, path.TrimStart('/')) { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        foreach (var (n, v) in RequestSigning.Headers("k-" + hospital, secret, "POST", path, bytes, TimeProvider.System.GetUtcNow()))
            request.Headers.TryAddWithoutValidation(n, v);
        if (wait > 0) request.Headers.TryAddWithoutValidation("Prefer", $"wait={wait}");
        using var response = await http.SendAsync(request, ct);
        return (int)response.StatusCode;
    }
}
