using Newtonsoft.Json.Linq;

namespace Gateway.LocalHost;

/// <summary>One binding of a function.json.</summary>
public sealed record Binding(string Type, string Direction, string Name, JObject Raw)
{
    public string? Get(string property) => Raw.Value<string>(property);
}

/// <summary>A function folder: its name and bindings.</summary>
public sealed record FunctionDefinition(string Name, IReadOnlyList<Binding> Bindings)
{
    public Binding? Trigger => Bindings.FirstOrDefault(b => b.Type.EndsWith("Trigger", StringComparison.Ordinal));

    public bool IsHttpOnly => Bindings.All(b => b.Type is "httpTrigger" or "http");
}

/// <summary>host.json and functions/*/function.json, read exactly as the Functions host reads them.</summary>
public sealed record FunctionApp(string Root, JObject HostJson, IReadOnlyList<FunctionDefinition> Functions)
{
    public bool ForwardHttp => HostJson.SelectToken("customHandler.enableForwardingHttpRequest")?.Value<bool>() ?? false;

    public string RoutePrefix => HostJson.SelectToken("extensions.http.routePrefix")?.Value<string>() ?? "api";

    public int MaxConcurrentCalls => HostJson.SelectToken("extensions.serviceBus.maxConcurrentCalls")?.Value<int>() ?? 16;

    public static FunctionApp Load(string root)
    {
        var host = JObject.Parse(File.ReadAllText(Path.Combine(root, "host.json")));
        var functions = new List<FunctionDefinition>();
        // The repository keeps function folders under functions/; a published site (what Azure runs, infra/publish.sh)
        // has them at the root beside host.json. Either layout loads.
        var functionsDir = Directory.Exists(Path.Combine(root, "functions")) ? Path.Combine(root, "functions") : root;
        foreach (var dir in Directory.EnumerateDirectories(functionsDir).Order())
        {
            var file = Path.Combine(dir, "function.json");
            if (!File.Exists(file)) continue;
            var json = JObject.Parse(File.ReadAllText(file));
            if (json.Value<bool?>("disabled") == true) continue;
            var bindings = ((JArray?)json["bindings"] ?? []).Cast<JObject>()
                .Select(b => new Binding(b.Value<string>("type") ?? "", b.Value<string>("direction") ?? "", b.Value<string>("name") ?? "", b))
                .ToList();
            functions.Add(new FunctionDefinition(Path.GetFileName(dir), bindings));
        }
        return new FunctionApp(root, host, functions);
    }
}
