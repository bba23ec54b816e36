using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gateway.TestSupport;

/// <summary>
/// Azurite in memory on free loopback ports (never the defaults, never a running gateway's). Installed with npm
/// into .tools/azurite when missing. A watchdog kills it when the test process goes away, even on a crash.
/// </summary>
public sealed class AzuriteFixture : IAsyncDisposable, IDisposable
{
    private const string Version = "3.37.0";
    private static readonly SemaphoreSlim InstallLock = new(1, 1);
    private Process? _process;

    public int BlobPort { get; private set; }
    public int QueuePort { get; private set; }
    public int TablePort { get; private set; }

    public string ConnectionString =>
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
        $"BlobEndpoint=http://127.0.0.1:{BlobPort}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{QueuePort}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{TablePort}/devstoreaccount1;";

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>Where Azurite keeps its data, or null: in memory (the default for tests).</summary>
    public string? Location { get; private init; }

    private string? _pidFile;

    /// <summary>What this Azurite printed (on disk: the table journal's lines, e.g. its self-check at a clean stop).</summary>
    public string LogFile { get; private set; } = "";

    /// <summary>Environment for the Azurite process (e.g. GATEWAY_JOURNAL_COMPACT_BYTES to make the journal compact often).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; private init; } = new Dictionary<string, string>();

    public static async Task<AzuriteFixture> StartAsync(string? location = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var f = new AzuriteFixture { Location = location, Environment = environment ?? new Dictionary<string, string>() };
        await f.StartInternalAsync();
        return f;
    }

    /// <summary>
    /// A clean stop, as Ctrl-C on ./gateway up: SIGTERM to Azurite, which saves its store to <see cref="Location"/> and exits;
    /// waits until the process is gone.
    /// </summary>
    public Task StopAsync() => SignalAndWaitAsync("-TERM");

    /// <summary>A crash: SIGKILL to Azurite, no chance to flush anything; waits until the process is gone.</summary>
    public Task CrashAsync() => SignalAndWaitAsync("-KILL");

    private async Task SignalAndWaitAsync(string signal)
    {
        if (ProcessId is { } pid)
        {
            Process.Start(new ProcessStartInfo("kill", [signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })?.WaitForExit(5000);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (Directory.Exists($"/proc/{pid}") && DateTime.UtcNow < deadline) await Task.Delay(50);
        }
        Dispose();
    }

    /// <summary>Azurite's process id, or null before it started or after it stopped.</summary>
    public int? ProcessId =>
        _pidFile is not null && File.Exists(_pidFile) && int.TryParse(File.ReadAllText(_pidFile).Trim(), out var pid) && Directory.Exists($"/proc/{pid}") ? pid : null;

    /// <summary>What this Azurite has printed so far.</summary>
    public string ReadLog() => ReadLog(LogFile);

    private static async Task<string> EnsureInstalledAsync()
    {
        var fromEnv = System.Environment.GetEnvironmentVariable("GATEWAY_AZURITE");
        if (!string.IsNullOrEmpty(fromEnv) && File.Exists(fromEnv)) return fromEnv;
        var dir = Path.Combine(RepoPaths.Root, ".tools", "azurite");
        var bin = Path.Combine(dir, "node_modules", ".bin", "azurite");
        await InstallLock.WaitAsync();
        try
        {
            if (File.Exists(bin)) return bin;
            Directory.CreateDirectory(dir);
            var npm = Process.Start(new ProcessStartInfo("npm", $"install --prefix \"{dir}\" azurite@{Version} --no-audit --no-fund --loglevel=error") { UseShellExecute = false })!;
            await npm.WaitForExitAsync();
            if (npm.ExitCode != 0 || !File.Exists(bin)) throw new InvalidOperationException("npm could not install azurite.");
            return bin;
        }
        finally { InstallLock.Release(); }
    }

    private async Task StartInternalAsync()
    {
        var bin = await EnsureInstalledAsync();
        // A port picked free may be taken again before Azurite binds it, and a loaded machine (a publish or a
        // Bicep build running beside the tests) can make node slow to start: Azurite that dies is started again on
        // new ports, and what it printed is kept for the failure message.
        var failures = new StringBuilder();
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var reason = await TryStartAsync(bin, TimeSpan.FromSeconds(60));
            if (reason is null) return;
            failures.AppendLine($"attempt {attempt} (blob {BlobPort}, queue {QueuePort}, table {TablePort}): {reason}");
            Dispose();
        }
        throw new InvalidOperationException("Azurite did not start:\n" + failures);
    }

