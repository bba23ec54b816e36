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

    public static string NewId(string prefix = "t") => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(40, prefix.Length + 33)];

    public static async Task<JObject> Json(HttpResponseMessage r) => JObject.Parse(await r.Content.ReadAsStringAsync());
}
