using System.Collections.Concurrent;
using System.Globalization;
using System.Net;

namespace Gateway.Handler.Clearing;

/// <summary>
/// Limits of failed sign-ins (<c>ClearingSignInMaxFailuresPerUser</c> 5, <c>ClearingSignInMaxFailuresPerAddress</c> 20,
/// within <c>ClearingSignInWindowSeconds</c> 300): settings with defaults.
/// </summary>
public sealed record SignInLimits(int MaxFailuresPerUser, int MaxFailuresPerAddress, TimeSpan Window)
{
    public static SignInLimits From(IConfiguration c)
    {
        static int Positive(string? v, int fallback) => int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 ? n : fallback;
        var window = double.TryParse(c["ClearingSignInWindowSeconds"], NumberStyles.Float, CultureInfo.InvariantCulture, out var w) && w >= 1 ? w : 300;
        return new SignInLimits(Positive(c["ClearingSignInMaxFailuresPerUser"], 5), Positive(c["ClearingSignInMaxFailuresPerAddress"], 20), TimeSpan.FromSeconds(window));
    }
}

/// <summary>
/// Failed clearing sign-ins per user and per client address, in a sliding window held in memory (one instance: each
/// instance of a scaled-out app counts its own). While a user or an address has reached its limit, every sign-in for it
/// (the right password too) is refused with 429 until its oldest counted failure leaves the window; refused attempts are
/// not counted, and a success resets nothing, so an attacker's own valid account does not clear its address.
/// Only known user names get a per-user counter (unknown ones count against the address only), and idle addresses are
/// dropped, so memory stays bounded.
/// </summary>
public sealed class SignInThrottle(SignInLimits limits, TimeProvider clock)
{
    private const int PruneAbove = 10_000;

    private sealed class Failures
    {
        public readonly Queue<DateTimeOffset> At = new();
    }

    private readonly ConcurrentDictionary<string, Failures> _failures = new(StringComparer.Ordinal);

    public SignInLimits Limits => limits;

    /// <summary>How long sign-ins for this user or from this address are refused, or null if they are not.</summary>
    public TimeSpan? RetryAfter(string? user, string address)
    {
        var now = clock.GetUtcNow();
        var a = Blocked("a:" + address, limits.MaxFailuresPerAddress, now);
        var u = user is null ? null : Blocked("u:" + user, limits.MaxFailuresPerUser, now);
        return a is null ? u : u is null ? a : (a > u ? a : u);
    }

    public void Failed(string? user, string address)
    {
        var now = clock.GetUtcNow();
        Add("a:" + address, limits.MaxFailuresPerAddress, now);
        if (user is not null) Add("u:" + user, limits.MaxFailuresPerUser, now);
        if (_failures.Count > PruneAbove) Prune(now);
    }

    private TimeSpan? Blocked(string key, int max, DateTimeOffset now)
    {
        if (!_failures.TryGetValue(key, out var f)) return null;
        lock (f)
        {
            Expire(f, now);
            if (f.At.Count < max) return null;
            // The oldest of the last `max` failures: when it leaves the window, the key is below its limit again.
            var until = f.At.ElementAt(f.At.Count - max) + limits.Window;
            var wait = until - now;
            return wait > TimeSpan.Zero ? wait : null;
        }
    }

    private void Add(string key, int max, DateTimeOffset now)
    {
        var f = _failures.GetOrAdd(key, _ => new Failures());
        lock (f)
        {
            Expire(f, now);
            f.At.Enqueue(now);
            while (f.At.Count > max) f.At.Dequeue();
        }
    }

    private void Expire(Failures f, DateTimeOffset now)
    {
        while (f.At.Count > 0 && f.At.Peek() + limits.Window <= now) f.At.Dequeue();
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var (key, f) in _failures)
        {
            lock (f)
            {
                Expire(f, now);
                if (f.At.Count == 0) _failures.TryRemove(key, out _);
            }
        }
    }

    /// <summary>
    /// The client's address: the last entry of X-Forwarded-For (App Service's front end appends the caller's address there,
    /// so entries a caller writes itself stay to its left), else the connection's address. Port and brackets removed.
    /// </summary>
    public static string ClientAddress(HttpContext context)
    {
        var forwarded = context.Request.Headers["X-Forwarded-For"].ToString();
        if (forwarded.Length > 0)
        {
            var last = forwarded.Split(',')[^1].Trim();
            if (IPEndPoint.TryParse(last, out var endpoint)) return endpoint.Address.ToString();
            if (IPAddress.TryParse(last.Trim('[', ']'), out var ip)) return ip.ToString();
        }
        return context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
    }
}
