using System.Globalization;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Serialization;

namespace Gateway.Contracts;

/// <summary>
/// A request body refused while reading it, with the JSON Pointer of the offending value and a message meant for the
/// caller (never a .NET type, never the parser's own text). <see cref="NotUtf8"/> means the body is not UTF-8 at all (415).
/// </summary>
public sealed class StrictJsonException(string pointer, string message, bool notUtf8 = false) : JsonException(message)
{
    public string Pointer { get; } = pointer;

    public bool NotUtf8 { get; } = notUtf8;
}

/// <summary>
/// The one strict reader for every request body (hospital API, clearing, imports): UTF-8 only (no byte order mark, no
/// invalid sequences), exact JSON types (a string is never read from a number or a boolean, nor a number or a boolean from
/// a string; money, documented as a string or a number, is the one exception), unknown fields and duplicate keys refused,
/// every string at most <see cref="MaxString"/> characters with no control characters and no lone surrogates, every array at
/// most <see cref="MaxArray"/> items, nesting at most <see cref="MaxDepth"/>. Field-specific limits (an id's length, a code's
/// form) are the validators' on top of this.
/// </summary>
public static class StrictJson
{
    public const int MaxString = 4096;
    public const int MaxArray = 10_000;
    public const int MaxDepth = 12;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static JsonSerializerSettings Settings { get; } = Create();

    private static JsonSerializerSettings Create()
    {
        var s = new JsonSerializerSettings
        {
            ContractResolver = GatewayJson.Settings.ContractResolver,
            FloatParseHandling = FloatParseHandling.Decimal,
            DateParseHandling = DateParseHandling.None,
            // A null reaches the converters: null is an optional field left empty, never a false, a zero or a default.
            NullValueHandling = NullValueHandling.Include,
            MissingMemberHandling = MissingMemberHandling.Error,
            MaxDepth = MaxDepth + 2,
            Culture = CultureInfo.InvariantCulture,
            TypeNameHandling = TypeNameHandling.None,
            MetadataPropertyHandling = MetadataPropertyHandling.Ignore,
        };
        s.Converters.Add(new ExactStringConverter());
        s.Converters.Add(new ExactBooleanConverter());
        s.Converters.Add(new ExactIntegerConverter());
        foreach (var c in GatewayJson.Settings.Converters) s.Converters.Add(c);
        return s;
    }

    /// <summary>The body as text: UTF-8 without a byte order mark, else <see cref="StrictJsonException.NotUtf8"/>.</summary>
    public static string DecodeUtf8(ReadOnlySpan<byte> body)
    {
        if (body.Length >= 2 && ((body[0] == 0xFF && body[1] == 0xFE) || (body[0] == 0xFE && body[1] == 0xFF)))
            throw new StrictJsonException("", "The body is UTF-16; send UTF-8.", notUtf8: true);
        if (body.Length >= 3 && body[0] == 0xEF && body[1] == 0xBB && body[2] == 0xBF)
            throw new StrictJsonException("", "The body starts with a byte order mark; send UTF-8 without one.", notUtf8: true);
        try
        {
            var text = Utf8.GetString(body);
            // UTF-16 without a byte order mark decodes as UTF-8 with a NUL beside every ASCII character.
            if (text.Contains('\0', StringComparison.Ordinal)) throw new StrictJsonException("", "The body holds NUL bytes: it is not UTF-8 JSON.", notUtf8: true);
            return text;
        }
        catch (DecoderFallbackException)
        {
            throw new StrictJsonException("", "The body is not valid UTF-8.", notUtf8: true);
        }
    }

    public static T Deserialize<T>(ReadOnlySpan<byte> body) => Deserialize<T>(DecodeUtf8(body));

    /// <summary>Reads <paramref name="json"/> into <typeparamref name="T"/> under every rule above; <see cref="StrictJsonException"/> otherwise.</summary>
    public static T Deserialize<T>(string json)
    {
        Scan(json);
        try
        {
            using var reader = new JsonTextReader(new StringReader(json)) { DateParseHandling = DateParseHandling.None, FloatParseHandling = FloatParseHandling.Decimal };
            var value = JsonSerializer.Create(Settings).Deserialize<T>(reader);
            if (value is null) throw new StrictJsonException("", "The body is null; a JSON object is expected.");
            return value;
        }
        catch (StrictJsonException) { throw; }
        catch (JsonSerializationException e) { throw new StrictJsonException(Pointer(e.Path), Describe(e)); }
        catch (JsonReaderException e) { throw new StrictJsonException(Pointer(e.Path), $"Invalid JSON at line {e.LineNumber}, position {e.LinePosition}."); }
    }

