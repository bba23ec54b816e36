namespace Gateway.Domain;

/// <summary>
/// One what-if scenario: a member, their accumulators and an encounter in a treatment region. The JSON form
/// (docs/whatif.md) is shared by the `evaluate` command and the worked-example test files.
/// </summary>
public sealed record Scenario(string Id, MemberProfile Member, Encounter Encounter, AnnualAccumulators Accumulators);

/// <summary>A problem in one scenario, with the JSON path of the offending field.</summary>
public sealed class ScenarioFormatException(string scenarioId, string path, string problem)
    : Exception($"scenario '{scenarioId}': {path}: {problem}")
{
    public string ScenarioId { get; } = scenarioId;
    public string JsonPath { get; } = path;
    public string Problem { get; } = problem;
}
