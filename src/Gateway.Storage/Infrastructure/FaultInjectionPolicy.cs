using Azure.Core;
using Azure.Core.Pipeline;

namespace Gateway.Storage;

/// <summary>A fault injected on purpose (fault-injection mode only).</summary>
public sealed class InjectedFaultException(string message) : Exception(message);

/// <summary>
/// Deterministic, seeded fault injection for the reliability harness (settings <c>FaultInjectionSeed</c>,
/// <c>FaultInjectionRate</c>): fails a storage write either before it is sent or after it succeeded, which is
/// what a process dying between two writes looks like to everything after it. Never enabled unless configured.
/// </summary>
public sealed class FaultInjectionPolicy(int seed, double rate) : HttpPipelinePolicy
{
    private readonly Random _random = new(seed);
    private long _injected;

    public long Injected => Interlocked.Read(ref _injected);

    /// <summary>Faults start once the app has started (start-up itself is not under test).</summary>
    public bool Armed { get; set; }

    private bool Roll()
    {
        if (!Armed) return false;
        lock (_random) return _random.NextDouble() < rate / 2;
    }

    private static bool IsWrite(HttpMessage message) => message.Request.Method != RequestMethod.Get && message.Request.Method != RequestMethod.Head;

    private void Fail(HttpMessage message, string when)
    {
        var n = Interlocked.Increment(ref _injected);
        Console.Error.WriteLine($"FAULT-INJECTED #{n} {when} {message.Request.Method} {message.Request.Uri.Path}");
        throw new InjectedFaultException($"injected fault #{n} {when} a storage write");
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        if (IsWrite(message) && Roll()) Fail(message, "before");
        ProcessNext(message, pipeline);
        if (IsWrite(message) && message.Response.Status < 300 && Roll()) Fail(message, "after");
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        if (IsWrite(message) && Roll()) Fail(message, "before");
        await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
        if (IsWrite(message) && message.Response.Status < 300 && Roll()) Fail(message, "after");
    }
}
