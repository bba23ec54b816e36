using Gateway.TestSupport;
using Newtonsoft.Json.Linq;

namespace Gateway.Integration.Tests;

/// <summary>
/// docs/openapi.json against itself and against the gateway: every example validates against its schema (NJsonSchema,
/// closed like the responses the tests receive, see <see cref="OpenApiContract"/>), and every response the tests receive
/// is checked by <see cref="OpenApiValidatingHandler"/> on the fixture's client.
/// </summary>
public sealed class OpenApiContractTests
{
    private static readonly JObject Doc = JObject.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "openapi.json")));

    /// <summary>Every media type with a schema and an example (inline or a components.examples reference), request and response.</summary>
    public static TheoryData<string> Examples()
    {
        var data = new TheoryData<string>();
        foreach (var media in Doc["paths"]!.SelectTokens("$..content.*").OfType<JObject>())
        {
            if (media["schema"] is null) continue;
            if (media["example"] is not null) data.Add(media.Path);
            foreach (var e in (media["examples"] as JObject)?.Properties() ?? []) data.Add(media.Path + "|" + e.Name);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Every_example_validates_against_its_schema(string where)
    {
        var parts = where.Split('|');
        var media = (JObject)Doc.SelectToken(parts[0].Replace("['", "['", StringComparison.Ordinal))!;
        JToken example;
        if (parts.Length == 1) example = media["example"]!;
        else
        {
            var e = media["examples"]![parts[1]]!;
            if (e["$ref"] is { } r) e = Doc.SelectToken(((string)r!)[2..].Replace('/', '.'))!;
            example = e["value"]!;
        }
        var errors = OpenApiContract.Default.Schema(media["schema"]!).Validate(example);
        Assert.True(errors.Count == 0, $"{where}: {string.Join("; ", errors.Select(x => $"{x.Path}: {x.Kind} {x.Property}"))}");
    }

    [Fact]
    public void A_route_or_a_member_the_document_lacks_fails()
    {
        var c = OpenApiContract.Default;
        Assert.NotEmpty(c.Check("GET", "/api/v1/nowhere", 200, "application/json", "{}"));
        Assert.NotEmpty(c.Check("DELETE", "/api/v1/health", 200, "application/json", "{}"));
        Assert.NotEmpty(c.Check("GET", "/api/v1/health", 418, "application/json", "{}"));
        Assert.NotEmpty(c.Check("GET", "/api/v1/health", 200, "application/json", "{\"status\":\"up\",\"extra\":1}"));
        Assert.Empty(c.Check("GET", "/api/v1/health", 200, "application/json", "{\"status\":\"up\"}"));
        Assert.Empty(c.Check("GET", "/api/v1/health/live", 200, "application/json", "{\"status\":\"up\"}"));
    }
}
