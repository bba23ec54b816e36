using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Gateway.Messaging;

/// <summary>
/// The claim check, on both sides of every queue: a body over <see cref="ThresholdBytes"/> is stored as a blob and the queue
/// carries a small reference (schema <c>schemas/claim-check.v1.json</c>):
/// <c>{"claimCheck":{"schemaVersion":1,"container":"message-claims","blob":"…","bytes":N,"sha256":"…"}}</c>. The blob is
/// named by the body's SHA-256, so a retried send writes the same blob, and the receiver checks the hash. Service Bus
/// Standard takes 256 KB a message and the Functions host re-indents a JSON output string (about +56 % for a bill), so with a
/// 32 KiB threshold no message on any queue exceeds 192 KB whatever the bill's size; a 64 KiB storage queue (local) holds
/// any envelope too. Blobs expire by the storage account's lifecycle rule (infra/modules/storage.bicep).
/// </summary>
public sealed class ClaimCheck(BlobContainerClient container, int thresholdBytes = ClaimCheck.DefaultThresholdBytes, TimeProvider? clock = null)
{
    public const int DefaultThresholdBytes = 32 * 1024;
    public const string DefaultContainer = "message-claims";
    private const string Property = "\"claimCheck\"";

    public int ThresholdBytes => thresholdBytes;

    public BlobContainerClient Container => container;

    public Task EnsureAsync(CancellationToken ct) => container.CreateIfNotExistsAsync(cancellationToken: ct);

    /// <summary>The body itself when small, else a reference to the blob now holding it.</summary>
    public async Task<string> WrapAsync(string body, CancellationToken ct)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        if (bytes.Length <= thresholdBytes) return body;
        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var name = $"{(clock ?? TimeProvider.System).GetUtcNow():yyyy/MM/dd}/{hash}";
        try
        {
            await container.GetBlobClient(name).UploadAsync(BinaryData.FromBytes(bytes), overwrite: true, ct).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            await EnsureAsync(ct).ConfigureAwait(false);
            await container.GetBlobClient(name).UploadAsync(BinaryData.FromBytes(bytes), overwrite: true, ct).ConfigureAwait(false);
        }
        return Reference(container.Name, name, bytes.Length, hash);
    }

    public static string Reference(string containerName, string blob, long bytes, string sha256) => new JObject
    {
        ["claimCheck"] = new JObject
        {
            ["schemaVersion"] = 1,
            ["container"] = containerName,
            ["blob"] = blob,
            ["bytes"] = bytes,
            ["sha256"] = sha256,
        },
    }.ToString(Formatting.None);

    /// <summary>A reference as written, or as the Functions host re-indents an output string: <c>{</c>, whitespace, <c>"claimCheck":</c>.</summary>
    public static bool IsReference(string text)
    {
        var i = 0;
        while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
        if (i >= text.Length || text[i] != '{') return false;
        i++;
        while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
        return string.CompareOrdinal(text, i, Property, 0, Property.Length) == 0;
    }

    /// <summary>The full body: the text itself, or the blob a reference names (hash checked).</summary>
    public async Task<string> UnwrapAsync(string text, CancellationToken ct)
    {
        if (!IsReference(text)) return text;
        JObject reference;
        try { reference = (JObject)JObject.Parse(text)["claimCheck"]!; }
        catch (Exception e) when (e is JsonException or InvalidCastException or NullReferenceException)
        {
            throw new InvalidDataException("A claim-check reference that does not parse.", e);
        }
        var blob = (string?)reference["blob"] ?? throw new InvalidDataException("A claim-check reference without a blob.");
        var containerName = (string?)reference["container"] ?? container.Name;
        if (containerName != container.Name) throw new InvalidDataException($"A claim check in container '{containerName}', not '{container.Name}'.");
        var content = (await container.GetBlobClient(blob).DownloadContentAsync(ct).ConfigureAwait(false)).Value.Content.ToArray();
        var hash = Convert.ToHexStringLower(SHA256.HashData(content));
        if (!string.Equals(hash, (string?)reference["sha256"], StringComparison.Ordinal))
            throw new InvalidDataException($"The claimed body {blob} does not match its hash.");
        return Encoding.UTF8.GetString(content);
    }
}
