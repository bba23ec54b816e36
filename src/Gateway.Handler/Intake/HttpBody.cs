using Gateway.Handler.Problems;

namespace Gateway.Handler.Intake;

/// <summary>Reads a request body within a byte limit; JSON only.</summary>
public static class HttpBody
{
    public const long MaxBytes = 1_048_576;

    public static async Task<(byte[]? Body, Problem? Problem)> ReadJsonAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > MaxBytes) return (null, Problems.Problems.PayloadTooLarge(MaxBytes));
        if (request.ContentLength is > 0 || request.ContentType is not null)
        {
            var type = request.ContentType ?? "";
            if (!type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
                || (type.Contains("charset", StringComparison.OrdinalIgnoreCase) && !type.Contains("utf-8", StringComparison.OrdinalIgnoreCase)))
                return (null, Problems.Problems.UnsupportedMediaType());
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[16_384];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxBytes) return (null, Problems.Problems.PayloadTooLarge(MaxBytes));
            buffer.Write(chunk, 0, read);
        }
        return (buffer.ToArray(), null);
    }
}
