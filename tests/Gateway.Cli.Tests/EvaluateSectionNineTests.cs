using Gateway.Cli.Evaluate;
using Newtonsoft.Json.Linq;

namespace Gateway.Cli.Tests;

/// <summary>The what-if on the spec's §9 examples (data/spec-section-9.json), and members in the registry's own form.</summary>
public sealed class EvaluateSectionNineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("whatif9-").FullName;

    private static JObject Doc() => JObject.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "data", "spec-section-9.json")));

    private (int Exit, JObject Json, string Stderr) Run(JObject doc)
    {
        var input = Path.Combine(_dir, "in.json");
        File.WriteAllText(input, doc.ToString());
        var output = Path.Combine(_dir, "out.json");
        var stderr = new StringWriter();
        var exit = EvaluateCommand.Run(new FileInfo(input), null, null, null, new FileInfo(output), false, new StringWriter(), stderr);
        return (exit, JObject.Parse(File.ReadAllText(output)), stderr.ToString());
    }

    private static JToken Result(JObject json, string id) => json["results"]!.Single(r => (string)r["id"]! == id);

    private static (string, string, string, string) Funds(JToken r) =>
        ((string)r["basicFund"]!, (string)r["majorIllnessFund"]!, (string)r["assistanceFund"]!, (string)r["cashPay"]!);

    [Fact]
    public void The_section_9_examples_come_out_to_the_cent_with_the_new_fields()
    {
        var (exit, json, stderr) = Run(Doc());
        Assert.True(exit == 0, stderr);
        var e = Result(json, "spec-E");
        Assert.Equal(("3638.70", "4133.01", "0.00", "4437.09"), Funds(e));
        Assert.Equal("3500.00", (string)e["majorIllnessOutOfCatalog"]!);
        Assert.Contains(e["explanation"]!, s => (string)s["code"]! == "majorIllnessFund.outOfCatalog" && (int)s["lineNo"]! == 8);
        var f = Result(json, "spec-F");
        Assert.Equal(("2725.80", "0.00", "1362.90", "3120.10"), Funds(f));
        Assert.Equal("90.86", (string)f["burdenCeilingPaid"]!);
        Assert.Equal(("43045.80", "19173.18", "7226.81", "5763.01"), Funds(Result(json, "spec-F2")));
        var g = Result(json, "spec-G");
        Assert.Equal(("2620.10", "0.00", "0.00", "4588.70"), Funds(g));
        Assert.Equal("0.70", (string)g["ratio"]!);
        Assert.Equal("0.00", (string)g["majorIllnessOutOfCatalog"]!);
    }

    [Fact]
    public void Special_diseases_as_codes_and_as_registry_objects_give_the_same_split_and_the_validity_counts()
    {
        var doc = Doc();
        var scenarios = (JArray)doc["scenarios"]!;
        var f = (JObject)scenarios.Single(s => (string)s["id"]! == "spec-F");
        var asCode = (JObject)f.DeepClone();
        asCode["id"] = "F-code";
        asCode["member"]!["specialDiseases"] = new JArray("M01600");
        var expired = (JObject)f.DeepClone();
        expired["id"] = "F-expired";
        expired["member"]!["specialDiseases"] = JArray.Parse("[{\"code\": \"M01600\", \"validFrom\": \"2024-01-01\", \"validTo\": \"2026-04-30\"}]");
        var mixed = (JObject)f.DeepClone();
        mixed["id"] = "F-mixed";
        mixed["member"]!["specialDiseases"] = JArray.Parse("[\"E11\", {\"code\": \"M01600\", \"validFrom\": \"2026-05-12\"}]");
        scenarios.Add(asCode);
        scenarios.Add(expired);
        scenarios.Add(mixed);
        var (exit, json, _) = Run(doc);
        Assert.Equal(1, exit); // the expired registration is a rejection
        Assert.Equal(Funds(Result(json, "spec-F")), Funds(Result(json, "F-code")));
        Assert.Equal(Funds(Result(json, "spec-F")), Funds(Result(json, "F-mixed")));
        Assert.Contains("special-disease-not-registered", (string)Result(json, "F-expired")["error"]!["problem"]!);
    }

    [Theory]
    [InlineData("[{\"code\": \"M01600\"}]", "$.member.specialDiseases[0].validFrom", "is required")]
    [InlineData("[{\"code\": \"M01600\", \"validFrom\": \"2026-02-30\"}]", "$.member.specialDiseases[0].validFrom", "yyyy-MM-dd")]
    [InlineData("[{\"code\": \"M01600\", \"validFrom\": \"2026-05-01\", \"validTo\": \"2026-04-01\"}]", "$.member.specialDiseases[0].validTo", "before validFrom")]
    [InlineData("[{\"code\": \"M01600\", \"validFrom\": \"2026-05-01\", \"vaildTo\": null}]", "$.member.specialDiseases[0].vaildTo", "not a field")]
    [InlineData("[{\"code\": \"M 016\", \"validFrom\": \"2026-05-01\"}]", "$.member.specialDiseases[0].code", "special-disease code")]
    [InlineData("[{\"code\": 16, \"validFrom\": \"2026-05-01\"}]", "$.member.specialDiseases[0].code", "a string")]
    [InlineData("[7]", "$.member.specialDiseases[0]", "registration")]
    [InlineData("\"M01600\"", "$.member.specialDiseases", "an array")]
    public void A_bad_registration_is_reported_at_its_path(string diseases, string path, string problem)
    {
        var doc = Doc();
        var f = (JObject)((JArray)doc["scenarios"]!).Single(s => (string)s["id"]! == "spec-F");
        f["member"]!["specialDiseases"] = JToken.Parse(diseases);
        var (exit, json, _) = Run(doc);
        Assert.Equal(1, exit);
        var error = Result(json, "spec-F")["error"]!;
        Assert.Equal(path, (string)error["path"]!);
        Assert.Contains(problem, (string)error["problem"]!);
    }

    [Fact]
    public void Filings_in_the_registry_form_decide_the_unfiled_penalty()
    {
        var doc = Doc();
        var scenarios = (JArray)doc["scenarios"]!;
        var g = (JObject)scenarios.Single(s => (string)s["id"]! == "spec-G");
        // Treated in Shenzhen: filed there (a registry filing) → 70%; filed only for Fuzhou → 60%; both forms at once → an error.
        JObject Variant(string id, string filings, bool? filed = null)
        {
            var v = (JObject)g.DeepClone();
            v["id"] = id;
            v["treatmentRegion"] = "440300";
            v["member"]!["filings"] = JToken.Parse(filings);
            if (filed is { } f) v["member"]!["filed"] = f;
            scenarios.Add(v);
            return v;
        }
        Variant("G-filed-sz", "[{\"treatmentRegion\": \"440300\", \"validFrom\": \"2026-04-01\", \"validTo\": \"2026-09-27\"}]");
        Variant("G-filed-fz", "[{\"treatmentRegion\": \"350100\", \"validFrom\": \"2026-04-01\", \"validTo\": null}]");
        Variant("G-both", "[]", filed: true);
        var (_, json, _) = Run(doc);
        Assert.Equal("0.70", (string)Result(json, "G-filed-sz")["ratio"]!);
        Assert.Equal("0.60", (string)Result(json, "G-filed-fz")["ratio"]!);
        Assert.Equal("$.member.filings", (string)Result(json, "G-both")["error"]!["path"]!);
    }

    public void Dispose() => Directory.Delete(_dir, true);
}
