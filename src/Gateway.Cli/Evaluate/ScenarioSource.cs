using Gateway.Domain;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Gateway.Cli.Evaluate;

/// <summary>A scenario as read (or why it could not be read), in input order.</summary>
public sealed record ScenarioInput(int Index, string Id, Scenario? Scenario, string? ErrorPath, string? Error);

/// <summary>
/// Streams scenarios from a JSON document <c>{"catalog": {...}, "scenarios": [...]}</c> (catalog first) or from
/// JSON Lines (one scenario per line, catalog via --catalog). Never loads the whole input.
/// </summary>
public sealed class ScenarioSource(TextReader input, bool jsonLines, Dictionary<string, CatalogItem>? catalog)
{
    public Dictionary<string, CatalogItem>? Catalog { get; private set; } = catalog;

    public IEnumerable<ScenarioInput> Read() => jsonLines ? ReadLines() : ReadDocument();

    private static JsonTextReader Reader(TextReader text) =>
        new(text) { FloatParseHandling = FloatParseHandling.Decimal, DateParseHandling = DateParseHandling.None, MaxDepth = 64 };

    private IEnumerable<ScenarioInput> ReadLines()
    {
        var index = 0;
        string? line;
        while ((line = input.ReadLine()) is not null)
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            JObject? o = null;
            string? error = null;
            try
            {
                using var reader = Reader(new StringReader(line));
                var token = JToken.ReadFrom(reader);
                if (reader.Read()) error = "not valid JSON Lines: more than one value on the line";
                else if (token is JObject obj) o = obj;
                else error = $"a scenario object is expected, not {Describe(token.Type)}";
            }
            catch (JsonException e)
            {
                error = $"not valid JSON: {e.Message}";
            }
            yield return o is null ? new ScenarioInput(index, $"line {index + 1}", null, "$", error) : Parse(index, o);
            index++;
        }
    }

    private IEnumerable<ScenarioInput> ReadDocument()
    {
        using var reader = Reader(input);
        if (!reader.Read() || reader.TokenType != JsonToken.StartObject) throw new InvalidDataException("The input is a JSON object {\"catalog\": {...}, \"scenarios\": [...]} (or JSON Lines: a .jsonl file, with --catalog FILE).");
        var index = 0;
        while (reader.Read() && reader.TokenType == JsonToken.PropertyName)
        {
            var name = (string)reader.Value!;
            reader.Read();
            if (name == "catalog")
            {
                Catalog = CatalogLoader.ReadItems(reader, "input");
            }
            else if (name == "scenarios")
            {
                if (reader.TokenType != JsonToken.StartArray) throw new InvalidDataException("$.scenarios must be an array.");
                if (Catalog is null) throw new InvalidDataException("The catalog comes before the scenarios in the input (or give --catalog FILE).");
                while (true)
                {
                    JObject? o = null;
                    string? error = null, notScenario = null;
                    try
                    {
                        if (!reader.Read() || reader.TokenType == JsonToken.EndArray) break;
                        if (reader.TokenType != JsonToken.StartObject)
                        {
                            // A value that is not a scenario (1, null, "x", [...]): reported, and the reading goes on.
                            notScenario = Describe(JToken.ReadFrom(reader).Type);
                        }
                        else o = JObject.Load(reader);
                    }
                    catch (JsonReaderException e)
                    {
                        error = $"not valid JSON at line {e.LineNumber}, position {e.LinePosition}: the rest of the input cannot be read";
                    }
                    if (error is not null)
                    {
                        yield return new ScenarioInput(index++, $"#{index}", null, "$.scenarios", error);
                        yield break;
                    }
                    if (notScenario is not null)
                    {
                        yield return new ScenarioInput(index, $"#{index + 1}", null, $"$.scenarios[{index}]", $"a scenario object is expected, not {notScenario}");
                        index++;
                        continue;
                    }
                    yield return Parse(index++, o!);
                }
            }
            else reader.Skip();
        }
    }

    private static string Describe(JTokenType t) => t switch
    {
        JTokenType.Array => "an array", JTokenType.Null => "null", JTokenType.String => "a string",
        JTokenType.Integer or JTokenType.Float => "a number", JTokenType.Boolean => "true or false", _ => t.ToString(),
    };

    private static ScenarioInput Parse(int index, JObject o)
    {
        try
        {
            var s = ScenarioReader.Read(o);
            return new ScenarioInput(index, s.Id, s, null, null);
        }
        catch (ScenarioFormatException e)
        {
            return new ScenarioInput(index, e.ScenarioId, null, e.JsonPath, e.Problem);
        }
    }

    /// <summary>--catalog FILE: a catalog document ({"region","version","items"}) or a bare object of item code → item.</summary>
    public static Dictionary<string, CatalogItem> LoadCatalog(string file)
    {
        using var text = File.OpenText(file);
        using var reader = Reader(text);
        reader.Read();
        var o = JObject.Load(reader);
        var items = o["items"] is JObject nested ? nested : o;
        using var itemsReader = items.CreateReader();
        itemsReader.Read();
        return CatalogLoader.ReadItems(itemsReader, file);
    }
}
