using Newtonsoft.Json.Linq;

namespace Gateway.LocalHost;

/// <summary>
/// App settings as the Functions host would have them: local.settings.json "Values", then the environment,
/// then overrides. <c>%Name%</c> in binding properties resolves against them.
/// </summary>
public sealed class Settings(Dictionary<string, string> values)
{
    public IReadOnlyDictionary<string, string> Values => values;

    public string? this[string name] => values.TryGetValue(name, out var v) ? v : Environment.GetEnvironmentVariable(name);

    public void Set(string name, string value) => values[name] = value;

    public string Resolve(string text) =>
        text.Length > 2 && text[0] == '%' && text[^1] == '%' ? this[text[1..^1]] ?? throw new InvalidOperationException($"Setting {text} is not defined.") : text;

    public static Settings Load(string? file)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (file is not null && File.Exists(file))
        {
            var json = JObject.Parse(File.ReadAllText(file));
            foreach (var p in ((JObject?)json["Values"])?.Properties() ?? []) values[p.Name] = p.Value.ToString();
        }
        return new Settings(values);
    }
}
