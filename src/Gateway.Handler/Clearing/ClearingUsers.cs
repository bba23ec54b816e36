using System.Collections.Concurrent;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Newtonsoft.Json;

namespace Gateway.Handler.Clearing;

/// <summary>
/// One thing a clearing identity may do: role <c>read</c> (read everything under /api/v1/clearing), <c>close</c> (read and
/// close periods), each optionally bound to a region (a region user: also confirms or disputes its own pairs' statements,
/// its own side), or <c>admin</c> bound to a region (a region administrator: imports that region's members, nothing else).
/// Written <c>read</c>, <c>close:511300</c>, <c>admin:511300</c>.
/// </summary>
public sealed record ClearingGrant(string Role, string? Region)
{
    public static readonly string[] Roles = ["read", "close", "admin"];

    public bool Reads => Role is "read" or "close";

    public override string ToString() => Region is null ? Role : $"{Role}:{Region}";

    /// <summary>Parses <c>read|close|admin[:region]</c> (an admin needs a region); null if malformed.</summary>
    public static ClearingGrant? Parse(string role, string? region)
    {
        role = role.Trim();
        region = string.IsNullOrWhiteSpace(region) ? null : region.Trim();
        if (!Roles.Contains(role, StringComparer.Ordinal)) return null;
        if (region is not null && !Gateway.Domain.RegionCode.TryParse(region, out _)) return null;
        if (role == "admin" && region is null) return null;
        return new ClearingGrant(role, region);
    }

    public static ClearingGrant? Parse(string text)
    {
        var parts = text.Split(':');
        return parts.Length switch { 1 => Parse(parts[0], null), 2 => Parse(parts[0], parts[1]), _ => null };
    }
}

/// <summary>A signed-in clearing identity (an HTTP Basic user, or an App Service Authentication principal) and its grants.</summary>
public sealed record ClearingUser(string Name, IReadOnlyList<ClearingGrant> Grants)
{
    public const string GrantClaim = "clearing-grant";

    /// <summary>Reads everything under /api/v1/clearing (role read or close; not a region administrator).</summary>
    public bool CanRead => Grants.Any(g => g.Reads);

    public bool CanClose => Grants.Any(g => g.Role == "close");

    /// <summary>The regions this identity answers statements for (a region user's regions).</summary>
    public IReadOnlyList<string> RespondsFor => Grants.Where(g => g.Reads && g.Region is not null).Select(g => g.Region!).Distinct().Order(StringComparer.Ordinal).ToList();

    public bool CanRespondFor(string region) => RespondsFor.Contains(region);

    public IReadOnlyList<string> Administers => Grants.Where(g => g.Role == "admin").Select(g => g.Region!).Distinct().Order(StringComparer.Ordinal).ToList();

    public bool CanImportFor(string region) => Administers.Contains(region);

    public ClaimsPrincipal ToPrincipal(string authenticationType)
    {
        var claims = new List<Claim> { new(ClaimTypes.Name, Name) };
        claims.AddRange(Grants.Select(g => new Claim(GrantClaim, g.ToString())));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, authenticationType, ClaimTypes.Name, GrantClaim));
    }

    /// <summary>A handler's parameter: the signed-in identity of a request its route's policy has already admitted.</summary>
    public static ValueTask<ClearingUser?> BindAsync(HttpContext context) => ValueTask.FromResult<ClearingUser?>(From(context.User));

    public static ClearingUser From(ClaimsPrincipal principal) =>
        new(principal.Identity?.Name ?? "",
            principal.FindAll(GrantClaim).Select(c => ClearingGrant.Parse(c.Value)).OfType<ClearingGrant>().ToList());

    /// <summary>What GET /api/v1/clearing/me answers: who it is and what it may do (the pages show only that).</summary>
    public ClearingMeView ToView()
    {
        var distinctRegions = Grants.Select(g => g.Region).OfType<string>().Distinct().ToList();
        // One role and region for the usual single-grant identity; the lists say everything.
        return new ClearingMeView(Name, CanClose ? "close" : CanRead ? "read" : Administers.Count > 0 ? "admin" : "none",
            distinctRegions.Count == 1 ? distinctRegions[0] : null, Grants.Select(g => g.ToString()).ToList(), CanRead, CanClose, RespondsFor, Administers);
    }
}

