using System.Globalization;
using Gateway.Storage;

namespace Gateway.Handler.Hosting;

/// <summary>
/// When new hospital writes are refused so that a slow store can drain what it already holds (issue 21, "no retry
/// storms"): more table requests in flight than <see cref="MaxStorageInFlight"/>, their average latency above
/// <see cref="SlowStore"/>, or a table request that went unanswered within the last <see cref="AfterFailure"/>.
/// </summary>
public sealed record IntakeShedding(int MaxStorageInFlight, TimeSpan SlowStore, TimeSpan AfterFailure)
{
    public static IntakeShedding Default { get; } = new(256, TimeSpan.FromMilliseconds(2000), TimeSpan.FromSeconds(5));
}

/// <summary>
/// Admission control at intake. A hospital's write (submit, cancel, filing, a national transaction) is refused at the
/// door, before its body is read or its nonce spent, with 503 <c>service-unavailable</c> and a <c>Retry-After</c>, while
/// the store is under pressure (<see cref="IntakeShedding"/>). Reads, the clearing pages and the queue-triggered
/// functions are never shed: the work already accepted (evaluations, replies, postings) is what drains the pressure,
/// and refusing new work is what keeps a slow store from being handed more of it than it can answer. The refusal is
/// safe to retry: nothing was written, and the settlement id makes the retry idempotent.
/// </summary>
public sealed class IntakeAdmission(StoragePressure pressure, IntakeShedding limits)
{
    private long shed;

    /// <summary>Writes refused so far (diagnostics).</summary>
    public long Shed => Interlocked.Read(ref shed);

    /// <summary>The hospital writes admission control applies to.</summary>
    public static bool IsIntake(HttpRequest request)
    {
        if (!HttpMethods.IsPost(request.Method)) return false;
        var path = request.Path.Value ?? "";
        return path is "/api/v1/settlements" or "/api/v1/filings"
            || (path.StartsWith("/api/v1/settlements/", StringComparison.Ordinal) && path.EndsWith("/cancel", StringComparison.Ordinal))
            || path.StartsWith("/api/v1/national/", StringComparison.Ordinal);
    }

    /// <summary>Null to admit; else how long the caller should wait and why (the problem's detail).</summary>
    public (TimeSpan RetryAfter, string Why)? Decide()
    {
        var p = pressure.Read();
        if (p.SinceLastFailure is { } since && since < limits.AfterFailure)
            return (Ceiling(limits.AfterFailure - since), "The gateway's store did not answer a request just now");
        if (p.InFlight > limits.MaxStorageInFlight)
            return (TimeSpan.FromSeconds(1), $"The gateway's store has {p.InFlight} requests in flight");
        if (p.LatencyMilliseconds > limits.SlowStore.TotalMilliseconds)
            // Long enough for the average to decay below the threshold even if nothing else is measured.
            return (Ceiling(StoragePressure.HalfLife * Math.Log2(p.LatencyMilliseconds / limits.SlowStore.TotalMilliseconds)),
                $"The gateway's store answers in {p.LatencyMilliseconds:0} ms on average");
        return null;
    }

    private static TimeSpan Ceiling(TimeSpan t) => TimeSpan.FromSeconds(Math.Clamp(Math.Ceiling(t.TotalSeconds), 1, 30));

    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        if (IsIntake(context.Request) && Decide() is { } refusal)
        {
            Interlocked.Increment(ref shed);
            context.Response.Headers.RetryAfter = ((int)refusal.RetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            await Problems.Problems.Unavailable($"{refusal.Why}: new work is refused until it catches up. Nothing was recorded; retry after {(int)refusal.RetryAfter.TotalSeconds} s with the same id.")
                .ToResult().ExecuteAsync(context);
            return;
        }
        await next();
    }
}
