using System.Net.Http.Headers;
using System.Text;
using Gateway.Contracts;
using Gateway.Handler.Reference;

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
/// POSTs the signed result to a hospital's callback URL. The client's resilience handler
/// (<see cref="Hosting.OutboundResilience.AddCallbackSender"/>, numbers in <see cref="Hosting.CallbackOptions"/>: 3 tries per
/// delivery with exponential backoff and a 5 s timeout each by default) retries inside one delivery, and
/// <see cref="CallbackSigningHandler"/> signs every try; a delivery that still fails throws, so the queue redelivers it and
/// after MaxDeliveryCount dead-letters it: attempts are bounded (3 × MaxDeliveryCount).
/// </summary>
public sealed class CallbackSender(HttpClient http, HospitalRegistry hospitals, Security.CallbackPolicy policy, ILogger<CallbackSender> log)
{
    public async Task SendAsync(CallbackMessage message, CancellationToken ct)
    {
        var hospital = hospitals.ByCode(message.HospitalCode) ?? throw new InvalidOperationException($"Unknown hospital {message.HospitalCode}.");
        if (hospitals.Secret(hospital.KeyId) is null) throw new InvalidOperationException($"No key for {message.HospitalCode}.");
        // Checked again at delivery (the hospital's registered hosts may have changed since intake), and at connection time
        // after DNS (CallbackPolicy.ConnectAsync). A refused callback is dropped with an error in the log, never retried.
        if (policy.Check(message.Url, hospital) is { } refused)
        {
            log.LogError("Callback of {Settlement} refused: {Reason}", message.SettlementId, refused);
            return;
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(message.Url)) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(message.Body)) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Options.Set(CallbackSigningHandler.Signer, hospital);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct).ConfigureAwait(false);
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
}

/// <summary>Signs each try of a callback with the hospital's key (a fresh timestamp and nonce per try).</summary>
public sealed class CallbackSigningHandler(HospitalRegistry hospitals, TimeProvider clock) : DelegatingHandler
{
    public static readonly HttpRequestOptionsKey<Hospital> Signer = new("gateway.callback.hospital");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        if (request.Options.TryGetValue(Signer, out var hospital) && hospitals.Secret(hospital.KeyId) is { } secret)
        {
            var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            foreach (var (name, value) in RequestSigning.Headers(hospital.KeyId, Encoding.UTF8.GetString(secret), request.Method.Method, request.RequestUri!.PathAndQuery, body, clock.GetUtcNow()))
            {
                request.Headers.Remove(name);
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }
        return await base.SendAsync(request, ct).ConfigureAwait(false);
    }
}
