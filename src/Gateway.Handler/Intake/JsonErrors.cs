using Newtonsoft.Json;

namespace Gateway.Handler.Intake;

/// <summary>Describes a JSON error by where it is, never echoing internals.</summary>
public static class JsonErrors
{
    public static string Describe(JsonException e) => e switch
    {
        JsonReaderException r => $"Invalid JSON at line {r.LineNumber}, position {r.LinePosition} (path '{r.Path}').",
        JsonSerializationException s when s.Message.Contains("Could not find member", StringComparison.Ordinal)
            => $"Unknown field at '{s.Path}': unknown fields are rejected (docs/api.md).",
        JsonSerializationException s => $"Invalid value at '{s.Path}': {FirstSentence(s.Message)}",
        _ => "The body is not valid JSON.",
    };

    private static string FirstSentence(string message)
    {
        var i = message.IndexOf(". Path", StringComparison.Ordinal);
        return i > 0 ? message[..(i + 1)] : message;
    }
}
