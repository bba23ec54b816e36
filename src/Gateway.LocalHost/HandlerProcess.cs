using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Gateway.LocalHost;

/// <summary>
/// Starts the custom handler as the Functions host does: the executable from host.json (or an override),
/// with the app settings as environment variables and FUNCTIONS_CUSTOMHANDLER_PORT; stops it with the host.
/// </summary>
public sealed class HandlerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private HandlerProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public static async Task<HandlerProcess> StartAsync(string executable, string workingDirectory, Settings settings, int hostPort, CancellationToken ct)
    {
        var port = FreePort();
        var info = new ProcessStartInfo
        {
            FileName = executable.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? "dotnet" : executable,
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
        };
        if (executable.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)) info.ArgumentList.Add(executable);
        foreach (var (k, v) in settings.Values) info.Environment[k] = v;
        info.Environment["FUNCTIONS_CUSTOMHANDLER_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["FUNCTIONS_WORKER_RUNTIME"] = "custom";
        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {executable}.");
        var handler = new HandlerProcess(process, port);
        var deadline = TimeProvider.System.GetUtcNow().UtcDateTime.AddSeconds(60);
        while (TimeProvider.System.GetUtcNow().UtcDateTime < deadline)
        {
            ct.ThrowIfCancellationRequested();
            if (process.HasExited) throw new InvalidOperationException($"The handler exited with code {process.ExitCode} while starting.");
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port, ct);
                return handler;
            }
            catch (SocketException)
            {
                await Task.Delay(100, ct);
            }
        }
        await handler.DisposeAsync();
        throw new TimeoutException("The handler did not listen within 60 s.");
    }

    public bool HasExited => _process.HasExited;

    public ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
