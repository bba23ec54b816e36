using System.Net;
using Gateway.Contracts;
using Gateway.Domain;
using Gateway.Handler.Hosting;
using Microsoft.Extensions.Options;
using Newtonsoft.Json;

namespace Gateway.Handler.Home;

/// <summary>What the national directory said about a member.</summary>
public enum DirectoryAnswer { Found, NotFound, Malformed }

/// <summary>
/// Optional lookup of a member the home registry does not know, in the national insured-persons directory
/// (setting <c>NationalDirectoryBaseUrl</c>; GET {base}/members/{region}/{memberId} → a MemberDto). The client's resilience
/// handler (<see cref="OutboundResilience.AddNationalDirectory"/>, numbers in <see cref="NationalDirectoryOptions"/>) times
/// out each try and retries 5xx/timeouts with backoff; if the directory stays unavailable the exception propagates, so the
/// queue redelivers the message later.
/// </summary>
public sealed class NationalDirectory(HttpClient http, IOptions<NationalDirectoryOptions> options)
{
    private readonly Uri? _base = options.Value.NationalDirectoryBaseUrl is { Length: > 0 } b ? new Uri(b.TrimEnd('/') + "/") : null;

    /// <summary>A directory that is not configured: every lookup is not found.</summary>
    public static NationalDirectory Off() => new(new HttpClient(), Options.Create(new NationalDirectoryOptions()));

    public bool Enabled => _base is not null;

    public async Task<(DirectoryAnswer Answer, MemberProfile? Member)> LookupAsync(RegionCode region, string memberId, CancellationToken ct)
    {
        if (_base is null) return (DirectoryAnswer.NotFound, null);
        var url = new Uri(_base, $"members/{region}/{Uri.EscapeDataString(memberId)}");
        using var response = await http.GetAsync(url, ct).ConfigureAwait(false);
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
