using Azure.Core;
using Azure.Core.Pipeline;

namespace Gateway.Storage;

/// <summary>
/// Counts every request the Azure SDK pipeline sends (retries included): storage round-trips are a
/// first-class figure (docs/benchmarks.md). Thread-safe; one instance per process.
/// </summary>
public sealed class StorageRoundTripCounter : HttpPipelineSynchronousPolicy
{
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public override void OnSendingRequest(HttpMessage message) => Interlocked.Increment(ref _count);
}
