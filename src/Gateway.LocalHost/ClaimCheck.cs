using System.Text;
using Azure.Storage.Blobs;

namespace Gateway.LocalHost;

/// <summary>
/// Storage queue messages hold 64 KB; a 2,000-line encounter's message is larger. Like Service Bus Premium's large
/// messages (what production uses), the local host carries them whole: a body over 48 KB goes to a blob and the
/// queue holds a reference. Invisible to the handler, which always receives the full body.
/// </summary>
public sealed class ClaimCheck(BlobServiceClient blobs)
{
    private const int Limit = 48 * 1024;
    private const string Prefix = "{\"$claimCheck\":\"";
    private readonly BlobContainerClient _container = blobs.GetBlobContainerClient("large-messages");

    public async Task EnsureAsync(CancellationToken ct) => await _container.CreateIfNotExistsAsync(cancellationToken: ct);

    public async Task<string> WrapAsync(string body, CancellationToken ct)
    {
        if (Encoding.UTF8.GetByteCount(body) <= Limit) return body;
        var name = Guid.NewGuid().ToString("N");
        await _container.UploadBlobAsync(name, BinaryData.FromString(body), ct);
        return Prefix + name + "\"}";
    }

    public async Task<string> UnwrapAsync(string body, CancellationToken ct)
    {
        if (!body.StartsWith(Prefix, StringComparison.Ordinal)) return body;
        var name = body[Prefix.Length..^2];
        var content = await _container.GetBlobClient(name).DownloadContentAsync(ct);
        return content.Value.Content.ToString();
    }
}
