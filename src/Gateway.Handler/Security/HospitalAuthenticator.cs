using Gateway.Contracts;
using Gateway.Handler.Problems;
using Gateway.Handler.Reference;
using Gateway.Storage;

namespace Gateway.Handler.Security;

/// <summary>
/// Checks a hospital request's signature, clock skew and nonce (a nonce is accepted once per key, ever). Spent nonces
/// are rows of the hospital's partition of the Settlements table, so a submission spends its nonce in the same
/// transaction that creates the settlement (<see cref="SettlementStore.CreateAsync(SettlementRecord, NonceUse?, CancellationToken)"/>).
/// </summary>
public sealed class HospitalAuthenticator(HospitalRegistry hospitals, SettlementStore settlements, TimeProvider clock)
{
    /// <summary>Verifies the signature and spends the nonce: the check every signed request but a submission uses.</summary>
    public async Task<(Hospital? Hospital, Problem? Problem)> AuthenticateAsync(HttpRequest request, byte[] body, CancellationToken ct)
    {
        var (hospital, nonce, problem) = Verify(request, body);
        if (problem is not null) return (null, problem);
        if (!await SpendAsync(hospital!, nonce!, ct).ConfigureAwait(false)) return (null, Replayed());
        return (hospital, null);
    }

    /// <summary>
    /// Verifies the signature without spending the nonce (no I/O). The caller must spend it before it answers: in the
    /// transaction that creates the settlement, or with <see cref="SpendAsync"/>, answering <see cref="Replayed"/> when that fails.
    /// </summary>
    public (Hospital? Hospital, NonceUse? Nonce, Problem? Problem) Verify(HttpRequest request, byte[] body)
    {
        var keyId = request.Headers[RequestSigning.KeyIdHeader].ToString();
        var timestamp = request.Headers[RequestSigning.TimestampHeader].ToString();
        var nonce = request.Headers[RequestSigning.NonceHeader].ToString();
        var signature = request.Headers[RequestSigning.SignatureHeader].ToString();
        if (keyId.Length == 0 || timestamp.Length == 0 || nonce.Length == 0 || signature.Length == 0)
            return (null, null, ProblemTypes.Unauthenticated("signature-missing",
                $"Sign the request: {RequestSigning.KeyIdHeader}, {RequestSigning.TimestampHeader}, {RequestSigning.NonceHeader} and {RequestSigning.SignatureHeader} are required."));
        var hospital = hospitals.ByKeyId(keyId);
        var secret = hospital is null ? null : hospitals.Secret(keyId);
        if (hospital is null || secret is null)
            return (null, null, ProblemTypes.Unauthenticated("unknown-key", "The key id is not known."));
        if (!RequestSigning.TryParseTimestamp(timestamp, out var at))
            return (null, null, ProblemTypes.Unauthenticated("signature-invalid", "The timestamp must be Unix seconds."));
        if ((clock.GetUtcNow() - at).Duration() > RequestSigning.AllowedSkew)
            return (null, null, ProblemTypes.Unauthenticated("signature-expired", "The timestamp is more than 5 minutes away from the gateway's clock."));
        if (!Keys.IsValidId(nonce) || nonce.Length < 8)
            return (null, null, ProblemTypes.Unauthenticated("signature-invalid", "The nonce must be 8–64 characters of [A-Za-z0-9_-]."));
        if (SignedTarget(request) is not { } pathAndQuery)
            return (null, null, NonCanonical(request));
        if (!RequestSigning.Verify(secret, request.Method, pathAndQuery, timestamp, nonce, body, signature))
            return (null, null, ProblemTypes.Unauthenticated("signature-invalid", "The signature does not match the request."));
        return (hospital, new NonceUse(keyId, nonce, at), null);
    }

    /// <summary>
    /// The path and query exactly as the client sent them (App Service's front end passes the unencoded URL in
    /// <c>X-WAWS-Unencoded-URL</c>; otherwise the server's raw request target), when they are canonical: the path as
    /// <see cref="PathString.ToUriComponent"/> writes it (nothing percent-encoded that need not be, no dot or empty segments)
    /// and the query as the Functions host rebuilds it when it forwards a request (QueryHelpers.AddQueryString over the
    /// parsed query). A request whose target is not canonical is refused (<c>non-canonical-target</c>), never normalised, so
    /// what was signed is what is served. Null when not canonical.
    /// </summary>
    public static string? SignedTarget(HttpRequest request)
    {
        var raw = request.Headers["X-WAWS-Unencoded-URL"].FirstOrDefault()
            ?? request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget
            ?? request.Path.Value + request.QueryString.Value;
        var q = raw.IndexOf('?', StringComparison.Ordinal);
        var path = q < 0 ? raw : raw[..q];
        var query = q < 0 ? "" : raw[q..];
        if (path != request.Path.ToUriComponent() || path.Contains("//", StringComparison.Ordinal)
            || path.Split('/').Any(s => s is "." or ".." || s.Equals("%2e", StringComparison.OrdinalIgnoreCase)))
            return null;
        if (query != CanonicalQuery(request.Query)) return null;
        return raw;
    }

    /// <summary>The query as the Functions host forwards it: every parameter in order, encoded by QueryHelpers.</summary>
    public static string CanonicalQuery(IQueryCollection query) =>
        query.Count == 0 ? "" : Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString("", query.SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string?>(p.Key, v))));

    private static Problem NonCanonical(HttpRequest request)
    {
        var canonical = request.Path.ToUriComponent() + CanonicalQuery(request.Query);
        return ProblemTypes.NonCanonical(canonical);
    }

    /// <summary>Spends a verified request's nonce on its own; false when it was used before.</summary>
    public Task<bool> SpendAsync(Hospital hospital, NonceUse nonce, CancellationToken ct) => settlements.SpendNonceAsync(hospital.Code, nonce, ct);

    public static Problem Replayed() =>
        ProblemTypes.Unauthenticated("signature-replayed", "This nonce was already used: sign every request with a new nonce.");
}
