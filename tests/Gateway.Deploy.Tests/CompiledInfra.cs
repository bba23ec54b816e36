using Newtonsoft.Json.Linq;

namespace Gateway.Deploy.Tests;

/// <summary>
/// infra/main.bicep compiled to an ARM template with the real Bicep compiler, plus the parameter files.
/// Reading the compiled template (not the .bicep text) means a name only counts if the compiler agrees it is there.
/// </summary>
public sealed class CompiledInfra
{
    public CompiledInfra()
    {
        // A package extracted without its mode bits still holds the right binary.
        if (!OperatingSystem.IsWindows() && !File.GetUnixFileMode(RepoPaths.Bicep).HasFlag(UnixFileMode.UserExecute))
            File.SetUnixFileMode(RepoPaths.Bicep, File.GetUnixFileMode(RepoPaths.Bicep) | UnixFileMode.UserExecute);
        var outDir = Directory.CreateTempSubdirectory("gateway-bicep-").FullName;
        var outFile = Path.Combine(outDir, "main.json");
        var r = ProcessRunner.Run(RepoPaths.Bicep, ["build", Path.Combine(RepoPaths.Infra, "main.bicep"), "--outfile", outFile], RepoPaths.Infra, TimeSpan.FromMinutes(3));
        BuildOutput = r.StdOut + r.StdErr;
        if (r.ExitCode != 0) throw new InvalidOperationException($"bicep build failed ({r.ExitCode}):\n{BuildOutput}");
        Template = JObject.Parse(File.ReadAllText(outFile));
        Directory.Delete(outDir, recursive: true);
        ParameterFiles = Directory.EnumerateFiles(Path.Combine(RepoPaths.Infra, "parameters"), "*.json")
            .Order(StringComparer.Ordinal)
            .ToDictionary(f => Path.GetFileNameWithoutExtension(f), f => (JObject)JObject.Parse(File.ReadAllText(f))["parameters"]!);
    }

    /// <summary>What the compiler printed (warnings and lint findings).</summary>
    public string BuildOutput { get; }

    public JObject Template { get; }

    /// <summary>infra/parameters/&lt;environment&gt;.json: parameter name → { value }.</summary>
    public IReadOnlyDictionary<string, JObject> ParameterFiles { get; }

    public JObject Variables => (JObject)Template["variables"]!;

    /// <summary>The nested deployment of module <paramref name="name"/> (its parameters and template).</summary>
    public JObject Module(string name) =>
        Template["resources"]!.Children<JObject>().Single(r => (string?)r["type"] == "Microsoft.Resources/deployments" && (string?)r["name"] == name);

    public JObject ModuleTemplate(string name) => (JObject)Module(name)["properties"]!["template"]!;

    /// <summary>The app setting names the Function App always gets (functionapp module, variable fixedSettings).</summary>
    public IReadOnlyCollection<string> FixedSettingNames =>
        ((JObject)ModuleTemplate("functionapp")["variables"]!["fixedSettings"]!).Properties().Select(p => p.Name).ToList();

    public string FixedSettingValue(string name) => (string)ModuleTemplate("functionapp")["variables"]!["fixedSettings"]![name]!;

    /// <summary>Prefixes of the per-item settings (<c>HospitalKeys__</c> …): string variables of the functionapp module ending in "__".</summary>
    public IReadOnlyCollection<string> SettingPrefixes =>
        ((JObject)ModuleTemplate("functionapp")["variables"]!).Properties()
            .Where(p => p.Value.Type == JTokenType.String && ((string)p.Value!).EndsWith("__", StringComparison.Ordinal))
            .Select(p => (string)p.Value!).ToList();

    /// <summary>The queues one environment gets: <c>homeQueuePrefix + r</c> for each of its homeRegions, and the shared ones.</summary>
    public IReadOnlySet<string> QueuesFor(string environment)
    {
        var prefix = (string)Variables["homeQueuePrefix"]!;
        var regions = ParameterFiles[environment]["homeRegions"]!["value"]!.Values<string>().Select(r => prefix + r);
        var shared = Variables["sharedQueues"]!.Children<JObject>().Select(q => (string)q["name"]!);
        return regions.Concat(shared).ToHashSet(StringComparer.Ordinal);
    }

    public IReadOnlyList<string> Tables => Variables["tables"]!.Values<string>().Select(t => t!).ToList();
}