    /// <summary>Duplicate keys, string and array sizes, depth, control characters; syntax errors with their position.</summary>
    public static void Scan(string json) => Scan(json, MaxArray);

    /// <summary><see cref="Scan(string)"/> with another bound on arrays (a registry export is one long array of members).</summary>
    public static void Scan(string json, int maxArray)
    {
        using var reader = new JsonTextReader(new StringReader(json)) { DateParseHandling = DateParseHandling.None, FloatParseHandling = FloatParseHandling.Decimal, MaxDepth = null };
        var objects = new Stack<HashSet<string>>();
        var arrays = new Stack<int>();
        var containers = new Stack<bool>(); // true = object
        try
        {
            if (!reader.Read()) throw new StrictJsonException("", "The body is empty; a JSON object is expected.");
            do
            {
                if (containers.Count > 0 && !containers.Peek() && reader.TokenType is not (JsonToken.EndArray or JsonToken.Comment))
                {
                    var n = arrays.Pop() + 1;
                    if (n > maxArray) throw new StrictJsonException(Pointer(reader.Path), $"At most {maxArray} items in an array.");
                    arrays.Push(n);
                }
                switch (reader.TokenType)
                {
                    case JsonToken.StartObject:
                        if (containers.Count >= MaxDepth) throw new StrictJsonException(Pointer(reader.Path), $"Nested more than {MaxDepth} levels deep.");
                        containers.Push(true);
                        objects.Push(new HashSet<string>(StringComparer.Ordinal));
                        break;
                    case JsonToken.StartArray:
                        if (containers.Count >= MaxDepth) throw new StrictJsonException(Pointer(reader.Path), $"Nested more than {MaxDepth} levels deep.");
                        containers.Push(false);
                        arrays.Push(0);
                        break;
                    case JsonToken.EndObject:
                        containers.Pop();
                        objects.Pop();
                        break;
                    case JsonToken.EndArray:
                        containers.Pop();
                        arrays.Pop();
                        break;
                    case JsonToken.PropertyName:
                        var name = (string)reader.Value!;
                        CheckText(name, reader.Path, "A field name");
                        if (!objects.Peek().Add(name)) throw new StrictJsonException(Pointer(reader.Path), $"The field '{Shorten(name)}' appears twice; each field once.");
                        break;
                    case JsonToken.String:
                        CheckText((string)reader.Value!, reader.Path, "A string");
                        break;
                    case JsonToken.Comment:
                        throw new StrictJsonException(Pointer(reader.Path), "Comments are not JSON.");
                }
            }
            while (reader.Read());
        }
        catch (JsonReaderException e)
        {
            throw new StrictJsonException(Pointer(e.Path), $"Invalid JSON at line {e.LineNumber}, position {e.LinePosition}.");
        }
    }

