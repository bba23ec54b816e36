using Azure;
using Azure.Data.Tables;
using Gateway.Contracts;
using Gateway.Handler.Problems;
using Gateway.Handler.Reference;
using Gateway.Storage;

namespace Gateway.Handler.Security;

/// <summary>Checks a hospital request's signature, clock skew and nonce (a nonce is accepted once per key, ever).</summary>
public sealed class HospitalAuthenticator(HospitalRegistry hospitals, GatewayStorage storage, TimeProvider clock)
{
    private readonly TableClient _nonces = storage.Table(GatewayStorage.NoncesTable);

    public async Task<(Hospital? Hospital, Problem? Problem)> AuthenticateAsync(HttpRequest request, byte[] body, CancellationToken ct)
    {
        var keyId = request.Headers[RequestSigning.KeyIdHeader].ToString();
        var timestamp = request.Headers[RequestSigning.TimestampHeader].ToString();
        var nonce = request.Headers[RequestSigning.NonceHeader].ToString();
        var signature = request.Headers[RequestSigning.SignatureHeader].ToString();
        if (keyId.Length == 0 || timestamp.Length == 0 || nonce.Length == 0 || signature.Length == 0)
            return (null, Problems.Problems.Unauthenticated("signature-missing",
                $"Sign the request: {RequestSigning.KeyIdHeader}, {RequestSigning.TimestampHeader}, {RequestSigning.NonceHeader} and {RequestSigning.SignatureHeader} are required."));
        var hospital = hospitals.ByKeyId(keyId);
        var secret = hospital is null ? null : hospitals.Secret(keyId);
        if (hospital is null || secret is null)
            return (null, Problems.Problems.Unauthenticated("unknown-key", "The key id is not known."));
        if (!RequestSigning.TryParseTimestamp(timestamp, out var at))
            return (null, Problems.Problems.Unauthenticated("signature-invalid", "The timestamp must be Unix seconds."));
        if ((clock.GetUtcNow() - at).Duration() > RequestSigning.AllowedSkew)
            return (null, Problems.Problems.Unauthenticated("signature-expired", "The timestamp is more than 5 minutes away from the gateway's clock."));
        if (!Keys.IsValidId(nonce) || nonce.Length < 8)
            return (null, Problems.Problems.Unauthenticated("signature-invalid", "The nonce must be 8–64 characters of [A-Za-z0-9_-]."));
        var pathAndQuery = request.Path.Value + request.QueryString.Value;
        if (!RequestSigning.Verify(secret, request.Method, pathAndQuery, timestamp, nonce, body, signature))
            return (null, Problems.Problems.Unauthenticated("signature-invalid", "The signature does not match the request."));
        try
        {
            await _nonces.AddEntityAsync(new TableEntity(keyId, nonce) { ["At"] = at }, ct).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return (null, Problems.Problems.Unauthenticated("signature-replayed", "This nonce was already used: sign every request with a new nonce."));
        }
        return (hospital, null);
    }
}