/// <summary>
/// Local clearing-staff credentials (<c>ClearingIdentity</c> = <c>Local</c>, HTTP Basic): demo users from
/// data/demo/clearing-users.json, production ones from the setting <c>ClearingUsers__{name}</c> =
/// <c>{hash}:{role}[:{region}]</c> (a Key Vault reference), the hash being <see cref="PasswordHash"/>'s salted PBKDF2 form.
/// A legacy unsalted SHA-256 hash stops the handler at start, naming the user.
/// Successful verifications are cached briefly (<c>ClearingVerificationCacheSeconds</c>, default 60; 0 = off) under an
/// HMAC of the whole credential with a key made at start, so the pages' Basic header on every request costs one PBKDF2
/// per user per minute, and a wrong password is never a cache hit.
/// </summary>
public sealed class ClearingUsers
{
    private sealed record UserJson(string? PasswordHash, string? PasswordSha256, string Role, string? Region);

    private readonly Dictionary<string, (PasswordHash.Parsed Hash, ClearingUser User)> _users = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (ClearingUser User, DateTimeOffset Until)> _verified = new(StringComparer.Ordinal);
    private readonly byte[] _cacheKey = RandomNumberGenerator.GetBytes(32);
    private readonly TimeProvider _clock;
    // An unknown user name costs what a known one costs, so timing does not tell which names exist.
    private static readonly PasswordHash.Parsed Dummy = new(PasswordHash.DefaultIterations, new byte[PasswordHash.SaltBytes], new byte[PasswordHash.HashBytes]);

    public ClearingUsers(string dataDirectory, IConfiguration configuration, bool demo, TimeProvider? clock = null)
    {
        _clock = clock ?? TimeProvider.System;
        CacheFor = TimeSpan.FromSeconds(double.TryParse(configuration["ClearingVerificationCacheSeconds"], System.Globalization.CultureInfo.InvariantCulture, out var s) && s >= 0 ? Math.Min(s, 600) : 60);
        if (demo)
        {
            var file = Path.Combine(dataDirectory, "demo", "clearing-users.json");
            foreach (var (name, u) in Gateway.Contracts.GatewayJson.Deserialize<Dictionary<string, UserJson>>(File.ReadAllText(file)))
                Add(name, u.PasswordHash ?? u.PasswordSha256, u.Role, u.Region, $"{file}, user {name}");
        }
        foreach (var child in configuration.GetSection("ClearingUsers").GetChildren())
        {
            var parts = (child.Value ?? "").Split(':');
            Add(child.Key, parts[0], parts.Length > 1 ? parts[1] : "", parts.Length > 2 ? parts[2] : null, $"setting ClearingUsers__{child.Key}");
        }
    }

    /// <summary>How long a successful verification is remembered.</summary>
    public TimeSpan CacheFor { get; }

    public IReadOnlyCollection<string> Names => _users.Keys;

    public bool Exists(string name) => _users.ContainsKey(name);

    private void Add(string name, string? hash, string role, string? region, string where)
    {
        if (!PasswordHash.TryParse(hash, out var parsed, out var problem))
            throw new InvalidOperationException($"Clearing user '{name}' ({where}): the password hash is refused: {problem}.");
        var grant = ClearingGrant.Parse(role, region)
            ?? throw new InvalidOperationException($"Clearing user '{name}' ({where}): the role must be read, close or admin, optionally :<six-digit region> (admin needs one).");
        _users[name] = (parsed!, new ClearingUser(name, [grant]));
    }

    /// <summary>The user if <paramref name="password"/> is theirs (PBKDF2, compared in constant time), else null.</summary>
    public ClearingUser? Verify(string name, string password)
    {
        var key = Convert.ToHexString(HMACSHA256.HashData(_cacheKey, Encoding.UTF8.GetBytes(name + "\0" + password)));
        var now = _clock.GetUtcNow();
        if (_verified.TryGetValue(key, out var hit))
        {
            if (hit.Until > now) return hit.User;
            _verified.TryRemove(key, out _);
        }
        if (!_users.TryGetValue(name, out var u))
        {
            PasswordHash.Verify(password, Dummy);
            return null;
        }
        if (!PasswordHash.Verify(password, u.Hash)) return null;
        // Only right passwords are cached: at most one live entry per user and password.
        if (CacheFor > TimeSpan.Zero) _verified[key] = (u.User, now + CacheFor);
        return u.User;
    }
}
