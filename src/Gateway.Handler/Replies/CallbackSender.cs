using System.Net.Http.Headers;
using System.Text;
using Gateway.Contracts;
using Gateway.Handler.Reference;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Gateway.Handler.Replies;

/// <summary>A hospital callback to deliver: the settlement resource, to the hospital's URL.</summary>
public sealed record CallbackMessage
{
    public int SchemaVersion { get; init; } = 1;
    public required string SettlementId { get; init; }
    public required string HospitalCode { get; init; }
    public required string Url { get; init; }
    public required string Body { get; init; }
}

/// <summary>
/// POSTs the signed result to a hospital's callback URL: up to 3 tries per delivery with exponential backoff
/// and a 5 s timeout each (Polly); a delivery that still fails throws, so the queue redelivers it and after
/// MaxDeliveryCount dead-letters it: attempts are bounded (3 × MaxDeliveryCount).
/// </summary>
public sealed class CallbackSender(HttpClient http, HospitalRegistry hospitals, TimeProvider clock, IConfiguration configuration, Security.CallbackPolicy policy,
    ILogger<CallbackSender> log)
{
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline =
        Build(TimeSpan.FromSeconds(double.TryParse(configuration["CallbackTimeoutSeconds"], out var t) ? t : 5));

    /// <summary>Retries with exponential backoff inside one delivery, each try bounded by <paramref name="timeout"/> (setting <c>CallbackTimeoutSeconds</c>).</summary>
    public static ResiliencePipeline<HttpResponseMessage> Build(TimeSpan timeout) => new ResiliencePipelineBuilder<HttpResponseMessage>()
        .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
        {
            MaxRetryAttempts = 2,
            BackoffType = DelayBackoffType.Exponential,
            Delay = TimeSpan.FromMilliseconds(200),
            ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                .Handle<HttpRequestException>(e => e.InnerException is not Security.CallbackRefusedException).Handle<TimeoutRejectedException>()
                .HandleResult(r => (int)r.StatusCode >= 500 || r.StatusCode == System.Net.HttpStatusCode.TooManyRequests),
            OnRetry = args =>
            {
                args.Outcome.Result?.Dispose();
                return default;
            },
        })
        .AddTimeout(timeout)
        .Build();

    public async Task SendAsync(CallbackMessage message, CancellationToken ct)
    {
        var hospital = hospitals.ByCode(message.HospitalCode) ?? throw new InvalidOperationException($"Unknown hospital {message.HospitalCode}.");
        var secret = hospitals.Secret(hospital.KeyId) ?? throw new InvalidOperationException($"No key for {message.HospitalCode}.");
        // Checked again at delivery (the hospital's registered hosts may have changed since intake), and at connection time
        // after DNS (CallbackPolicy.ConnectAsync). A refused callback is dropped with an error in the log, never retried.
        if (policy.Check(message.Url, hospital) is { } refused)
        {
            log.LogError("Callback of {Settlement} refused: {Reason}", message.SettlementId, refused);
            return;
        }
        var url = new Uri(message.Url);
        var body = Encoding.UTF8.GetBytes(message.Body);
        HttpResponseMessage response;
        try
        {
            response = await Send(url, body, hospital, secret, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (e.InnerException is Security.CallbackRefusedException r)
        {
            log.LogError("Callback of {Settlement} refused: {Reason}", message.SettlementId, r.Message);
            return;
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
                throw new HttpRequestException($"The callback of {message.SettlementId} answered {(int)response.StatusCode}.");
        }
    }

    private async Task<HttpResponseMessage> Send(Uri url, byte[] body, Hospital hospital, byte[] secret, CancellationToken ct) =>
        await _pipeline.ExecuteAsync(async token =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            foreach (var (name, value) in RequestSigning.Headers(hospital.KeyId, Encoding.UTF8.GetString(secret), "POST", url.PathAndQuery, body, clock.GetUtcNow()))
                request.Headers.TryAddWithoutValidation(name, value);
            return await http.SendAsync(request, token).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);
}
