using Newtonsoft.Json.Linq;

namespace Gateway.Deploy.Tests;

/// <summary>One function folder: its name and the bindings of its function.json.</summary>
public sealed record FunctionDefinition(string Name, IReadOnlyList<JObject> Bindings)
{
    public static IReadOnlyList<FunctionDefinition> LoadAll(string root) =>
        Directory.EnumerateDirectories(root)
            .Where(d => File.Exists(Path.Combine(d, "function.json")))
            .Order(StringComparer.Ordinal)
            .Select(d => new FunctionDefinition(Path.GetFileName(d), ((JArray)JObject.Parse(File.ReadAllText(Path.Combine(d, "function.json")))["bindings"]!).Children<JObject>().ToList()))
            .ToList();

    /// <summary>Every function folder in the repository (functions/).</summary>
    public static IReadOnlyList<FunctionDefinition> InRepository() => LoadAll(Path.Combine(RepoPaths.Root, "functions"));

    public IEnumerable<string> QueueNames => Bindings.Select(b => (string?)b["queueName"]).OfType<string>();

    public IEnumerable<string> Connections => Bindings.Select(b => (string?)b["connection"]).OfType<string>();

    /// <summary>Names in %…% anywhere in a binding: the Functions host resolves them from app settings.</summary>
    public IEnumerable<string> ReferencedSettings =>
        Bindings.SelectMany(b => b.Descendants().OfType<JValue>())
            .Where(v => v.Type == JTokenType.String)
            .SelectMany(v => System.Text.RegularExpressions.Regex.Matches((string)v!, "%([^%]+)%").Select(m => m.Groups[1].Value));
}
