using System.Diagnostics;
using System.Globalization;

namespace Gateway.Cli.Load;

/// <summary>
/// Cuts a load run into blocks (every N settlements, or every T of wall time) and prints one line per block:
/// how many were answered, the block's throughput, p50/p99 of its completed settlements, how many were not 201
/// (and how many of those were 5xx or transport errors), and Azurite's resident memory at the block's end.
/// The growth and soak benchmarks of docs/benchmarks.md are read from these lines.
/// </summary>
internal sealed class BlockReporter
{
    private readonly TimeSpan? every;
    private readonly int? count;
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly Lock gate = new();
    private List<double> latencies = new(1024);
    private int answered, other, serverErrors, total, number, shed;
    private TimeSpan blockStart = TimeSpan.Zero;

    /// <summary>The lines printed so far (also written to stdout as they come).</summary>
    public List<string> Lines { get; } = [];

    public BlockReporter(LoadBlock? block)
    {
        every = block?.Every;
        count = block?.Count;
    }

    /// <summary>One answer: its HTTP status (0 for a transport error or a client-side timeout) and its latency.</summary>
    public void Record(int status, double milliseconds)
    {
        if (every is null && count is null) return;
        lock (gate)
        {
            answered++; total++;
            if (status == 201) latencies.Add(milliseconds);
            else
            {
                other++;
                if (status is 0 or >= 500) serverErrors++;
            }
        }
    }

    /// <summary>A write shed at the door by admission control, to be sent again (not an answer yet).</summary>
    public void RecordShed()
    {
        if (every is null && count is null) return;
        lock (gate) shed++;
    }

    /// <summary>Prints the current block if it is complete (by count or by time).</summary>
    public void MaybeReport()
    {
        if (every is null && count is null) return;
        lock (gate)
        {
            var due = count is { } n ? answered >= n : clock.Elapsed - blockStart >= every!.Value;
            if (due) Flush();
        }
    }

    /// <summary>Prints what is left as a last (possibly partial) block.</summary>
    public void Report(bool final)
    {
        if (every is null && count is null) return;
        lock (gate) { if (answered > 0 || !final) Flush(); }
    }

    private void Flush()
    {
        var now = clock.Elapsed;
        var span = now - blockStart;
        var sorted = latencies.ToArray();
        Array.Sort(sorted);
        number++;
        var rss = AzuriteResidentMegabytes();
        var line = string.Create(CultureInfo.InvariantCulture,
            $"block {number}: settlements {total - answered + 1}–{total} at {now.TotalSeconds:0}s, {answered / Math.Max(span.TotalSeconds, 0.001):0.0}/s, " +
            $"p50/p99 {Percentile(sorted, 0.50):0}/{Percentile(sorted, 0.99):0} ms, not 201: {other} (5xx or transport: {serverErrors}), shed and sent again: {shed}, " +
            $"azurite rss {(rss is { } r ? r.ToString("0", CultureInfo.InvariantCulture) + " MiB" : "n/a")}");
        Lines.Add(line);
        Console.WriteLine(line);
        latencies = new List<double>(Math.Max(1024, sorted.Length));
        answered = other = serverErrors = shed = 0;
        blockStart = now;
    }

    internal static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    /// <summary>
    /// Azurite's resident set, from /proc: the process ./gateway up started (first line of .tools/run/pids), or
    /// failing that any process whose command line runs azurite. Null where /proc is not there.
    /// </summary>
    internal static double? AzuriteResidentMegabytes()
    {
        try
        {
            var pids = new List<string>();
            if (File.Exists(".tools/run/pids")) pids.Add(File.ReadLines(".tools/run/pids").FirstOrDefault()?.Trim() ?? "");
            if (Directory.Exists("/proc"))
                pids.AddRange(Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(d => d is not null && d.All(char.IsAsciiDigit))!);
            foreach (var pid in pids.Where(p => p.Length > 0))
            {
                var cmdline = $"/proc/{pid}/cmdline";
                if (!File.Exists(cmdline) || !File.ReadAllText(cmdline).Contains("azurite", StringComparison.Ordinal)) continue;
                foreach (var l in File.ReadLines($"/proc/{pid}/status"))
                    if (l.StartsWith("VmRSS:", StringComparison.Ordinal))
                        return double.Parse(l["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }
}

/// <summary>How a load run is cut into report blocks: every <c>Every</c> of wall time, or every <c>Count</c> settlements.</summary>
internal sealed record LoadBlock(TimeSpan? Every, int? Count);
