using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Gateway.Handler.Clearing;

/// <summary>
/// Clearing-staff password hashes: PBKDF2-HMAC-SHA256 with a 16-byte random salt, in the text form
/// <c>pbkdf2-sha256$&lt;iterations&gt;$&lt;salt base64&gt;$&lt;hash base64&gt;</c> (a 32-byte hash; at least
/// <see cref="MinIterations"/> iterations). Made by <c>./gateway hash-password</c> (docs/deploy.md, step 3).
/// Legacy unsalted SHA-256 hex hashes are refused. Shared with gateway-cli (linked source, internal there): no ASP.NET types here.
/// </summary>
#if GATEWAY_CLI
internal
#else
public
#endif
static class PasswordHash
{
    public const string Scheme = "pbkdf2-sha256";
    public const int MinIterations = 100_000;
    public const int DefaultIterations = 100_000;
    /// <summary>An upper bound, so a configured hash cannot make every sign-in arbitrarily slow.</summary>
    public const int MaxIterations = 10_000_000;
    public const int SaltBytes = 16;
    public const int HashBytes = 32;

    /// <summary>A parsed hash: iterations, salt, derived key.</summary>
    public sealed record Parsed(int Iterations, byte[] Salt, byte[] Hash);

    public static string Create(string password, int iterations = DefaultIterations)
    {
        if (iterations is < MinIterations or > MaxIterations) throw new ArgumentOutOfRangeException(nameof(iterations), $"{MinIterations} to {MaxIterations} iterations.");
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, HashBytes);
        return $"{Scheme}${iterations.ToString(CultureInfo.InvariantCulture)}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    /// <summary>Parses a stored hash, or says (without echoing it) why it is refused.</summary>
    public static bool TryParse(string? text, out Parsed? parsed, out string? problem)
    {
        parsed = null;
        problem = null;
        text = text?.Trim() ?? "";
        if (text.Length == 64 && text.All(Uri.IsHexDigit))
        {
            problem = "it is a legacy unsalted SHA-256 hash, which is no longer accepted; make a salted one with ./gateway hash-password (docs/deploy.md, step 3)";
            return false;
        }
        var parts = text.Split('$');
        if (parts.Length != 4 || parts[0] != Scheme)
        {
            problem = $"it is not of the form {Scheme}$<iterations>$<salt base64>$<hash base64> (./gateway hash-password makes one)";
            return false;
        }
        if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations) || iterations is < MinIterations or > MaxIterations)
        {
            problem = $"its iteration count must be a whole number from {MinIterations} to {MaxIterations}";
            return false;
        }
        byte[] salt, hash;
        try
        {
            salt = Convert.FromBase64String(parts[2]);
            hash = Convert.FromBase64String(parts[3]);
        }
        catch (FormatException)
        {
            problem = "its salt or hash is not base64";
            return false;
        }
        if (salt.Length < SaltBytes || hash.Length != HashBytes)
        {
            problem = $"its salt must be at least {SaltBytes} bytes and its hash {HashBytes} bytes";
            return false;
        }
        parsed = new Parsed(iterations, salt, hash);
        return true;
    }

    /// <summary>Derives the key from <paramref name="password"/> and compares it in constant time.</summary>
    public static bool Verify(string password, Parsed stored)
    {
        var derived = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), stored.Salt, stored.Iterations, HashAlgorithmName.SHA256, stored.Hash.Length);
        return CryptographicOperations.FixedTimeEquals(derived, stored.Hash);
    }
}
