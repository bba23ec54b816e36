using Gateway.Cli.Evaluate;
using Newtonsoft.Json.Linq;

namespace Gateway.Cli.Tests;

/// <summary>The what-if command run in-process on data files: no storage, no network.</summary>
public sealed class EvaluateCommandTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), $"whatif-{Guid.NewGuid():N}.json");

    private static FileInfo Data(string name) => new(Path.Combine(AppContext.BaseDirectory, "data", name));

    private (int Exit, JObject Json, string Stdout, string Stderr) Run(string input, string? pack = null, string? compare = null, string? catalog = null)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = EvaluateCommand.Run(Data(input), pack is null ? null : Data(pack), compare is null ? null : Data(compare), catalog is null ? null : Data(catalog),
            new FileInfo(_out), brief: false, stdout, stderr);
        return (exit, JObject.Parse(File.ReadAllText(_out)), stdout.ToString(), stderr.ToString());
    }

    private static JToken Result(JObject json, string id) => json["results"]!.Single(r => (string)r["id"]! == id);

    [Fact]
    public void The_spec_worked_examples_come_out_to_the_cent()
    {
        var (exit, json, stdout, _) = Run("spec-section-8.json");
        Assert.Equal(0, exit);
        var a = Result(json, "spec-A");
        Assert.Equal(("800.00", "2245.80", "4963.00", "0.60"), ((string)a["deductible"]!, (string)a["basicFund"]!, (string)a["cashPay"]!, (string)a["ratio"]!));
        var b = Result(json, "spec-B");
        Assert.Equal(("68440.85", "2461.29", "3445.33", "861.33", "0.00", "74347.47"),
            ((string)b["basicFund"]!, (string)b["majorIllnessFund"]!, (string)b["assistanceFund"]!, (string)b["accountPay"]!, (string)b["cashPay"]!, (string)b["fundTotal"]!));
        var c = Result(json, "spec-C");
        Assert.Equal(("6000.00", "58838.70", "5393.01", "4977.09", "70231.71"),
            ((string)c["basicFund"]!, (string)c["supplementaryFund"]!, (string)c["majorIllnessFund"]!, (string)c["cashPay"]!, (string)c["fundTotal"]!));
        Assert.Equal(("1871.50", "5337.30"), ((string)Result(json, "spec-A-unfiled")["basicFund"]!, (string)Result(json, "spec-A-unfiled")["cashPay"]!));
        Assert.NotEmpty(a["explanation"]!);
        Assert.Equal("2297.20", (string)a["accumulatorDeltas"]!["majorQualifying"]!);
        Assert.Equal(4, (int)json["summary"]!["count"]!);
        Assert.Equal("4117.30", (string)json["summary"]!["byHomeRegion"]!["511300"]!["basicFund"]!); // 2,245.80 + 1,871.50
        Assert.Contains("summary", stdout);
    }

    [Fact]
    public void Json_lines_with_a_separate_catalog_give_the_same_figures()
    {
        var (exit, json, _, _) = Run("spec-section-8.jsonl", catalog: "catalog.json");
        Assert.Equal(0, exit);
        Assert.Equal("74347.47", (string)Result(json, "spec-B")["fundTotal"]!);
    }

    [Fact]
    public void Raising_one_deductible_shows_its_budget_impact_per_fund()
    {
        var (exit, json, stdout, _) = Run("spec-section-8.json", compare: "511300-raised-deductible.json");
        Assert.Equal(0, exit); // a Nanchong draft pack compares Nanchong members; the others keep their own region's pack
        // Example A: deductible 800 → 1,000: basic (4,543 − 1,000) × 0.6 = 2,125.80, 120.00 less; the patient pays 120.00 more.
        var a = Result(json, "spec-A");
        Assert.Equal("2245.80", (string)a["base"]!["basicFund"]!);
        Assert.Equal("2125.80", (string)a["compare"]!["basicFund"]!);
        Assert.Equal("-120.00", (string)a["difference"]!["basicFund"]!);
        Assert.Equal("120.00", (string)a["difference"]!["cashPay"]!);
        // Unfiled A: 50%: 3,543 × 0.5 = 1,771.50 instead of 1,871.50: −100.00. Budget impact for 511300: −220.00.
        var impact = json["summary"]!["byHomeRegion"]!["511300"]!["budgetImpact"]!;
        Assert.Equal("-220.00", (string)impact["basicFund"]!);
        Assert.Equal("220.00", (string)impact["cashPay"]!);
        var b = Result(json, "spec-B"); // a Dongguan member: evaluated with Dongguan's seed pack, not compared
        Assert.Equal("74347.47", (string)b["base"]!["fundTotal"]!);
        Assert.Equal(JTokenType.Null, b["compare"]!.Type);
        Assert.Null(json["summary"]!["byHomeRegion"]!["441900"]!["budgetImpact"]);
        Assert.Equal("68440.85", (string)json["summary"]!["byHomeRegion"]!["441900"]!["basicFund"]!);
        Assert.Contains("Δ", stdout);
    }

    [Fact]
    public void Bad_scenarios_are_reported_with_id_and_path_and_do_not_stop_the_others()
    {
        var (exit, json, _, stderr) = Run("bad-scenarios.json");
        Assert.Equal(1, exit);
        Assert.Equal("4963.00", (string)Result(json, "ok-1")["cashPay"]!);
        Assert.Equal("1871.50", (string)Result(json, "ok-2")["fundTotal"]!); // ok-2 is unfiled example A
        Assert.Equal("$.member.insuranceType", (string)Result(json, "bad-member")["error"]!["path"]!);
        Assert.Equal("$.encounter.lines[0].unitPrice", (string)Result(json, "bad-money")["error"]!["path"]!);
        Assert.Equal("$.member.birthDate", (string)Result(json, "missing-birth")["error"]!["path"]!);
        Assert.Equal(2, (int)json["summary"]!["count"]!);
        Assert.Equal(3, (int)json["summary"]!["failed"]!);
        Assert.Contains("scenario 'bad-money'", stderr);
    }

    [Fact]
    public void Broken_json_midway_keeps_what_came_before_and_fails()
    {
        var file = Path.Combine(Path.GetTempPath(), $"broken-{Guid.NewGuid():N}.json");
        var text = File.ReadAllText(Data("spec-section-8.json").FullName);
        File.WriteAllText(file, text[..(text.IndexOf("\"spec-B\"", StringComparison.Ordinal) + 40)]);
        try
        {
            var stderr = new StringWriter();
            var exit = EvaluateCommand.Run(new FileInfo(file), null, null, null, new FileInfo(_out), false, new StringWriter(), stderr);
            Assert.Equal(1, exit);
            var json = JObject.Parse(File.ReadAllText(_out));
            Assert.Equal("2245.80", (string)Result(json, "spec-A")["basicFund"]!);
            Assert.Contains("not valid JSON", stderr.ToString());
        }
        finally { File.Delete(file); }
    }

    public void Dispose()
    {
        if (File.Exists(_out)) File.Delete(_out);
    }
}