    private static void CheckText(string text, string path, string what)
    {
        if (text.Length > MaxString) throw new StrictJsonException(Pointer(path), $"{what} of at most {MaxString} characters.");
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c < 0x20 || c == 0x7F) throw new StrictJsonException(Pointer(path), $"{what} without control characters (U+{(int)c:X4} at {i}).");
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            if (char.IsSurrogate(c)) throw new StrictJsonException(Pointer(path), $"{what} with a lone surrogate (\\u{(int)c:x4}): not Unicode text.");
        }
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";

    /// <summary>Newtonsoft's path (<c>encounter.lines[0].itemCode</c>, <c>['a b']</c>) as a JSON Pointer (<c>/encounter/lines/0/itemCode</c>).</summary>
    public static string Pointer(string? path)
    {
        if (string.IsNullOrEmpty(path)) return "";
        var sb = new StringBuilder();
        var i = 0;
        while (i < path.Length)
        {
            if (path[i] == '.') { i++; continue; }
            if (path[i] == '[')
            {
                if (i + 1 < path.Length && path[i + 1] == '\'')
                {
                    var end = path.IndexOf("']", i + 2, StringComparison.Ordinal);
                    if (end < 0) end = path.Length;
                    Append(sb, path[(i + 2)..end]);
                    i = Math.Min(path.Length, end + 2);
                }
                else
                {
                    var end = path.IndexOf(']', i);
                    if (end < 0) end = path.Length;
                    sb.Append('/').Append(path, i + 1, end - i - 1);
                    i = Math.Min(path.Length, end + 1);
                }
                continue;
            }
            var next = path.IndexOfAny(['.', '['], i);
            if (next < 0) next = path.Length;
            Append(sb, path[i..next]);
            i = next;
        }
        return sb.ToString();

        static void Append(StringBuilder sb, string token) => sb.Append('/').Append(token.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal));
    }

    /// <summary>What a deserialization error means, in the caller's terms: never the parser's message (it names .NET types).</summary>
    private static string Describe(JsonSerializationException e)
    {
        var m = e.Message;
        if (m.Contains("Could not find member", StringComparison.Ordinal)) return "Unknown field: unknown fields are refused (docs/api.md).";
        if (m.Contains("requires a JSON array", StringComparison.Ordinal)) return "An array is expected here.";
        if (m.Contains("requires a JSON object", StringComparison.Ordinal) || m.Contains("JSON primitive", StringComparison.Ordinal)) return "An object is expected here.";
        if (m.Contains("Error converting value", StringComparison.Ordinal)) return "A value of another JSON type is expected here.";
        if (m.Contains("date", StringComparison.OrdinalIgnoreCase)) return "A date yyyy-MM-dd is expected here.";
        if (m.Contains("decimal", StringComparison.OrdinalIgnoreCase) || m.Contains("out of range", StringComparison.Ordinal)) return "A decimal number (or a string holding one) in range is expected here.";
        if (m.Contains("Requested value", StringComparison.Ordinal)) return "Not one of the allowed values.";
        return "A value of another JSON type is expected here.";
    }

    /// <summary>A string is a JSON string, or null: never a number or a boolean turned into text.</summary>
    private sealed class ExactStringConverter : JsonConverter
    {
        public override bool CanConvert(Type objectType) => objectType == typeof(string);

        public override object? ReadJson(JsonReader reader, Type objectType, object? existingValue, JsonSerializer serializer) => reader.TokenType switch
        {
            JsonToken.String => (string)reader.Value!,
            JsonToken.Null => null,
            _ => throw new StrictJsonException(Pointer(reader.Path), $"A string is expected here, not {Kind(reader.TokenType)}."),
        };

        public override void WriteJson(JsonWriter writer, object? value, JsonSerializer serializer) => writer.WriteValue((string?)value);
    }

    /// <summary>true or false, never 1, 0 or "true".</summary>
    private sealed class ExactBooleanConverter : JsonConverter
    {
        public override bool CanConvert(Type objectType) => objectType == typeof(bool) || objectType == typeof(bool?);

        public override object? ReadJson(JsonReader reader, Type objectType, object? existingValue, JsonSerializer serializer) => reader.TokenType switch
        {
            JsonToken.Boolean => (bool)reader.Value!,
            JsonToken.Null when objectType == typeof(bool?) => null,
            _ => throw new StrictJsonException(Pointer(reader.Path), $"true or false is expected here, not {Kind(reader.TokenType)}."),
        };

        public override void WriteJson(JsonWriter writer, object? value, JsonSerializer serializer) => writer.WriteValue((bool?)value);
    }

    /// <summary>An integer is a JSON integer in range, never "1" or 1.5.</summary>
    private sealed class ExactIntegerConverter : JsonConverter
    {
        public override bool CanConvert(Type objectType) => objectType == typeof(int) || objectType == typeof(int?) || objectType == typeof(long) || objectType == typeof(long?);

        public override object? ReadJson(JsonReader reader, Type objectType, object? existingValue, JsonSerializer serializer)
        {
            var wide = objectType == typeof(long) || objectType == typeof(long?);
            switch (reader.TokenType)
            {
                case JsonToken.Null when Nullable.GetUnderlyingType(objectType) is not null:
                    return null;
                case JsonToken.Integer:
                    try
                    {
                        var v = Convert.ToInt64(reader.Value, CultureInfo.InvariantCulture);
                        if (!wide && v is < int.MinValue or > int.MaxValue) throw new OverflowException();
                        return wide ? (object)v : (int)v;
                    }
                    catch (Exception e) when (e is OverflowException or InvalidCastException)
                    {
                        throw new StrictJsonException(Pointer(reader.Path), "An integer in range is expected here.");
                    }
                default:
                    throw new StrictJsonException(Pointer(reader.Path), $"An integer is expected here, not {Kind(reader.TokenType)}.");
            }
        }

        public override void WriteJson(JsonWriter writer, object? value, JsonSerializer serializer) => writer.WriteValue(value);
    }

    private static string Kind(JsonToken t) => t switch
    {
        JsonToken.String => "a string",
        JsonToken.Integer or JsonToken.Float => "a number",
        JsonToken.Boolean => "a boolean",
        JsonToken.StartObject => "an object",
        JsonToken.StartArray => "an array",
        JsonToken.Null => "null",
        _ => "this",
    };
}
