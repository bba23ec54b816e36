using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using NJsonSchema;

namespace Gateway.TestSupport;

/// <summary>
/// docs/openapi.json as the contract the tests hold every response to (NJsonSchema). Closed, as the gateway writes its
/// bodies: an object schema with properties allows no other member, so a field the document lacks fails; OpenAPI 3.0's
/// <c>nullable</c> becomes a null type; <c>#/components/schemas</c> references resolve against the document.
/// </summary>
public sealed class OpenApiContract
{
    public static OpenApiContract Default { get; } = new(Path.Combine(RepoPaths.Root, "docs", "openapi.json"));

    private readonly JObject _doc;
    private readonly JObject _definitions;
    private readonly List<(Regex Pattern, string Template, JObject Item)> _paths;
    private readonly ConcurrentDictionary<string, JsonSchema> _schemas = new(StringComparer.Ordinal);

    public OpenApiContract(string file)
    {
        _doc = JObject.Parse(File.ReadAllText(file));
        _definitions = (JObject)Close(Rewrite(_doc["components"]?["schemas"]?.DeepClone() ?? new JObject()));
        _paths = ((JObject)_doc["paths"]!).Properties()
            .Select(p => (new Regex("^" + Regex.Replace(Regex.Escape(p.Name), @"\\\{[^}]+}", "[^/]+") + "$"), p.Name, (JObject)p.Value))
            // Literal segments before parameters: /health/live before /health/{x}.
            .OrderBy(p => p.Name.Count(c => c == '{')).ToList();
    }

    /// <summary>A schema of the document (a response's, an example's owner) as a validator.</summary>
    public JsonSchema Schema(JToken schema)
    {
        var key = schema.ToString(Formatting.None);
        return _schemas.GetOrAdd(key, _ =>
        {
            var root = (JObject)Close(Rewrite(schema.DeepClone()));
            if (root["$ref"] is not null) root = new JObject { ["allOf"] = new JArray(new JObject { ["$ref"] = root["$ref"] }) };
            root["definitions"] = _definitions.DeepClone();
            return JsonSchema.FromJsonAsync(root.ToString(Formatting.None)).GetAwaiter().GetResult();
        });
    }

    /// <summary>Every problem with a response to <paramref name="method"/> <paramref name="path"/>, none when it matches the document.</summary>
    public IReadOnlyList<string> Check(string method, string path, int status, string? mediaType, string body)
    {
        var match = _paths.FirstOrDefault(p => p.Pattern.IsMatch(path));
        // A route that does not exist answers the fallback's not-found problem (tests probe that it does not exist).
        if (match.Item is null && status == 404 && body.Contains("/problems/not-found", StringComparison.Ordinal)) return [];
        if (match.Item is null) return [$"{method} {path}: the route is not in docs/openapi.json"];
        if (match.Item[method.ToLowerInvariant()] is not JObject operation) return [$"{method} {match.Template}: the method is not in docs/openapi.json"];
        var responses = (JObject)operation["responses"]!;
        var response = responses[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] ?? responses[$"{status / 100}XX"] ?? responses["default"];
        if (response is null) return [$"{method} {match.Template}: status {status} is not in docs/openapi.json"];
        if (response["$ref"] is { } r) response = _doc.SelectToken(((string)r!).TrimStart('#').Replace('/', '.').TrimStart('.'));
        if (mediaType is null || body.Length == 0) return [];
        if (!mediaType.Contains("json", StringComparison.OrdinalIgnoreCase)) return [];
        var content = response?["content"]?[mediaType] as JObject;
        if (content is null) return [$"{method} {match.Template} {status}: docs/openapi.json has no {mediaType} content"];
        if (content["schema"] is not { } schema) return [$"{method} {match.Template} {status} {mediaType}: docs/openapi.json has no schema"];
        if (path == "/api/v1/openapi.json") return []; // the document itself
        JToken token;
        using (var reader = new JsonTextReader(new StringReader(body)) { DateParseHandling = DateParseHandling.None, FloatParseHandling = FloatParseHandling.Decimal })
            token = JToken.Load(reader);
        return Schema(schema).Validate(token).Select(e => $"{method} {match.Template} {status}: {e.Path}: {e.Kind} {e.Property}").ToList();
    }

    private static JToken Rewrite(JToken token)
    {
        foreach (var r in token.SelectTokens("$..$ref").ToList())
            if (r is JValue { Value: string s } v) v.Value = s.Replace("#/components/schemas/", "#/definitions/", StringComparison.Ordinal);
        return token;
    }

    /// <summary>Object schemas with properties are closed unless they say otherwise; nullable becomes a null type.</summary>
    private static JToken Close(JToken token)
    {
        foreach (var o in (token is JContainer c ? c.DescendantsAndSelf() : [token]).OfType<JObject>().ToList())
        {
            if (o["properties"] is JObject && o["additionalProperties"] is null && o["allOf"] is null && o["oneOf"] is null) o["additionalProperties"] = false;
            if (o["nullable"] is JValue { Value: true })
            {
                o.Remove("nullable");
                if (o["type"] is JValue { Value: string t }) o["type"] = new JArray(t, "null");
                else if (o["$ref"] is { } r) { o.Remove("$ref"); o["oneOf"] = new JArray(new JObject { ["$ref"] = r }, new JObject { ["type"] = "null" }); }
            }
        }
        return token;
    }
}

/// <summary>
/// Holds every response the tests' client receives to docs/openapi.json (<see cref="OpenApiContract"/>): a route, method,
/// status or member the document does not describe fails the request, and with it the test.
/// </summary>
public sealed class OpenApiValidatingHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var response = await base.SendAsync(request, ct).ConfigureAwait(false);
        var path = request.RequestUri!.AbsolutePath;
        if (!path.StartsWith("/api/", StringComparison.Ordinal)) return response; // the host's own routes (/admin/…)
        await response.Content.LoadIntoBufferAsync(ct).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        var problems = OpenApiContract.Default.Check(request.Method.Method, Uri.UnescapeDataString(path), (int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, body);
        if (problems.Count > 0)
            throw new OpenApiMismatchException($"The response does not match docs/openapi.json:\n  {string.Join("\n  ", problems)}\nbody: {(body.Length > 2000 ? body[..2000] + "…" : body)}");
        return response;
    }
}

public sealed class OpenApiMismatchException(string message) : Exception(message);
