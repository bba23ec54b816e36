using System.Security.Cryptography;
using System.Text;
using Newtonsoft.Json;

namespace Gateway.Handler.Clearing;

/// <summary>
/// A clearing-staff user: role <c>read</c> or <c>close</c> (clearing staff), or <c>admin</c> (a region administrator: imports
/// that region's members, nothing else). Only a region user (role <c>read</c> or <c>close</c> bound to a region) confirms or
/// disputes, and only for its own region; the closing role closes periods but answers for no region.
/// </summary>
public sealed record ClearingUser(string Name, string Role, string? Region)
{
    public bool CanClose => Role == "close";

    /// <summary>Clearing staff of a region (not a region administrator, not central staff without a region).</summary>
    public bool IsRegionUser => Region is not null && Role is ("read" or "close");

    public bool CanRespondFor(string region) => IsRegionUser && Region == region;
}

/// <summary>
/// Clearing-staff credentials: demo users from data/demo/clearing-users.json, production ones from the setting
/// <c>ClearingUsers__{name}</c> = <c>{sha256 hex of password}:{role}[:{region}]</c> (a Key Vault reference).
/// HTTP Basic over TLS; only password hashes are held.
/// </summary>
public sealed class ClearingUsers
{
    private sealed record UserJson(string PasswordSha256, string Role, string? Region);

    private readonly Dictionary<string, (byte[] Hash, ClearingUser User)> _users = new(StringComparer.Ordinal);

    public ClearingUsers(string dataDirectory, IConfiguration configuration, bool demo)
    {
        if (demo)
        {
            var file = Path.Combine(dataDirectory, "demo", "clearing-users.json");
            foreach (var (name, u) in JsonConvert.DeserializeObject<Dictionary<string, UserJson>>(File.ReadAllText(file))!)
                _users[name] = (Convert.FromHexString(u.PasswordSha256), new ClearingUser(name, u.Role, u.Region));
        }
        foreach (var child in configuration.GetSection("ClearingUsers").GetChildren())
        {
            var parts = (child.Value ?? "").Split(':');
            if (parts.Length >= 2) _users[child.Key] = (Convert.FromHexString(parts[0]), new ClearingUser(child.Key, parts[1], parts.Length > 2 ? parts[2] : null));
        }
    }

    public ClearingUser? Authenticate(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return null;
        string decoded;
        try { decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim())); }
        catch (FormatException) { return null; }
        var i = decoded.IndexOf(':');
        if (i <= 0 || !_users.TryGetValue(decoded[..i], out var u)) return null;
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(decoded[(i + 1)..]));
        return CryptographicOperations.FixedTimeEquals(hash, u.Hash) ? u.User : null;
    }
}
