namespace Gateway.Handler.Hosting;

/// <summary>How the host reaches a function: raw HTTP forwarded at its route, or an invocation payload at /{Name}.</summary>
public enum FunctionKind { ForwardedHttp, Invocation }

/// <summary>
/// Every function this handler implements. Program maps exactly these, and a test checks them against
/// functions/*/function.json, both ways.
/// </summary>
public static class FunctionRoutes
{
    /// <summary>One EvaluateHome{region} per rule pack: a new home region is a pack file and a function folder, not code.</summary>
    public static readonly string[] HomeRegions = Gateway.Domain.RulePackSet.Default.Regions.Select(r => r.Value).Order(StringComparer.Ordinal).ToArray();

    public static IReadOnlyList<(string Name, FunctionKind Kind)> All { get; } =
    [
        ("Health", FunctionKind.ForwardedHttp),
        ("Liveness", FunctionKind.ForwardedHttp),
        ("Diagnostics", FunctionKind.ForwardedHttp),
        ("SubmitSettlement", FunctionKind.ForwardedHttp),
        ("GetSettlement", FunctionKind.ForwardedHttp),
        ("ListSettlements", FunctionKind.ForwardedHttp),
        ("ImportMembers", FunctionKind.ForwardedHttp),
        ("OpenApi", FunctionKind.ForwardedHttp),
        ("CancelSettlement", FunctionKind.ForwardedHttp),
        ("Reconcile", FunctionKind.ForwardedHttp),
        ("National", FunctionKind.ForwardedHttp),
        ("SubmitFiling", FunctionKind.ForwardedHttp),
        ("GetFiling", FunctionKind.ForwardedHttp),
        ("Clearing", FunctionKind.ForwardedHttp),
        ("ClearingPages", FunctionKind.ForwardedHttp),
        .. HomeRegions.Select(r => ("EvaluateHome" + r, FunctionKind.Invocation)),
        ("ApplyReply", FunctionKind.Invocation),
        ("ApplyFilingReply", FunctionKind.Invocation),
        ("NotifyHospital", FunctionKind.Invocation),
        ("SweepSettlements", FunctionKind.Invocation),
        ("ClosePeriod", FunctionKind.Invocation),
    ];
}
