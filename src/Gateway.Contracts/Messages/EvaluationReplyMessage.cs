using Gateway.Domain;

namespace Gateway.Contracts;

/// <summary>The <c>outcome</c> of a reply (docs/messages.md).</summary>
public static class ReplyOutcomes
{
    public const string Completed = "completed";
    public const string Rejected = "rejected";
    public const string Cancelled = "cancelled";
    public const string CancelRejected = "cancelRejected";
    public const string Voided = "voided";
}

/// <summary>
/// home region → gateway (queue <c>eval-replies</c>), schema messages/evaluation-reply.v1.json.
/// <c>outcome</c>: <c>completed</c> (with the split), <c>rejected</c> (with a typed rejection),
/// <c>cancelled</c> (the exact reversal was applied), <c>cancelRejected</c>, <c>voided</c> (answer to a <c>void</c>:
/// the settlement has no effect at home, now and later).
/// </summary>
public sealed record EvaluationReplyMessage
{
    /// <summary>The rejection code of an evaluation that arrives after its settlement was voided (a tombstone).</summary>
    public const string VoidedRejectionCode = "voided";

    public int SchemaVersion { get; init; } = EvaluationRequestMessage.CurrentSchemaVersion;
    public required string Outcome { get; init; }
    public required string CorrelationId { get; init; }
    public required string SettlementId { get; init; }
    public required string HospitalCode { get; init; }
    public required string HomeRegion { get; init; }
    public required string TreatmentRegion { get; init; }
    public SettlementOutcomeDto? Result { get; init; }
    public RejectionDto? Rejection { get; init; }
    public required DateTimeOffset EvaluatedAt { get; init; }
}

/// <summary>What the home region decided: the split and everything needed to explain and reverse it.</summary>
public sealed record SettlementOutcomeDto
{
    public required SplitDto Split { get; init; }
    public required decimal Ratio { get; init; }
    public required decimal DeductibleDue { get; init; }
    public required AccumulatorDeltaDto Delta { get; init; }
    public required string PackId { get; init; }
    public required string PackVersion { get; init; }
    public required string CatalogVersion { get; init; }
    public required List<ExplanationDto> Explanation { get; init; }
    /// <summary>
    /// The outcome with audit rules that fired (spec §10.2): each is carried as explanation steps with code <c>audit.{ruleId}</c>,
    /// one per line it concerns (one without a line for a stay-wide rule), text <c>Audit rule {id} ({kind}, {outcome}): …</c>. No
    /// new field: <c>EvaluationReply</c> v1 is unchanged (docs/messages.md); <see cref="AuditFlags"/> reads them back.
    /// </summary>
    public SettlementOutcomeDto WithAudit(IReadOnlyList<AuditFinding> flags) => flags.Count == 0 ? this : this with
    {
        Explanation = [.. Explanation, .. flags.SelectMany(f => (f.Lines.Count == 0 ? [(int?)null] : f.Lines.Select(l => (int?)l))
            .Select(line => new ExplanationDto(AuditStepPrefix + f.RuleId, line, 0m, $"Audit rule {f.RuleId} ({f.Kind}, {f.Outcome}): {f.Text}")))],
    };

    public const string AuditStepPrefix = "audit.";

    private static readonly System.Text.RegularExpressions.Regex AuditText = new(@"^Audit rule (?<id>\S+) \((?<kind>[A-Za-z]+), (?<outcome>block|flag)\): (?<text>.*)$",
        System.Text.RegularExpressions.RegexOptions.Singleline | System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>The audit rules of the explanation (those <see cref="WithAudit"/> put there), in order, their lines gathered.</summary>
    public List<AuditFindingDto> AuditFlags() =>
        [.. Explanation.Where(x => x.Code.StartsWith(AuditStepPrefix, StringComparison.Ordinal) && AuditText.IsMatch(x.Text))
            .GroupBy(x => x.Code)
            .Select(g =>
            {
                var m = AuditText.Match(g.First().Text);
                return new AuditFindingDto(g.Key[AuditStepPrefix.Length..], m.Groups["kind"].Value, m.Groups["outcome"].Value, [.. g.Where(x => x.LineNo is not null).Select(x => x.LineNo!.Value)], m.Groups["text"].Value);
            })];

    public static SettlementOutcomeDto From(SettlementResult r) => new()
    {
        Split = SplitDto.From(r.Split),
        Ratio = r.Ratio,
        DeductibleDue = r.DeductibleDue,
        Delta = AccumulatorDeltaDto.From(r.Delta),
        PackId = r.PackId,
        PackVersion = r.PackVersion,
        CatalogVersion = r.CatalogVersion,
        Explanation = ExplanationDto.From(r.Explain()),
    };
}

/// <summary>An audit rule that fired (spec §10.2): id, kind, outcome (block or flag), the bill's lines it concerns, why.</summary>
public sealed record AuditFindingDto(string RuleId, string Kind, string Outcome, List<int> Lines, string Text)
{
    public static AuditFindingDto From(AuditFinding f) => new(f.RuleId, f.Kind, f.Outcome, [.. f.Lines], f.Text);

    public AuditFinding ToDomain() => new(RuleId, Kind, Outcome, Lines, Text);
}

public sealed record RejectionDto(string Code, string Detail)
{
    public static RejectionDto From(Rejection r) => new(r.Name, r.Detail);
}
