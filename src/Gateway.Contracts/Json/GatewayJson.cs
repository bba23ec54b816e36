using System.Globalization;
using Newtonsoft.Json;
using Newtonsoft.Json.Converters;
using Newtonsoft.Json.Serialization;

namespace Gateway.Contracts;

/// <summary>
/// The one set of JSON settings for every wire format (HTTP and queue messages). Explicit, so a library
/// upgrade cannot silently change the contract: camelCase, enums as camelCase strings, decimals read exactly,
/// dates as yyyy-MM-dd, nulls omitted, unknown members rejected on input.
/// </summary>
public static class GatewayJson
{
    public static JsonSerializerSettings Settings { get; } = Create();

    public static JsonSerializer Serializer { get; } = JsonSerializer.Create(Settings);

    /// <summary>
    /// The same settings for the Azure Functions host's invocation envelope (<c>Data</c>, <c>Metadata</c>, <c>Outputs</c>,
    /// <c>Logs</c>, <c>ReturnValue</c>): names and dictionary keys as the host spells them, nulls written (as the host's own
    /// serializer writes them), everything else as above.
    /// </summary>
    public static JsonSerializerSettings HostContractSettings { get; } = HostContract();

    private static JsonSerializerSettings HostContract()
    {
        var s = Create(new DefaultContractResolver());
        s.NullValueHandling = NullValueHandling.Include;
        return s;
    }

    private static JsonSerializerSettings Create(IContractResolver? resolver = null) => new()
    {
        ContractResolver = resolver ?? new CamelCasePropertyNamesContractResolver(),
        Converters = { new StringEnumConverter(new CamelCaseNamingStrategy(), allowIntegerValues: false), new DateOnlyConverter(), new MoneyConverter() },
        FloatParseHandling = FloatParseHandling.Decimal,
        DateParseHandling = DateParseHandling.None,
        NullValueHandling = NullValueHandling.Ignore,
        MissingMemberHandling = MissingMemberHandling.Error,
        MaxDepth = 32,
        Culture = CultureInfo.InvariantCulture,
        TypeNameHandling = TypeNameHandling.None,
        MetadataPropertyHandling = MetadataPropertyHandling.Ignore,
        Formatting = Formatting.None,
    };

    public static string Serialize<T>(T value) => JsonConvert.SerializeObject(value, Settings);

    public static string SerializeHostContract<T>(T value) => JsonConvert.SerializeObject(value, HostContractSettings);

    /// <summary>A JSON document as a tree, read as <see cref="Settings"/> reads (decimals exact, dates left as text, bounded depth).</summary>
    public static Newtonsoft.Json.Linq.JToken Parse(string json)
    {
        using var reader = new JsonTextReader(new StringReader(json))
        {
            DateParseHandling = Settings.DateParseHandling,
            FloatParseHandling = Settings.FloatParseHandling,
            MaxDepth = Settings.MaxDepth,
            Culture = Settings.Culture,
        };
        return Newtonsoft.Json.Linq.JToken.Load(reader);
    }

    public static T Deserialize<T>(string json) =>
        JsonConvert.DeserializeObject<T>(json, Settings) ?? throw new JsonSerializationException("The JSON document is null.");
}

/// <summary>Dates on the wire are yyyy-MM-dd.</summary>
public sealed class DateOnlyConverter : JsonConverter
{
    public override bool CanConvert(Type objectType) => objectType == typeof(DateOnly) || objectType == typeof(DateOnly?);

    public override object? ReadJson(JsonReader reader, Type objectType, object? existingValue, JsonSerializer serializer)
    {
        if (reader.TokenType == JsonToken.Null) return objectType == typeof(DateOnly?) ? null : throw new JsonSerializationException($"A date is required at {reader.Path}.");
        if (reader.TokenType == JsonToken.String && DateOnly.TryParseExact((string)reader.Value!, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) return d;
        throw new JsonSerializationException($"A date yyyy-MM-dd is expected at {reader.Path}.");
    }

    public override void WriteJson(JsonWriter writer, object? value, JsonSerializer serializer) =>
        writer.WriteValue(((DateOnly)value!).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
}

/// <summary>
/// Money on the wire: written as a string with two decimals ("1234.50"), read from a string or a number,
/// exactly (a JSON number is read as decimal, never through double).
/// </summary>
public sealed class MoneyConverter : JsonConverter
{
    public override bool CanConvert(Type objectType) => objectType == typeof(decimal) || objectType == typeof(decimal?);

    public override object? ReadJson(JsonReader reader, Type objectType, object? existingValue, JsonSerializer serializer)
    {
        switch (reader.TokenType)
        {
            case JsonToken.Null when objectType == typeof(decimal?):
                return null;
            case JsonToken.Integer or JsonToken.Float:
                // Huge integers arrive as BigInteger (not IConvertible), huge floats overflow: both are out of range.
                try { return Convert.ToDecimal(reader.Value, CultureInfo.InvariantCulture); }
                catch (Exception e) when (e is OverflowException or InvalidCastException) { throw new JsonSerializationException($"The number at {reader.Path} is out of range."); }
            case JsonToken.String when decimal.TryParse((string)reader.Value!, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var d):
                return d;
            default:
                throw new JsonSerializationException($"A decimal number (or a string holding one) is expected at {reader.Path}.");
        }
    }

    public override void WriteJson(JsonWriter writer, object? value, JsonSerializer serializer) =>
        writer.WriteValue(((decimal)value!).ToString(Scale((decimal)value!) <= 2 ? "0.00" : "0.##########", CultureInfo.InvariantCulture));

    private static int Scale(decimal d) => (decimal.GetBits(d)[3] >> 16) & 0xFF;
}
