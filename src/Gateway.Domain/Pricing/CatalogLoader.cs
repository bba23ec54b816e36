using System.Globalization;
using Newtonsoft.Json;

namespace Gateway.Domain;

/// <summary>
/// Reads a catalog from JSON, streaming (300,000 items load without building a DOM):
/// <c>{"region":"440300","version":"…","items":{"D001":{"class":"A","category":"drug","preSelfPayRatio":"0.10","priceCeiling":"300.00","validFrom":"2026-01-01","validTo":null}}}</c>.
/// Money and ratios are strings or numbers, read exactly as decimals.
/// </summary>
public static class CatalogLoader
{
    public static Catalog Load(TextReader text, string source) => LoadDated(text, source).Catalog;

    /// <summary>
    /// A catalog document with the dates it is in force (<c>effectiveFrom</c>, <c>effectiveTo</c>, both inclusive,
    /// <c>yyyy-MM-dd</c> or null for open): a treatment region publishes a new catalog each year or so, and a bill
    /// is priced with the one in force on its service date.
    /// </summary>
    public static (Catalog Catalog, DateOnly? EffectiveFrom, DateOnly? EffectiveTo) LoadDated(TextReader text, string source)
    {
        using var reader = new JsonTextReader(text) { FloatParseHandling = FloatParseHandling.Decimal, DateParseHandling = DateParseHandling.None };
        string? region = null, version = null;
        DateOnly? from = null, to = null;
        Dictionary<string, CatalogItem>? items = null;
        Expect(reader, JsonToken.StartObject, source);
        while (reader.Read() && reader.TokenType == JsonToken.PropertyName)
        {
            var name = (string)reader.Value!;
            reader.Read();
            switch (name)
            {
                case "region": region = reader.Value?.ToString(); break;
                case "version": version = reader.Value?.ToString(); break;
                case "effectiveFrom": from = DocumentDate(reader, source, "$.effectiveFrom"); break;
                case "effectiveTo": to = DocumentDate(reader, source, "$.effectiveTo"); break;
                case "items": items = ReadItems(reader, source); break;
                default: reader.Skip(); break;
            }
        }
        if (region is null || !RegionCode.TryParse(region, out var code)) throw new CatalogFormatException(source, "$.region", "a six-digit region code is required");
        if (string.IsNullOrWhiteSpace(version)) throw new CatalogFormatException(source, "$.version", "a version is required");
        if (from is { } f && to is { } t && t < f) throw new CatalogFormatException(source, "$.effectiveTo", $"ends ({t:yyyy-MM-dd}) before it starts ({f:yyyy-MM-dd})");
        return (new Catalog(code, version, items ?? new Dictionary<string, CatalogItem>(StringComparer.Ordinal)), from, to);
    }

    private static DateOnly? DocumentDate(JsonReader reader, string source, string path)
    {
        if (reader.TokenType == JsonToken.Null) return null;
        if (reader.TokenType == JsonToken.String && DateOnly.TryParseExact((string)reader.Value!, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var d)) return d;
        throw new CatalogFormatException(source, path, "a date yyyy-MM-dd or null is expected");
    }

    /// <summary>Reads an object of item code → item, positioned on its StartObject.</summary>
    public static Dictionary<string, CatalogItem> ReadItems(JsonReader reader, string source)
    {
        if (reader.TokenType != JsonToken.StartObject) throw new CatalogFormatException(source, reader.Path, "an object of item code → item is expected");
        var items = new Dictionary<string, CatalogItem>(1024, StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonToken.PropertyName)
        {
            var code = (string)reader.Value!;
            reader.Read();
            items[code] = ReadItem(reader, source);
        }
        return items;
    }

    private static CatalogItem ReadItem(JsonReader reader, string source)
    {
        if (reader.TokenType != JsonToken.StartObject) throw new CatalogFormatException(source, reader.Path, "an item object is expected");
        CatalogClass? cls = null;
        decimal ratio = 0m;
        decimal? ceiling = null;
        DateOnly? from = null, to = null;
        var category = ItemCategory.Drug;
        while (reader.Read() && reader.TokenType == JsonToken.PropertyName)
        {
            var name = (string)reader.Value!;
            reader.Read();
            var path = reader.Path;
            switch (name)
            {
                case "class":
                    if (!DomainNames.TryParseCatalogClass(reader.Value as string, out var c)) throw new CatalogFormatException(source, path, "class must be A, B or C");
                    cls = c;
                    break;
                case "preSelfPayRatio":
                    ratio = ReadDecimal(reader, source, path) ?? 0m;
                    if (ratio is < 0m or > 1m) throw new CatalogFormatException(source, path, "preSelfPayRatio must be between 0 and 1");
                    break;
                case "priceCeiling":
                    ceiling = ReadDecimal(reader, source, path);
                    if (ceiling < 0m) throw new CatalogFormatException(source, path, "priceCeiling must not be negative");
                    break;
                case "validFrom": from = ReadDate(reader, source, path); break;
                case "validTo": to = ReadDate(reader, source, path); break;
                case "category":
                    category = (reader.Value as string) switch
                    {
                        "drug" => ItemCategory.Drug,
                        "service" => ItemCategory.Service,
                        "material" => ItemCategory.Material,
                        _ => throw new CatalogFormatException(source, path, "category must be drug, service or material"),
                    };
                    break;
                default: reader.Skip(); break;
            }
        }
        if (cls is null) throw new CatalogFormatException(source, reader.Path, "class is required");
        return new CatalogItem(cls.Value, ratio, ceiling, from, to, category);
    }

    internal static decimal? ReadDecimal(JsonReader reader, string source, string path) => reader.TokenType switch
    {
        JsonToken.Null => null,
        JsonToken.Float or JsonToken.Integer => Convert.ToDecimal(reader.Value, CultureInfo.InvariantCulture),
        JsonToken.String when decimal.TryParse((string)reader.Value!, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var d) => d,
        _ => throw new CatalogFormatException(source, path, "a decimal number (or a string holding one) is expected"),
    };

    private static DateOnly? ReadDate(JsonReader reader, string source, string path) => reader.TokenType switch
    {
        JsonToken.Null => null,
        JsonToken.String when DateOnly.TryParseExact((string)reader.Value!, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) => d,
        _ => throw new CatalogFormatException(source, path, "a date yyyy-MM-dd is expected"),
    };

    private static void Expect(JsonReader reader, JsonToken token, string source)
    {
        if (!reader.Read() || reader.TokenType != token) throw new CatalogFormatException(source, reader.Path, $"{token} expected");
    }
}

public sealed class CatalogFormatException(string source, string path, string problem)
    : Exception($"{source}: {(string.IsNullOrEmpty(path) ? "$" : path)}: {problem}")
{
    public string Source_ { get; } = source;
    public string JsonPath { get; } = path;
    public string Problem { get; } = problem;
}