    private async Task<string?> TryStartAsync(string bin, TimeSpan timeout)
    {
        BlobPort = FreePort();
        QueuePort = FreePort();
        TablePort = FreePort();
        var logDir = Path.Combine(RepoPaths.Root, "artifacts", "azurite");
        Directory.CreateDirectory(logDir);
        var logFile = Path.Combine(logDir, $"azurite-{System.Environment.ProcessId}-{TablePort}.log");
        LogFile = logFile;
        var persistence = Location is null ? "--inMemoryPersistence" : $"--location '{Location}'";
        // On disk, the table journal checks itself against memory at a clean stop (tools/azurite-table-journal.js).
        var env = new Dictionary<string, string>(Environment);
        if (Location is not null) env.TryAdd("GATEWAY_JOURNAL_VERIFY", "1");
        var assignments = string.Concat(env.Select(kv => $"{kv.Key}='{kv.Value}' "));
        // The same flags as ./gateway up (tools/azurite.flags: quiet, lenient on API versions, no telemetry).
        var flags = string.Join(' ', File.ReadAllLines(Path.Combine(RepoPaths.Root, "tools", "azurite.flags")).Where(l => l.Length > 0));
        var azurite = $"{assignments}'{bin}' {persistence} {flags} --blobHost 127.0.0.1 --blobPort {BlobPort} " +
                      $"--queueHost 127.0.0.1 --queuePort {QueuePort} --tableHost 127.0.0.1 --tablePort {TablePort}";
        _pidFile = Path.Combine(logDir, $"azurite-{System.Environment.ProcessId}-{TablePort}.pid");
        // The watchdog: Azurite dies with the test process, whatever way that ends.
        var script = $"{azurite} >'{logFile}' 2>&1 & A=$!; echo $A >'{_pidFile}'; while kill -0 {System.Environment.ProcessId} 2>/dev/null && kill -0 $A 2>/dev/null; do sleep 1; done; kill -9 $A 2>/dev/null";
        var info = new ProcessStartInfo("setsid", ["bash", "-c", script]) { UseShellExecute = false };
        _process = Process.Start(info) ?? throw new InvalidOperationException("Could not start azurite.");
        var deadline = DateTime.UtcNow + timeout;
        foreach (var port in new[] { TablePort, QueuePort, BlobPort })
        {
            while (true)
            {
                try
                {
                    using var c = new TcpClient();
                    await c.ConnectAsync(IPAddress.Loopback, port);
                    break;
                }
                catch (SocketException)
                {
                    if (_process.HasExited) return "Azurite exited: " + ReadLog(logFile);
                    if (DateTime.UtcNow > deadline) return $"port {port} not listening after {timeout.TotalSeconds:0} s: " + ReadLog(logFile);
                    await Task.Delay(100);
                }
            }
        }
        return null;
    }

    private static string ReadLog(string path)
    {
        try { return File.Exists(path) ? File.ReadAllText(path).Trim() : "(no output)"; }
        catch (IOException e) { return "(log unreadable: " + e.Message + ")"; }
    }

    public void Dispose()
    {
        if (_process is null) return;
        try
        {
            // The process group: bash, its watchdog loop and Azurite (in memory: nothing to flush, and it can hang on SIGTERM).
            Process.Start(new ProcessStartInfo("kill", ["-KILL", "--", "-" + _process.Id]) { UseShellExecute = false })?.WaitForExit(5000);
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
        _process = null;
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
