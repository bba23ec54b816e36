using Gateway.Handler.Problems;

namespace Gateway.Handler.Intake;

/// <summary>
/// Reads a request body within a byte limit: <c>application/json</c> exactly (optionally <c>; charset=utf-8</c>), else 415;
/// a body sent without <c>Content-Length</c> (chunked) never reaches the handler through the Functions host, which forwards a
/// body only when Content-Length is over 0, so an empty body where one is needed is a 411 that says so. The bytes are then
/// read by <see cref="Gateway.Contracts.StrictJson"/>.
/// </summary>
public static class HttpBody
{
    public const long MaxBytes = 1_048_576;

    public static async Task<(byte[]? Body, Problem? Problem)> ReadJsonAsync(HttpRequest request, CancellationToken ct, bool required = true, long maxBytes = MaxBytes)
    {
        if (request.ContentLength > maxBytes) return (null, ProblemTypes.PayloadTooLarge(maxBytes));
        var type = request.ContentType;
        if (type is not null && !IsJson(type)) return (null, ProblemTypes.UnsupportedMediaType());
        var (bytes, tooLarge) = await ReadBoundedAsync(request, maxBytes, ct).ConfigureAwait(false);
        if (tooLarge is not null) return (null, tooLarge);
        if (bytes!.Length == 0)
        {
            if (!required) return ([], null);
            // An empty body where one is needed. Through the Functions host a chunked body arrives exactly so (the host forwards a
            // body only with a length, and its client then sends Content-Length: 0), so the answer says to send the length.
            return (null, ProblemTypes.LengthRequired());
        }
        if (type is null) return (null, ProblemTypes.UnsupportedMediaType());
        return (bytes, null);
    }

    /// <summary>The whole body, or 413 as soon as it passes <paramref name="maxBytes"/> (never read further).</summary>
    public static async Task<(byte[]? Body, Problem? Problem)> ReadBoundedAsync(HttpRequest request, long maxBytes, CancellationToken ct)
    {
        if (request.ContentLength > maxBytes) return (null, ProblemTypes.PayloadTooLarge(maxBytes));
        using var buffer = new MemoryStream();
        var chunk = new byte[16_384];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes) return (null, ProblemTypes.PayloadTooLarge(maxBytes));
            buffer.Write(chunk, 0, read);
        }
        return (buffer.ToArray(), null);
    }

    /// <summary><c>application/json</c>, or with exactly one parameter <c>charset=utf-8</c> (any case, optional quotes).</summary>
    public static bool IsJson(string contentType) => IsMediaType(contentType, "application/json");

    /// <summary>Exactly <paramref name="mediaType"/>, optionally with the one parameter <c>charset=utf-8</c>.</summary>
    public static bool IsMediaType(string contentType, string mediaType)
    {
        var parts = contentType.Split(';');
        if (!parts[0].Trim().Equals(mediaType, StringComparison.OrdinalIgnoreCase)) return false;
        if (parts.Length == 1) return true;
        if (parts.Length > 2) return false;
        var p = parts[1].Trim();
        var eq = p.IndexOf('=', StringComparison.Ordinal);
        if (eq < 0 || !p[..eq].Trim().Equals("charset", StringComparison.OrdinalIgnoreCase)) return false;
        return p[(eq + 1)..].Trim().Trim('"').Equals("utf-8", StringComparison.OrdinalIgnoreCase);
    }
}
