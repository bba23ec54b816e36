using Gateway.Cli.Evaluate;

namespace Gateway.Cli.Tests;

/// <summary><c>gateway evaluate --audit DIR</c>: which audit rules of a draft would fire on a batch (spec §10.2), offline.</summary>
public sealed class EvaluateAuditTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audit-draft-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static FileInfo Data(string name) => new(Path.Combine(AppContext.BaseDirectory, "data", name));

    [Fact]
    public void A_draft_of_rules_is_tried_on_the_batch_before_it_is_switched_on()
    {
        File.WriteAllText(Path.Combine(_dir, "national.json"), """
            { "region": "national", "version": "draft", "effectiveFrom": "2024-01-01", "rules": [
              { "id": "D-BEDDAY-1", "kind": "maxQuantityPerDay", "itemCode": "S002", "max": 1, "outcome": "block" },
              { "id": "D-STAY-5", "kind": "maxLengthOfStay", "days": 5, "outcome": "flag" },
              { "id": "D-NEVER", "kind": "maxLengthOfStay", "days": 300, "outcome": "flag" } ] }
            """);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = EvaluateCommand.Run(Data("spec-section-8.json"), null, null, null, null, brief: false, stdout, stderr, new DirectoryInfo(_dir));
        Assert.Equal(0, exit);
        var text = stdout.ToString();
        Assert.Contains("audit: 4 checked", text);
        Assert.Contains("D-BEDDAY-1", text); // example A: 12 bed-days over an 8-day stay
        Assert.Contains("D-STAY-5", text);
        Assert.DoesNotContain("D-NEVER", text);
    }

    [Fact]
    public void A_bad_draft_is_refused_naming_the_file_and_the_path()
    {
        File.WriteAllText(Path.Combine(_dir, "440300.json"), """{ "region": "440300", "version": "x", "effectiveFrom": "2024-01-01", "rules": [ { "id": "a", "kind": "ageRange", "outcome": "flag" } ] }""");
        var stderr = new StringWriter();
        var exit = EvaluateCommand.Run(Data("spec-section-8.json"), null, null, null, null, brief: false, new StringWriter(), stderr, new DirectoryInfo(_dir));
        Assert.Equal(2, exit);
        Assert.Matches(@"440300\.json: \$\.rules\[0\]\.(minAge|itemCode): is required", stderr.ToString());
    }
}
