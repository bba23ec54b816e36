using System.Diagnostics;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Gateway.Storage;

/// <summary>
/// How hard the table store is being pressed, as the SDK pipeline sees it (one try at a time, retries included): the
/// requests in flight now, a time-decayed average of their latency, and when a request last failed for want of an
/// answer (a network timeout, a refused connection, a 5xx). Intake admission reads it to shed new work with a 503 while
/// the store is slow instead of piling retries onto it (issue 21: "no retry storms"). The latency average decays
/// towards zero when nothing is measured (half-life <see cref="HalfLife"/>), so a store that stopped being asked is not
/// held to be slow forever. Thread-safe; one instance per process.
/// </summary>
public sealed class StoragePressure : HttpPipelinePolicy
{
    public static readonly TimeSpan HalfLife = TimeSpan.FromSeconds(2);
    private const double Weight = 0.1; // of each new measurement in the average

    private readonly TimeProvider clock;
    private readonly Lock gate = new();
    private long inFlight;
    private double latencyMs;
    private long latencyAt;   // timestamp of the last measurement
    private long failedAt;    // timestamp of the last unanswered request; 0 = never

    public StoragePressure(TimeProvider? clock = null) => this.clock = clock ?? TimeProvider.System;

    public readonly record struct Snapshot(long InFlight, double LatencyMilliseconds, TimeSpan? SinceLastFailure);

    public Snapshot Read()
    {
        var now = clock.GetTimestamp();
        lock (gate)
        {
            var decayed = latencyAt == 0 ? 0 : latencyMs * Math.Pow(0.5, clock.GetElapsedTime(latencyAt, now) / HalfLife);
            return new Snapshot(Interlocked.Read(ref inFlight), decayed, failedAt == 0 ? null : clock.GetElapsedTime(failedAt, now));
        }
    }

    /// <summary>One try of one request: how long it took and whether the store answered it (a 5xx or no answer is not an answer).</summary>
    public void Observe(TimeSpan took, bool answered)
    {
        var now = clock.GetTimestamp();
        lock (gate)
        {
            var previous = latencyAt == 0 ? 0 : latencyMs * Math.Pow(0.5, clock.GetElapsedTime(latencyAt, now) / HalfLife);
            latencyMs = latencyAt == 0 ? took.TotalMilliseconds : previous + Weight * (took.TotalMilliseconds - previous);
            latencyAt = now;
            if (!answered) failedAt = now;
        }
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var started = Begin();
        var answered = false;
        try
        {
            ProcessNext(message, pipeline);
            answered = Answered(message);
        }
        finally { End(started, answered || message.CancellationToken.IsCancellationRequested); }
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var started = Begin();
        var answered = false;
        try
        {
            await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
            answered = Answered(message);
        }
        // A caller that gave up is not the store failing: only its own cancellation is excused.
        finally { End(started, answered || message.CancellationToken.IsCancellationRequested); }
    }

    private static bool Answered(HttpMessage message) => message.HasResponse && message.Response.Status is not (408 or 500 or 502 or 503 or 504);

    private long Begin()
    {
        Interlocked.Increment(ref inFlight);
        return clock.GetTimestamp();
    }

    private void End(long started, bool answered)
    {
        Interlocked.Decrement(ref inFlight);
        Observe(clock.GetElapsedTime(started), answered);
    }

    /// <summary>A request measured outside the SDK pipeline (and tests holding one open, as a slow store holds it): in flight until disposed.</summary>
    public IDisposable Hold()
    {
        var started = Begin();
        return new Release(() => End(started, true));
    }

    private sealed class Release(Action action) : IDisposable
    {
        private int done;
        public void Dispose() { if (Interlocked.Exchange(ref done, 1) == 0) action(); }
    }
}

/// <summary>The SDK's per-try network timeout and retries for table requests: chosen so that a request gives up within ~20 s (4 × 5 s) and intake sheds before that.</summary>
public sealed record StorageRetry(TimeSpan NetworkTimeout, int MaxRetries)
{
    public static StorageRetry Default { get; } = new(TimeSpan.FromSeconds(5), 3);
}
