using Azure.Data.Tables;

namespace Gateway.Storage;

/// <summary>
/// A table string property holds at most 32K UTF-16 characters; larger JSON documents are split across
/// numbered properties (Name_0, Name_1, …, with Name_n the count). An entity stays below 1 MB.
/// </summary>
public static class LargeText
{
    private const int Chunk = 30_000;
    public const int MaxChars = 30 * Chunk;

    public static void Write(TableEntity entity, string name, string? text)
    {
        if (text is null) return;
        if (text.Length > MaxChars) throw new InvalidOperationException($"{name} is {text.Length} characters; at most {MaxChars} fit in one entity.");
        var n = (text.Length + Chunk - 1) / Chunk;
        entity[name + "_n"] = n;
        for (var i = 0; i < n; i++) entity[$"{name}_{i}"] = text.Substring(i * Chunk, Math.Min(Chunk, text.Length - i * Chunk));
    }

    public static string? Read(TableEntity entity, string name)
    {
        var n = entity.GetInt32(name + "_n");
        if (n is null) return null;
        if (n == 1) return entity.GetString(name + "_0");
        return string.Concat(Enumerable.Range(0, n.Value).Select(i => entity.GetString($"{name}_{i}")));
    }
}
