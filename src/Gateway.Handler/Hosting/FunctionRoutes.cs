namespace Gateway.Handler.Hosting;

/// <summary>How the host reaches a function: raw HTTP forwarded at its route, or an invocation payload at /{Name}.</summary>
public enum FunctionKind { ForwardedHttp, Invocation }

/// <summary>
/// Every function this handler implements. Program maps exactly these, and a test checks them against
/// functions/*/function.json, both ways.
/// </summary>
public static class FunctionRoutes
{
    public static readonly string[] HomeRegions = ["440300", "441900", "511300", "350200"];

    public static IReadOnlyList<(string Name, FunctionKind Kind)> All { get; } =
    [
        ("Health", FunctionKind.ForwardedHttp),
        ("SubmitSettlement", FunctionKind.ForwardedHttp),
        ("GetSettlement", FunctionKind.ForwardedHttp),
        ("ListSettlements", FunctionKind.ForwardedHttp),
        ("ImportMembers", FunctionKind.ForwardedHttp),
        ("OpenApi", FunctionKind.ForwardedHttp),
        ("CancelSettlement", FunctionKind.ForwardedHttp),
        ("Reconcile", FunctionKind.ForwardedHttp),
        ("Clearing", FunctionKind.ForwardedHttp),
        ("ClearingPages", FunctionKind.ForwardedHttp),
        ("Dispatch", FunctionKind.Invocation),
        .. HomeRegions.Select(r => ("EvaluateHome" + r, FunctionKind.Invocation)),
        ("ApplyReply", FunctionKind.Invocation),
        ("NotifyHospital", FunctionKind.Invocation),
        ("SweepSettlements", FunctionKind.Invocation),
        ("ClosePeriod", FunctionKind.Invocation),
    ];
}
