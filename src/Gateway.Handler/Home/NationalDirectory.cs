using System.Net;
using Gateway.Contracts;
using Gateway.Domain;
using Newtonsoft.Json;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Gateway.Handler.Home;

/// <summary>What the national directory said about a member.</summary>
public enum DirectoryAnswer { Found, NotFound, Malformed }

/// <summary>
/// Optional lookup of a member the home registry does not know, in the national insured-persons directory
/// (setting <c>NationalDirectoryBaseUrl</c>; GET {base}/members/{region}/{memberId} → a MemberDto). Each try has a
/// timeout (<c>NationalDirectoryTimeoutSeconds</c>, default 2) and 5xx/timeouts are retried twice with backoff; if
/// the directory stays unavailable the exception propagates, so the queue redelivers the message later.
/// </summary>
public sealed class NationalDirectory(HttpClient http, IConfiguration configuration)
{
    private readonly Uri? _base = configuration["NationalDirectoryBaseUrl"] is { Length: > 0 } b ? new Uri(b.TrimEnd('/') + "/") : null;

    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline = new ResiliencePipelineBuilder<HttpResponseMessage>()
        .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
        {
            MaxRetryAttempts = 2,
            BackoffType = DelayBackoffType.Exponential,
            Delay = TimeSpan.FromMilliseconds(250),
            ShouldHandle = new PredicateBuilder<HttpResponseMessage>().Handle<HttpRequestException>().Handle<TimeoutRejectedException>()
                .HandleResult(r => (int)r.StatusCode >= 500),
            OnRetry = args => { args.Outcome.Result?.Dispose(); return default; },
        })
        .AddTimeout(TimeSpan.FromSeconds(double.TryParse(configuration["NationalDirectoryTimeoutSeconds"], out var t) ? t : 2))
        .Build();

    public bool Enabled => _base is not null;

    public async Task<(DirectoryAnswer Answer, MemberProfile? Member)> LookupAsync(RegionCode region, string memberId, CancellationToken ct)
    {
        if (_base is null) return (DirectoryAnswer.NotFound, null);
        var url = new Uri(_base, $"members/{region}/{Uri.EscapeDataString(memberId)}");
        using var response = await _pipeline.ExecuteAsync(async token => await http.GetAsync(url, token).ConfigureAwait(false), ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound) return (DirectoryAnswer.NotFound, null);
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"The national directory answered {(int)response.StatusCode}.");
        try
        {
            var dto = GatewayJson.Deserialize<MemberDto>(await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false));
            var (member, _) = dto.ToDomain();
            return member is not null && member.HomeRegion == region && member.MemberId == memberId ? (DirectoryAnswer.Found, member) : (DirectoryAnswer.Malformed, null);
        }
        catch (JsonException)
        {
            return (DirectoryAnswer.Malformed, null);
        }
    }
}
