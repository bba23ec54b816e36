using System.Security.Cryptography;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Gateway.LocalHost;

public enum AuthLevel { Anonymous, Function, Admin }

/// <summary>
/// The host's keys, enforced as the Functions host enforces <c>authLevel</c>: <c>function</c> needs a function or host key (or
/// the master key), <c>admin</c> the master key, given in the <c>x-functions-key</c> header or the <c>code</c> query parameter.
/// Locally the keys come from the settings <c>LocalHostFunctionKey</c> / <c>LocalHostMasterKey</c>, or are random per start
/// (so nothing reaches a keyed route without being told the key).
/// </summary>
public sealed class FunctionKeys(string functionKey, string masterKey)
{
    public string FunctionKey => functionKey;
    public string MasterKey => masterKey;

    public static FunctionKeys From(Settings settings) => new(
        settings["LocalHostFunctionKey"] is { Length: > 0 } f ? f : Random(),
        settings["LocalHostMasterKey"] is { Length: > 0 } m ? m : Random());

    private static string Random() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static AuthLevel Level(string? authLevel) => authLevel?.ToLowerInvariant() switch
    {
        null or "anonymous" => AuthLevel.Anonymous,
        "function" => AuthLevel.Function,
        "admin" or "system" => AuthLevel.Admin,
        _ => AuthLevel.Admin,
    };

    public bool Allows(AuthLevel level, HttpRequest request)
    {
        if (level == AuthLevel.Anonymous) return true;
        // The header takes precedence over ?code=, as in the host's AuthenticationLevelHandler.
        var header = request.Headers["x-functions-key"].FirstOrDefault();
        var given = !string.IsNullOrEmpty(header) ? header : request.Query["code"].FirstOrDefault();
        if (string.IsNullOrEmpty(given)) return false;
        if (Same(given, masterKey)) return true;
        return level == AuthLevel.Function && Same(given, functionKey);
    }

    private static bool Same(string a, string b) => CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));
}

/// <summary>The local host's own error answers (no route, wrong method, a key missing): RFC 9457 problem+json, as the handler's.</summary>
public static class LocalProblems
{
    public static async Task WriteAsync(HttpContext context, int status, string type, string title, string detail)
    {
        if (context.Response.HasStarted) return;
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/problem+json";
        var body = new JObject
        {
            ["type"] = "https://gateway.example.org/problems/" + type,
            ["title"] = title,
            ["status"] = status,
            ["detail"] = detail,
        };
        await context.Response.WriteAsync(body.ToString(Formatting.None), context.RequestAborted);
    }
}
