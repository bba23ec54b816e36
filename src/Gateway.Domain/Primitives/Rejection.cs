namespace Gateway.Domain;

/// <summary>
/// Why an encounter cannot be settled (spec §5). The code is stable: it is the last segment of the
/// problem+json <c>type</c> URI and the <c>code</c> of a rejection reply message.
/// </summary>
public enum RejectionCode
{
    UnknownHomeRegion,
    UnknownMember,
    CoverageSuspended,
    SpecialDiseaseNotRegistered,
    NotCrossRegion,
    LineArithmetic,
    ImpossibleDates,
    DuplicateLineNumber,
    NegativeOrAbsurdAmount,
    RulePackMissing,
    CatalogMissing,
    InvalidEncounter,
    /// <summary>A hospital's online filing (秒备案, spec §9.5) for a home region whose pack does not allow it.</summary>
    OnlineFilingNotAllowed,
    /// <summary>A traceability code is held by another live settlement (spec §10.1).</summary>
    TraceCodeReused,
    /// <summary>The same traceability code twice in one bill (spec §10.1).</summary>
    TraceCodeDuplicated,
    /// <summary>An audit rule with outcome <c>block</c> fired (spec §10.2).</summary>
    AuditBlocked,
}

public sealed record Rejection(RejectionCode Code, string Detail, string? Pointer = null)
{
    /// <summary>
    /// The JSON Pointer into the whole request: the engine's pointers are relative to the encounter
    /// (<c>/lines/0/amount</c>), except those that already name the member (<c>/member/homeRegion</c>).
    /// </summary>
    public string? RequestPointer => Pointer is null ? null : Pointer.StartsWith("/member/", StringComparison.Ordinal) ? Pointer : "/encounter" + Pointer;

    /// <summary>kebab-case name, e.g. <c>line-arithmetic</c>.</summary>
    public string Name => NameOf(Code);

    public static string NameOf(RejectionCode code)
    {
        var s = code.ToString();
        var sb = new System.Text.StringBuilder(s.Length + 8);
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsUpper(s[i]) && i > 0) sb.Append('-');
            sb.Append(char.ToLowerInvariant(s[i]));
        }
        return sb.ToString();
    }

    public static bool TryParseName(string name, out RejectionCode code)
    {
        foreach (var c in Enum.GetValues<RejectionCode>())
        {
            if (NameOf(c) == name) { code = c; return true; }
        }
        code = default;
        return false;
    }
}

/// <summary>Thrown by the engine for input that must be rejected; carries the typed rejection.</summary>
public sealed class RejectedException(Rejection rejection) : Exception(rejection.Detail)
{
    public Rejection Rejection { get; } = rejection;
}
