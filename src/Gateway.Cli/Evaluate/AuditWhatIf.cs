using Gateway.Domain;

namespace Gateway.Cli.Evaluate;

/// <summary>
/// <c>gateway evaluate --audit DIR</c>: which audit rules (spec §10.2, the files of DIR: a national file and the treatment regions'
/// files, e.g. a draft) would fire on the batch, so a region can try a rule before switching it on. The bill's own checks
/// (quantity per day, length of stay) and the member's (age; readmission and visit frequency against the member's earlier
/// scenarios of the same batch, in input order) are run on every scenario that evaluated.
/// </summary>
public sealed class AuditWhatIf(AuditRuleSet rules)
{
    private readonly Dictionary<string, List<MemberVisit>> _history = new(StringComparer.Ordinal);

    /// <summary>Per rule: kind, outcome, how many scenarios it fired on, the first few scenario ids.</summary>
    public SortedDictionary<string, (string Kind, string Outcome, int Count, List<string> First)> Fired { get; } = new(StringComparer.Ordinal);

    public int Checked { get; private set; }
    public int Blocked { get; private set; }
    public int Flagged { get; private set; }

    public IReadOnlyList<AuditFinding> Check(ScenarioOutcome outcome, EvaluationRun run)
    {
        if (outcome.Failed || outcome.Input.Scenario is not { } s) return [];
        Checked++;
        var e = s.Encounter;
        var inForce = rules.For(e.TreatmentRegion, e.ServiceDate);
        var history = _history.TryGetValue(s.Member.MemberId, out var h) ? h : _history[s.Member.MemberId] = [];
        List<AuditFinding> findings = [.. AuditEngine.AtGateway(inForce, e, run.CatalogFor(e.TreatmentRegion)), .. AuditEngine.AtHome(inForce, e, s.Member, history)];
        history.Add(new MemberVisit(outcome.Input.Id, e.AdmissionDate, e.DischargeDate, e.PrimaryDiagnosis));
        if (findings.Any(f => f.Blocks)) Blocked++;
        else if (findings.Count > 0) Flagged++;
        foreach (var f in findings)
        {
            var (kind, result, count, first) = Fired.TryGetValue(f.RuleId, out var x) ? x : (f.Kind, f.Outcome, 0, new List<string>());
            if (first.Count < 5) first.Add(outcome.Input.Id);
            Fired[f.RuleId] = (kind, result, count + 1, first);
        }
        return findings;
    }
}
