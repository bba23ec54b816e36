using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Gateway.Contracts;

/// <summary>
/// The hospital request signature (hospitals can copy this class as their client) (docs/api.md): HMAC-SHA256 with the hospital's secret over
/// <c>METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nhex(SHA-256(body))</c>, base64 in <c>X-Gateway-Signature</c>,
/// with <c>X-Gateway-Key-Id</c>, <c>X-Gateway-Timestamp</c> (Unix seconds) and <c>X-Gateway-Nonce</c>.
/// </summary>
public static class RequestSigning
{
    public const string KeyIdHeader = "X-Gateway-Key-Id";
    public const string TimestampHeader = "X-Gateway-Timestamp";
    public const string NonceHeader = "X-Gateway-Nonce";
    public const string SignatureHeader = "X-Gateway-Signature";
    public static readonly TimeSpan AllowedSkew = TimeSpan.FromMinutes(5);

    public static string CanonicalString(string method, string pathAndQuery, string timestamp, string nonce, ReadOnlySpan<byte> body) =>
        string.Join('\n', method.ToUpperInvariant(), pathAndQuery, timestamp, nonce, Convert.ToHexStringLower(SHA256.HashData(body)));

    public static string Sign(byte[] secret, string method, string pathAndQuery, string timestamp, string nonce, ReadOnlySpan<byte> body) =>
        Convert.ToBase64String(HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes(CanonicalString(method, pathAndQuery, timestamp, nonce, body))));

    public static bool Verify(byte[] secret, string method, string pathAndQuery, string timestamp, string nonce, ReadOnlySpan<byte> body, string signature)
    {
        byte[] given;
        try { given = Convert.FromBase64String(signature); }
        catch (FormatException) { return false; }
        var expected = HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes(CanonicalString(method, pathAndQuery, timestamp, nonce, body)));
        return CryptographicOperations.FixedTimeEquals(given, expected);
    }

    /// <summary>The four headers of a signed request, for a client.</summary>
    public static IReadOnlyList<(string Name, string Value)> Headers(string keyId, string secret, string method, string pathAndQuery, ReadOnlySpan<byte> body, DateTimeOffset now, string? nonce = null)
    {
        var timestamp = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        nonce ??= Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var signature = Sign(Encoding.UTF8.GetBytes(secret), method, pathAndQuery, timestamp, nonce, body);
        return [(KeyIdHeader, keyId), (TimestampHeader, timestamp), (NonceHeader, nonce), (SignatureHeader, signature)];
    }

    public static bool TryParseTimestamp(string? s, out DateTimeOffset at)
    {
        at = default;
        if (!long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > 32503680000) return false;
        at = DateTimeOffset.FromUnixTimeSeconds(seconds);
        return true;
    }
}
