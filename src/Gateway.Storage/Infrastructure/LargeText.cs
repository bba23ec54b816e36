using System.IO.Compression;
using System.Text;
using Azure.Data.Tables;

namespace Gateway.Storage;

/// <summary>
/// A table string property holds at most 32K UTF-16 characters and an entity at most 1 MB. Larger JSON documents
/// (a 2,000-line encounter and its explanation) are gzip-compressed (flag <c>Name_z</c>) and split across numbered
/// properties (Name_0, Name_1, …, with Name_n the count).
/// </summary>
public static class LargeText
{
    private const int Chunk = 30_000;
    public const int MaxChars = 12 * Chunk;

    public static void Write(TableEntity entity, string name, string? text)
    {
        if (text is null) return;
        var compressed = text.Length > Chunk;
        if (compressed)
        {
            using var buffer = new MemoryStream();
            using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest)) gzip.Write(Encoding.UTF8.GetBytes(text));
            text = Convert.ToBase64String(buffer.ToArray());
            entity[name + "_z"] = true;
        }
        if (text.Length > MaxChars) throw new InvalidOperationException($"{name} is {text.Length} characters after compression; at most {MaxChars} fit in one entity.");
        var n = (text.Length + Chunk - 1) / Chunk;
        entity[name + "_n"] = n;
        for (var i = 0; i < n; i++) entity[$"{name}_{i}"] = text.Substring(i * Chunk, Math.Min(Chunk, text.Length - i * Chunk));
    }

    public static string? Read(TableEntity entity, string name)
    {
        var n = entity.GetInt32(name + "_n");
        if (n is null) return null;
        var text = n == 1 ? entity.GetString(name + "_0") : string.Concat(Enumerable.Range(0, n.Value).Select(i => entity.GetString($"{name}_{i}")));
        if (entity.GetBoolean(name + "_z") != true) return text;
        using var gzip = new GZipStream(new MemoryStream(Convert.FromBase64String(text)), CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
