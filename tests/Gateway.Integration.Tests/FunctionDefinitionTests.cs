using Gateway.Handler.Hosting;
using Gateway.TestSupport;
using Newtonsoft.Json.Linq;

namespace Gateway.Integration.Tests;

/// <summary>The handler against the definitions: what runs locally is what deploys.</summary>
public sealed class FunctionDefinitionTests
{
    private static readonly string FunctionsDir = Path.Combine(RepoPaths.Root, "functions");

    private static Dictionary<string, JArray> Definitions() =>
        Directory.EnumerateDirectories(FunctionsDir).ToDictionary(d => Path.GetFileName(d),
            d => (JArray)JObject.Parse(File.ReadAllText(Path.Combine(d, "function.json")))["bindings"]!);

    [Fact]
    public void Every_function_folder_has_a_handler_route_and_every_route_has_a_folder()
    {
        var folders = Definitions().Keys.Order().ToList();
        var routes = FunctionRoutes.All.Select(f => f.Name).Order().ToList();
        Assert.Equal(routes, folders);
    }

    [Fact]
    public void Forwarded_functions_are_http_only_and_invocation_functions_are_not()
    {
        var host = JObject.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "host.json")));
        Assert.True(host.SelectToken("customHandler.enableForwardingHttpRequest")!.Value<bool>());
        var defs = Definitions();
        foreach (var (name, kind) in FunctionRoutes.All)
        {
            var httpOnly = defs[name].All(b => (string)b["type"]! is "httpTrigger" or "http");
            Assert.True(httpOnly == (kind == FunctionKind.ForwardedHttp), $"{name}: kind {kind} but http-only = {httpOnly}");
        }
    }

    [Fact]
    public void Every_queue_written_is_read_and_every_queue_read_is_written_through_one_connection()
    {
        var bindings = Definitions().SelectMany(d => d.Value.Select(b => (Function: d.Key, Binding: (JObject)b))).ToList();
        var sb = bindings.Where(x => ((string)x.Binding["type"]!).StartsWith("serviceBus", StringComparison.Ordinal)).ToList();
        Assert.All(sb, x => Assert.Equal("ServiceBusConnection", (string?)x.Binding["connection"]));
        // Output bindings write the replies and callbacks; the handler's messaging port writes the evaluation requests.
        var written = sb.Where(x => (string)x.Binding["direction"]! == "out").Select(x => (string)x.Binding["queueName"]!)
            .Concat(FunctionRoutes.HomeRegions.Select(Gateway.Handler.Intake.Dispatcher.QueueFor)).ToHashSet();
        var read = sb.Where(x => (string)x.Binding["type"]! == "serviceBusTrigger").Select(x => (string)x.Binding["queueName"]!).ToHashSet();
        Assert.Equal(read.Order(), written.Order());
    }

    [Fact]
    public void No_http_function_has_a_queue_output_and_no_dispatch_function_exists()
    {
        // A message reaches a queue only from the handler's own code (after a hospital's signature) or a queue function's
        // output: no HTTP route of the host can put one there (the forgeable internal/dispatch is gone).
        foreach (var (name, bindings) in Definitions())
        {
            var http = bindings.Any(b => (string)b["type"]! == "httpTrigger");
            var queueOut = bindings.Any(b => (string)b["direction"]! == "out" && (string)b["type"]! is "serviceBus" or "queue");
            Assert.False(http && queueOut, $"{name} is an HTTP function with a queue output");
        }
        Assert.DoesNotContain("Dispatch", Definitions().Keys);
    }

    [Fact]
    public void Each_home_region_has_its_queue_and_its_evaluator()
    {
        var defs = Definitions();
        foreach (var region in FunctionRoutes.HomeRegions)
        {
            var trigger = defs["EvaluateHome" + region].Single(b => (string)b["type"]! == "serviceBusTrigger");
            Assert.Equal("eval-requests-" + region, (string)trigger["queueName"]!);
            Assert.Equal("eval-requests-" + region, Gateway.Handler.Intake.Dispatcher.QueueFor(region));
        }
        // Evaluators are one per rule pack: no folder without a pack, no pack without its folder.
        var evaluators = defs.Keys.Where(k => k.StartsWith("EvaluateHome", StringComparison.Ordinal)).Select(k => k["EvaluateHome".Length..]).Order(StringComparer.Ordinal);
        var packs = Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "packs"), "*.json").Select(f => (string)JObject.Parse(File.ReadAllText(f))["region"]!).Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(packs, evaluators);
    }
}
