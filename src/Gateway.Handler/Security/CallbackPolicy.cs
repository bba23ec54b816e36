using System.Net;
using System.Net.Sockets;
using Gateway.Handler.Reference;

namespace Gateway.Handler.Security;

/// <summary>
/// Where a hospital callback may go (SSRF defence, docs/security.md): <c>https</c> only, no user info, to a host registered
/// for that hospital (data/hospitals.json <c>callbackHosts</c>, setting <c>CallbackHosts__{code}</c>), and never to a
/// loopback, private, link-local (cloud metadata 169.254.169.254), shared, multicast or unspecified address. The address is
/// checked at intake (an IP literal) and again at every connection, after DNS resolution, in the socket's own connect
/// callback, so a name that re-binds to an inner address between the check and the call is still refused. Redirects are not
/// followed. <c>AllowLoopbackCallbacks</c> (tests only; never in Azure) lets <c>http://127.0.0.1:*</c> through.
/// </summary>
public sealed class CallbackPolicy(bool allowLoopbackForTests)
{
    public static CallbackPolicy Strict { get; } = new(false);

    public bool AllowLoopbackForTests => allowLoopbackForTests;

    public static CallbackPolicy From(IConfiguration configuration) =>
        new(string.Equals(configuration["AllowLoopbackCallbacks"], "true", StringComparison.OrdinalIgnoreCase));

    /// <summary>Null when <paramref name="url"/> may be called back for <paramref name="hospital"/>, else why not.</summary>
    public string? Check(string url, Hospital hospital)
    {
        if (url.Length > Intake.SettlementRequestValidator.MaxCallbackUrl) return $"At most {Intake.SettlementRequestValidator.MaxCallbackUrl} characters.";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var u) || u.Scheme is not ("https" or "http")) return "An absolute https URL.";
        if (u.UserInfo.Length > 0) return "No user name or password in the URL.";
        if (allowLoopbackForTests && u.IsLoopback) return null;
        if (u.Scheme != "https") return "https only: the signed settlement is sent to it.";
        if (IPAddress.TryParse(u.DnsSafeHost, out var ip) && !IsPublic(ip)) return "Not a loopback, private, link-local or metadata address.";
        var host = u.IdnHost.ToLowerInvariant();
        var hostPort = u.IsDefaultPort ? host : $"{host}:{u.Port}";
        if (hospital.CallbackHosts.Count == 0) return $"No callback host is registered for {hospital.Code}: ask the gateway operator to register one (docs/api.md).";
        // A registered "host" is that host on 443; another port must be registered as "host:port".
        if (!hospital.CallbackHosts.Contains(hostPort, StringComparer.Ordinal))
            return $"The host {hostPort} is not registered for {hospital.Code}'s callbacks (registered: {string.Join(", ", hospital.CallbackHosts)}).";
        return null;
    }

    /// <summary>An address a callback may connect to: none of loopback, private, link-local, shared (CGNAT), multicast, unspecified, documentation.</summary>
    public static bool IsPublic(IPAddress ip)
    {
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        if (IPAddress.IsLoopback(ip) || ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any) || ip.Equals(IPAddress.Broadcast)) return false;
        if (ip.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = ip.GetAddressBytes();
            return !(b[0] == 0 || b[0] == 10 || b[0] == 127 || (b[0] == 100 && b[1] >= 64 && b[1] <= 127) || (b[0] == 169 && b[1] == 254)
                     || (b[0] == 172 && b[1] >= 16 && b[1] <= 31) || (b[0] == 192 && b[1] == 168) || (b[0] == 192 && b[1] == 0 && b[2] == 0)
                     || (b[0] == 192 && b[1] == 0 && b[2] == 2) || (b[0] == 198 && (b[1] == 18 || b[1] == 19)) || (b[0] == 198 && b[1] == 51 && b[2] == 100)
                     || (b[0] == 203 && b[1] == 0 && b[2] == 113) || b[0] >= 224);
        }
        if (ip.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var b = ip.GetAddressBytes();
            return !(ip.IsIPv6LinkLocal || ip.IsIPv6SiteLocal || ip.IsIPv6Multicast || (b[0] & 0xFE) == 0xFC || ip.IsIPv6Teredo
                     || (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8) || (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B));
        }
        return false;
    }

    /// <summary>
    /// The callback client's connect step: resolves the host, refuses if any address is not public (unless the test-only
    /// loopback switch allows a loopback one), and connects to the address it checked, never to a second resolution.
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false);
        if (addresses.Length == 0) throw new HttpRequestException($"The callback host {host} does not resolve.");
        foreach (var a in addresses)
        {
            if (!IsPublic(a) && !(allowLoopbackForTests && IPAddress.IsLoopback(a)))
                throw new CallbackRefusedException($"The callback host {host} resolves to a non-public address; refused.");
        }
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses[0], context.DnsEndPoint.Port, ct).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>A callback the policy refuses at connection time: not retried (it would be refused again).</summary>
public sealed class CallbackRefusedException(string message) : Exception(message);
