using System.Text.RegularExpressions;
using Gateway.Domain;
using Gateway.TestSupport;
using Newtonsoft.Json.Linq;

namespace Gateway.Integration.Tests;

/// <summary>
/// The OpenAPI document and docs/api.md against the code: every problem type the handler can answer has an example
/// in the document and a line in the docs, and every HTTP function's methods are described on its path.
/// </summary>
public sealed class OpenApiProblemTests
{
    private static readonly JObject Doc = JObject.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "openapi.json")));

    /// <summary>Problem type names of the handler's catalogue (ProblemTypes.All: its own types, the signature problems and every rejection code).</summary>
    private static SortedSet<string> EmittedTypes() =>
        new(Gateway.Handler.Problems.ProblemTypes.All.Select(t => t.Name), StringComparer.Ordinal);

    [Fact]
    public void The_source_scan_finds_the_problem_types_it_should()
    {
        var types = EmittedTypes();
        // A guard on the catalogue itself.
        Assert.Superset(new SortedSet<string> { "validation-error", "malformed-json", "not-found", "not-cancellable", "forbidden", "signature-replayed", "line-arithmetic" }, types);
    }

    [Fact]
    public void Every_problem_type_the_handler_answers_has_an_example_in_the_OpenAPI_document()
    {
        var examples = ((JObject)Doc["components"]!["examples"]!).Properties().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var missing = EmittedTypes().Where(t => !examples.Contains("problem-" + t)).ToList();
        Assert.True(missing.Count == 0, $"docs/openapi.json has no components.examples.problem-{{type}} for: {string.Join(", ", missing)}");
        foreach (var name in examples.Where(e => e.StartsWith("problem-", StringComparison.Ordinal)))
        {
            var value = Doc["components"]!["examples"]![name]!["value"]!;
            Assert.Equal($"https://gateway.example.org/problems/{name["problem-".Length..]}", (string?)value["type"]);
            Assert.InRange((int)value["status"]!, 400, 599);
        }
    }

    [Fact]
    public void Every_problem_type_the_handler_answers_is_listed_in_docs_api()
    {
        var api = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "api.md"));
        var missing = EmittedTypes().Where(t => !api.Contains($"`{t}`", StringComparison.Ordinal) && !api.Contains("problems/" + t, StringComparison.Ordinal)).ToList();
        Assert.True(missing.Count == 0, $"docs/api.md does not list: {string.Join(", ", missing)}");
    }

    [Fact]
    public void Every_http_function_has_its_methods_described_on_its_path()
    {
        static string Normalize(string route) => Regex.Replace(route, "{\\*?([a-zA-Z]+)(:[^}]*)?}", "{$1}");
        var paths = (JObject)Doc["paths"]!;
        foreach (var dir in Directory.EnumerateDirectories(Path.Combine(RepoPaths.Root, "functions")))
        {
            var trigger = JObject.Parse(File.ReadAllText(Path.Combine(dir, "function.json")))["bindings"]!.FirstOrDefault(b => (string)b["type"]! == "httpTrigger");
            if (trigger is null) continue;
            var route = "/api/" + Normalize((string)trigger["route"]!);
            if (route is "/api/v1/clearing/{rest}") continue;
            var item = paths[route] as JObject;
            Assert.True(item is not null, $"{route} is not in docs/openapi.json");
            foreach (var method in trigger["methods"]!.Values<string>())
                Assert.True(item![method!.ToLowerInvariant()] is JObject, $"{Path.GetFileName(dir)}: {method!.ToUpperInvariant()} {route} is not described");
        }
    }

    [Fact]
    public void Every_request_body_in_the_OpenAPI_document_has_an_example()
    {
        foreach (var (path, item) in (JObject)Doc["paths"]!)
        {
            foreach (var op in ((JObject)item!).Properties().Where(p => p.Value is JObject o && o["requestBody"] is not null))
            {
                var content = (JObject)op.Value["requestBody"]!["content"]!;
                Assert.True(content.Properties().Any(c => c.Value["example"] is not null || c.Value["examples"] is JObject { HasValues: true }),
                    $"{op.Name.ToUpperInvariant()} {path}: the request body has no example");
            }
        }
    }
}
