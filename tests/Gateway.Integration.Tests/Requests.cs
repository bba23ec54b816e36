using Newtonsoft.Json.Linq;
using Gateway.TestSupport;

namespace Gateway.Integration.Tests;

/// <summary>Request bodies for the tests, from the demo files.</summary>
public static class Requests
{
    public static string SpecA(string id) =>
        File.ReadAllText(Path.Combine(RepoPaths.Root, "data", "demo", "settlement-A.json")).Replace("__ID__", id, StringComparison.Ordinal);

    public static string With(string body, Action<JObject> change)
    {
        var o = JObject.Parse(body);
        change(o);
        return o.ToString();
    }

    /// <summary>Example A for <paramref name="member"/> with <paramref name="lines"/> lines of 2 × 10.00, alternating class A (D001) and class B (D002).</summary>
    public static string LongBill(string id, string member, int lines) => With(SpecA(id), o =>
    {
        o["member"]!["memberId"] = member;
        o["encounter"]!["lines"] = new JArray(Enumerable.Range(1, lines).Select(i => new JObject
        {
            ["lineNo"] = i, ["itemCode"] = i % 2 == 0 ? "D001" : "D002", ["name"] = "藥品 drug " + i, ["quantity"] = "2", ["unitPrice"] = "10.00", ["amount"] = "20.00",
        }));
    });

    public static string NewId(string prefix = "t") => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(40, prefix.Length + 33)];

    public static async Task<JObject> Json(HttpResponseMessage r) => JObject.Parse(await r.Content.ReadAsStringAsync());

    /// <summary>
    /// Reads an RFC 9457 answer: asserts it is application/problem+json and carries no stack trace, and returns its
    /// status, its type's last segment (e.g. <c>line-arithmetic</c>) and its body.
    /// </summary>
    public static async Task<(System.Net.HttpStatusCode Status, string Type, JObject Body)> ProblemAsync(HttpResponseMessage r)
    {
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{(int)r.StatusCode}: {text}");
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal); // never a stack trace
        var body = JObject.Parse(text);
        return (r.StatusCode, ((string)body["type"]!).Replace("https://gateway.example.org/problems/", "", StringComparison.Ordinal), body);
    }
}
