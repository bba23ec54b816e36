using Gateway.Cli.Evaluate;
using Newtonsoft.Json.Linq;

namespace Gateway.Cli.Tests;

/// <summary>
/// What policy staff feed the what-if is hand-edited: values that are not scenarios, misspelt fields, money as JSON
/// numbers, a catalog that cannot be read. Each is reported where it is; nothing is silently misread.
/// </summary>
public sealed class EvaluateInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("whatif-").FullName;

    private static JObject SpecA(string id)
    {
        var spec = JObject.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "data", "spec-section-8.json")));
        var a = (JObject)spec["scenarios"]!.Single(s => (string)s["id"]! == "spec-A").DeepClone();
        a["id"] = id;
        return a;
    }

    private static JObject Catalog() =>
        (JObject)JObject.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "data", "spec-section-8.json")))["catalog"]!;

    private (int Exit, JObject? Json, string Stderr) Run(string inputName, string inputText, string? catalogText = null)
    {
        var input = Path.Combine(_dir, inputName);
        File.WriteAllText(input, inputText);
        FileInfo? catalog = null;
        if (catalogText is not null)
        {
            catalog = new FileInfo(Path.Combine(_dir, "catalog.json"));
            File.WriteAllText(catalog.FullName, catalogText);
        }
        var output = Path.Combine(_dir, "out.json");
        var stderr = new StringWriter();
        var exit = EvaluateCommand.Run(new FileInfo(input), null, null, catalog, new FileInfo(output), true, new StringWriter(), stderr);
        return (exit, File.Exists(output) ? JObject.Parse(File.ReadAllText(output)) : null, stderr.ToString());
    }

    private static JToken Result(JObject json, string id) => json["results"]!.Single(r => (string)r["id"]! == id);

    [Fact]
    public void Values_that_are_not_scenarios_are_reported_and_the_scenarios_after_them_still_run()
    {
        var doc = new JObject { ["catalog"] = Catalog(), ["scenarios"] = new JArray(SpecA("first"), 1, JValue.CreateNull(), "x", new JArray(1, 2), SpecA("last")) };
        var (exit, json, stderr) = Run("mixed.json", doc.ToString());
        Assert.Equal(1, exit);
        Assert.Equal("4963.00", (string)Result(json!, "first")["cashPay"]!);
        Assert.Equal("4963.00", (string)Result(json!, "last")["cashPay"]!);
        Assert.Equal(2, (int)json!["summary"]!["count"]!);
        Assert.Equal(4, (int)json["summary"]!["failed"]!);
        Assert.Equal("$.scenarios[1]", (string)Result(json, "#2")["error"]!["path"]!);
        Assert.Contains("not a number", (string)Result(json, "#2")["error"]!["problem"]!, StringComparison.Ordinal);
        Assert.Contains("not an array", (string)Result(json, "#5")["error"]!["problem"]!, StringComparison.Ordinal);
        Assert.Contains("scenario '#3'", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_json_lines_value_that_is_not_an_object_is_reported_by_line()
    {
        var lines = string.Join('\n', SpecA("one").ToString(Newtonsoft.Json.Formatting.None), "42", SpecA("two").ToString(Newtonsoft.Json.Formatting.None));
        var (exit, json, _) = Run("s.jsonl", lines, Catalog().ToString());
        Assert.Equal(1, exit);
        Assert.Equal(2, (int)json!["summary"]!["count"]!);
        Assert.Contains("a scenario object is expected", (string)Result(json, "line 2")["error"]!["problem"]!, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("member", "retierd", "$.member.retierd")]
    [InlineData("encounter", "useAcount", "$.encounter.useAcount")]
    [InlineData("", "acumulators", "$.acumulators")]
    public void A_misspelt_field_is_an_error_at_its_path_not_a_silent_default(string parent, string field, string path)
    {
        var a = SpecA("typo");
        var target = parent.Length == 0 ? a : (JObject)a[parent]!;
        target[field] = true;
        var (exit, json, _) = Run("typo.json", new JObject { ["catalog"] = Catalog(), ["scenarios"] = new JArray(a, SpecA("fine")) }.ToString());
        Assert.Equal(1, exit);
        Assert.Equal(path, (string)Result(json!, "typo")["error"]!["path"]!);
        Assert.Equal("4963.00", (string)Result(json!, "fine")["cashPay"]!);
    }

    [Fact]
    public void A_misspelt_line_field_is_reported_with_its_index()
    {
        var a = SpecA("line-typo");
        a["encounter"]!["lines"]![2]!["unitPirce"] = "1.00";
        var (_, json, _) = Run("line.json", new JObject { ["catalog"] = Catalog(), ["scenarios"] = new JArray(a) }.ToString());
        Assert.Equal("$.encounter.lines[2].unitPirce", (string)Result(json!, "line-typo")["error"]!["path"]!);
    }

    [Fact]
    public void Money_as_json_numbers_gives_the_same_split_to_the_cent()
    {
        var a = SpecA("numbers");
        foreach (var line in a["encounter"]!["lines"]!)
        {
            foreach (var f in new[] { "quantity", "unitPrice", "amount" }) line[f] = decimal.Parse((string)line[f]!, System.Globalization.CultureInfo.InvariantCulture);
        }
        var (exit, json, _) = Run("numbers.json", new JObject { ["catalog"] = Catalog(), ["scenarios"] = new JArray(a) }.ToString());
        Assert.Equal(0, exit);
        Assert.Equal("2245.80", (string)Result(json!, "numbers")["basicFund"]!);
        Assert.Equal("4963.00", (string)Result(json!, "numbers")["cashPay"]!);
    }

    [Fact]
    public void An_engine_rejection_points_at_the_line_as_a_json_path()
    {
        var a = SpecA("arith");
        a["encounter"]!["lines"]![1]!["amount"] = "971.00"; // 20 × 48.50 = 970.00
        var (_, json, _) = Run("arith.json", new JObject { ["catalog"] = Catalog(), ["scenarios"] = new JArray(a) }.ToString());
        var error = Result(json!, "arith")["error"]!;
        Assert.Equal("$.encounter.lines[1].amount", (string)error["path"]!);
        Assert.StartsWith("line-arithmetic", (string)error["problem"]!, StringComparison.Ordinal);
    }

    [Fact]
    public void A_member_in_the_hospitals_own_region_is_reported_at_the_home_region()
    {
        var a = SpecA("local");
        a["member"]!["homeRegion"] = "440300";
        var (_, json, _) = Run("local.json", new JObject { ["catalog"] = Catalog(), ["scenarios"] = new JArray(a) }.ToString());
        Assert.Equal("$.member.homeRegion", (string)Result(json!, "local")["error"]!["path"]!);
    }

    [Fact]
    public void An_unreadable_catalog_file_is_exit_2_with_its_name_and_no_output()
    {
        var (exit, json, stderr) = Run("s.jsonl", SpecA("x").ToString(Newtonsoft.Json.Formatting.None), "{ \"D001\": { \"class\": ");
        Assert.Equal(2, exit);
        Assert.Null(json);
        Assert.Contains("catalog.json", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_embedded_catalog_is_exit_2_and_leaves_no_half_written_output()
    {
        var doc = new JObject { ["catalog"] = new JObject { ["D001"] = new JObject { ["class"] = "Z" } }, ["scenarios"] = new JArray(SpecA("x")) };
        var (exit, json, stderr) = Run("badcat.json", doc.ToString());
        Assert.Equal(2, exit);
        Assert.Null(json);
        Assert.Contains("D001", stderr, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
