using System.Net.Http.Headers;
using Gateway.Handler.Hosting;

namespace Gateway.Handler.Intake;

/// <summary>
/// Hands an evaluation request to the home region's queue through the <c>Dispatch</c> function of the host this
/// handler runs under (its Service Bus output bindings do the sending). Going through the host lets the
/// submitting request return or wait while the message is already on its way. A failed dispatch is not lost:
/// the settlement row holds the message and the sweep re-dispatches it.
/// </summary>
public sealed class Dispatcher(HttpClient http, HandlerSettings settings, ILogger<Dispatcher> log)
{
    public async Task<bool> DispatchAsync(string requestMessageJson, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(settings.HostBaseUrl, "api/internal/dispatch"))
        {
            Content = new StringContent(requestMessageJson, new MediaTypeHeaderValue("application/json")),
        };
        if (settings.DispatchKey.Length > 0) request.Headers.Add("x-functions-key", settings.DispatchKey);
        try
        {
            using var response = await http.SendAsync(request, ct).ConfigureAwait(false);
            if (response.IsSuccessStatusCode) return true;
            log.LogWarning("Dispatch answered {Status}; the sweep will retry.", (int)response.StatusCode);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            log.LogWarning("Dispatch failed ({Error}); the sweep will retry.", e.GetType().Name);
        }
        return false;
    }
}
