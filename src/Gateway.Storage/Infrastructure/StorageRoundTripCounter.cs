using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Gateway.Storage;

/// <summary>
/// Counts every request the Azure SDK pipeline sends (retries included): storage round-trips are a
/// first-class figure (docs/benchmarks.md). Also counts them by operation ("Settlements batch",
/// "Members query", "Ledger read", …) so the mix per settlement can be read from /api/v1/health.
/// Thread-safe; one instance per process.
/// </summary>
public sealed partial class StorageRoundTripCounter : HttpPipelineSynchronousPolicy
{
    private long _count;
    private readonly ConcurrentDictionary<string, long> _byOperation = new(StringComparer.Ordinal);

    public long Count => Interlocked.Read(ref _count);

    /// <summary>A snapshot of the counts by operation (table and kind of request).</summary>
    public IReadOnlyDictionary<string, long> ByOperation => new SortedDictionary<string, long>(_byOperation, StringComparer.Ordinal);

    public override void OnSendingRequest(HttpMessage message) => Record(Classify(message.Request));

    /// <summary>
    /// Counts one round-trip named as <see cref="Classify"/> names it ("Settlements batch", "Members query", …): how a
    /// client without an HTTP pipeline (<see cref="InMemory.InMemoryTableServiceClient"/>) counts its operations.
    /// </summary>
    public void Record(string operation)
    {
        Interlocked.Increment(ref _count);
        _byOperation.AddOrUpdate(operation, 1, (_, n) => n + 1);
    }

    [GeneratedRegex(@"^/?(?:[^/()]+/)?(?<table>[A-Za-z][A-Za-z0-9]*|\$batch)(?<key>\(.*\))?$")]
    private static partial Regex TablePath();

    [GeneratedRegex(@"(?:POST|PUT|MERGE|PATCH|DELETE|GET) \S*?/(?<table>[A-Za-z][A-Za-z0-9]*)[(? ]")]
    private static partial Regex BatchTable();

    /// <summary>"{table} {read|query|scan|insert|update|upsert|merge|delete|batch}" ("scan": a query naming no partition); unknown shapes by method and path.</summary>
    public static string Classify(Request request)
    {
        var path = Uri.UnescapeDataString(request.Uri.Path);
        var m = TablePath().Match(path);
        var method = request.Method.Method;
        if (!m.Success) return $"{method} {path}";
        var table = m.Groups["table"].Value;
        var keyed = m.Groups["key"].Success && m.Groups["key"].Value.Contains("PartitionKey", StringComparison.Ordinal);
        if (table == "$batch") return $"{BatchTableName(request) ?? "?"} batch";
        if (table == "Tables") return method == "GET" ? "table list" : "table create";
        var conditional = request.Headers.TryGetValue("If-Match", out var ifMatch) && ifMatch != "*";
        var kind = method switch
        {
            "GET" => keyed ? "read" : WithinPartition(request) ? "query" : "scan",
            "POST" => "insert",
            "PUT" => conditional ? "update" : "upsert",
            "PATCH" or "MERGE" => conditional ? "merge" : "upsert-merge",
            "DELETE" => "delete",
            _ => method,
        };
        return $"{table} {kind}";
    }

    /// <summary>A query whose filter names one partition (<c>PartitionKey eq …</c>); otherwise it is a "scan" (table-wide).</summary>
    private static bool WithinPartition(Request request)
    {
        var query = Uri.UnescapeDataString(request.Uri.Query.Replace('+', ' '));
        return query.Contains("PartitionKey eq ", StringComparison.Ordinal);
    }

    /// <summary>The table an entity-group transaction writes (every action of one is in one table).</summary>
    private static string? BatchTableName(Request request)
    {
        if (request.Content is null) return null;
        try
        {
            using var buffer = new MemoryStream();
            request.Content.WriteTo(buffer, CancellationToken.None);
            var text = Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)Math.Min(buffer.Length, 4096));
            var m = BatchTable().Match(text);
            return m.Success ? m.Groups["table"].Value : null;
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException or IOException)
        {
            return null;
        }
    }
}
