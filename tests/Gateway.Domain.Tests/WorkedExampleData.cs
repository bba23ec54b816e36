using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Gateway.Domain.Tests;

/// <summary>Loads the worked-example files: the spec's catalog, bills by name, and examples with hand-computed expectations.</summary>
public static class WorkedExampleData
{
    public static string Directory_ => Path.Combine(AppContext.BaseDirectory, "WorkedExamples");

    public static JObject Parse(string json)
    {
        using var reader = new JsonTextReader(new StringReader(json)) { FloatParseHandling = FloatParseHandling.Decimal, DateParseHandling = DateParseHandling.None };
        return JObject.Load(reader);
    }

    private static readonly Lazy<JObject> Bills = new(() => Parse(File.ReadAllText(Path.Combine(Directory_, "bills.json"))));

    public static Catalog CatalogFor(RegionCode region)
    {
        using var reader = new JsonTextReader(new StringReader(Bills.Value["catalog"]!.ToString())) { FloatParseHandling = FloatParseHandling.Decimal };
        reader.Read();
        return new Catalog(region, "spec-8", CatalogLoader.ReadItems(reader, "bills.json"));
    }

    /// <summary>Every example of every file except bills.json, with "bill": "S" expanded into lines.</summary>
    public static IEnumerable<(string File, JObject Example)> All()
    {
        foreach (var file in Directory.EnumerateFiles(Directory_, "*.json").Order())
        {
            if (Path.GetFileName(file) == "bills.json") continue;
            foreach (var ex in Parse(File.ReadAllText(file))["examples"]!.Cast<JObject>())
            {
                var e = (JObject)ex["encounter"]!;
                if (e.TryGetValue("bill", out var bill))
                {
                    var lines = (JArray)Bills.Value["bills"]![(string)bill!]!.DeepClone();
                    if (e.TryGetValue("extraLines", out var extra)) foreach (var l in (JArray)extra) lines.Add(l.DeepClone());
                    e.Remove("bill");
                    e.Remove("extraLines");
                    e["lines"] = lines;
                }
                yield return (Path.GetFileName(file), ex);
            }
        }
    }
}
