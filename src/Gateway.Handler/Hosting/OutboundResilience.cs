using Gateway.Handler.Home;
using Gateway.Handler.Replies;
using Gateway.Handler.Security;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Timeout;

namespace Gateway.Handler.Hosting;

/// <summary>Retries and a per-try timeout of one outbound client, by the settings' own names (see the subclasses).</summary>
public abstract class OutboundRetryOptions
{
    protected abstract double Timeout { get; }
    protected abstract int Attempts { get; }
    protected abstract double DelayMilliseconds { get; }

    internal IEnumerable<string> Check(string prefix)
    {
        if (!(Timeout is > 0 and <= 120)) yield return $"{prefix}TimeoutSeconds is {Timeout}; it must be over 0 and at most 120.";
        if (Attempts is < 0 or > 10) yield return $"{prefix}RetryAttempts is {Attempts}; it must be from 0 to 10.";
        if (!(DelayMilliseconds is >= 0 and <= 60_000)) yield return $"{prefix}RetryDelayMilliseconds is {DelayMilliseconds}; it must be from 0 to 60000.";
    }

    /// <summary>The one definition of the client's policy: retries with exponential backoff around a timeout per try.</summary>
    internal void Configure(ResiliencePipelineBuilder<HttpResponseMessage> pipeline, Func<Outcome<HttpResponseMessage>, bool> retryable)
    {
        if (Attempts > 0)
        {
            pipeline.AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = Attempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = false,
                Delay = TimeSpan.FromMilliseconds(DelayMilliseconds),
                ShouldRetryAfterHeader = false,
                ShouldHandle = args => ValueTask.FromResult(retryable(args.Outcome)),
            });
        }
        pipeline.AddTimeout(TimeSpan.FromSeconds(Timeout));
    }
}

/// <summary>Hospital callbacks: <c>CallbackTimeoutSeconds</c> (5), <c>CallbackRetryAttempts</c> (2), <c>CallbackRetryDelayMilliseconds</c> (200).</summary>
public sealed class CallbackOptions : OutboundRetryOptions
{
    public double CallbackTimeoutSeconds { get; set; } = 5;
    public int CallbackRetryAttempts { get; set; } = 2;
    public double CallbackRetryDelayMilliseconds { get; set; } = 200;
    protected override double Timeout => CallbackTimeoutSeconds;
    protected override int Attempts => CallbackRetryAttempts;
    protected override double DelayMilliseconds => CallbackRetryDelayMilliseconds;

    /// <summary>A connection error (not a refused address), a timed-out try, a 5xx or a 429.</summary>
    public static bool Retryable(Outcome<HttpResponseMessage> o) => o switch
    {
        { Exception: HttpRequestException e } => e.InnerException is not CallbackRefusedException,
        { Exception: TimeoutRejectedException } => true,
        { Result: { } r } => (int)r.StatusCode >= 500 || r.StatusCode == System.Net.HttpStatusCode.TooManyRequests,
        _ => false,
    };
}

/// <summary>
/// The national directory: <c>NationalDirectoryBaseUrl</c> (none: off), <c>NationalDirectoryTimeoutSeconds</c> (2),
/// <c>NationalDirectoryRetryAttempts</c> (2), <c>NationalDirectoryRetryDelayMilliseconds</c> (250).
/// </summary>
public sealed class NationalDirectoryOptions : OutboundRetryOptions
{
    public string? NationalDirectoryBaseUrl { get; set; }
    public double NationalDirectoryTimeoutSeconds { get; set; } = 2;
    public int NationalDirectoryRetryAttempts { get; set; } = 2;
    public double NationalDirectoryRetryDelayMilliseconds { get; set; } = 250;
    protected override double Timeout => NationalDirectoryTimeoutSeconds;
    protected override int Attempts => NationalDirectoryRetryAttempts;
    protected override double DelayMilliseconds => NationalDirectoryRetryDelayMilliseconds;

    /// <summary>A connection error, a timed-out try or a 5xx.</summary>
    public static bool Retryable(Outcome<HttpResponseMessage> o) => o switch
    {
        { Exception: HttpRequestException or TimeoutRejectedException } => true,
        { Result: { } r } => (int)r.StatusCode >= 500,
        _ => false,
    };
}

public static class OutboundResilience
{
    /// <summary>The callback sender's client: resilience (Microsoft.Extensions.Http.Resilience), then signing of each try, then the SSRF-checked connection.</summary>
    public static IServiceCollection AddCallbackSender(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CallbackOptions>().Bind(configuration)
            .Validate(o => !o.Check("Callback").Any(), "Callback settings: CallbackTimeoutSeconds over 0 (≤ 120), CallbackRetryAttempts 0–10, CallbackRetryDelayMilliseconds 0–60000.")
            .ValidateOnStart();
        services.AddTransient<CallbackSigningHandler>();
        var client = services.AddHttpClient<CallbackSender>(c => c.Timeout = TimeSpan.FromSeconds(30));
        client.ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                // SSRF: the policy resolves and checks every address at connect time; a redirect could point anywhere.
                ConnectCallback = sp.GetRequiredService<CallbackPolicy>().ConnectAsync,
                AllowAutoRedirect = false,
                UseCookies = false,
            });
        client.AddResilienceHandler("callback", (pipeline, context) =>
            context.ServiceProvider.GetRequiredService<IOptions<CallbackOptions>>().Value.Configure(pipeline, CallbackOptions.Retryable));
        client.AddHttpMessageHandler<CallbackSigningHandler>(); // inside the retries: every try is signed afresh (a new nonce and timestamp)
        return services;
    }

    /// <summary>The national directory's client with its resilience handler.</summary>
    public static IServiceCollection AddNationalDirectory(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<NationalDirectoryOptions>().Bind(configuration)
            .Validate(o => !o.Check("NationalDirectory").Any() && (string.IsNullOrEmpty(o.NationalDirectoryBaseUrl) || Uri.TryCreate(o.NationalDirectoryBaseUrl, UriKind.Absolute, out _)),
                "National directory settings: NationalDirectoryBaseUrl an absolute URL (or none), NationalDirectoryTimeoutSeconds over 0 (≤ 120), NationalDirectoryRetryAttempts 0–10, NationalDirectoryRetryDelayMilliseconds 0–60000.")
            .ValidateOnStart();
        services.AddHttpClient<NationalDirectory>(c => c.Timeout = TimeSpan.FromSeconds(30))
            .AddResilienceHandler("national-directory", (pipeline, context) =>
                context.ServiceProvider.GetRequiredService<IOptions<NationalDirectoryOptions>>().Value.Configure(pipeline, NationalDirectoryOptions.Retryable));
        return services;
    }
}
