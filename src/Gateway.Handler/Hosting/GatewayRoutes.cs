using Gateway.Handler.Clearing;
using Gateway.Handler.Home;
using Gateway.Handler.Intake;
using Gateway.Handler.Replies;
using Gateway.Storage;

namespace Gateway.Handler.Hosting;

/// <summary>
/// The routes, one group per feature. Forwarded HTTP functions (enableForwardingHttpRequest): the host passes the request at
/// its own path. Hospital routes verify the request's signature in their handler (the signature covers the body, which the
/// handler reads once); clearing and region routes ask for a policy of <see cref="ClearingPolicies"/> on their group.
/// </summary>
public static class GatewayRoutes
{
    /// <summary>Health (unauthenticated: load balancers and App Service's health check call it), operators' diagnostics, the OpenAPI document.</summary>
    public static RouteGroupBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/v1").WithTags("health");
        // Up or down and nothing else (GatewayHealthChecks). Readiness: down when storage or the queues do not answer a probe
        // (cached a few seconds, on clients of their own so they never count as the app's work). Liveness: the process answers.
        g.MapHealthChecks("/health", GatewayHealthChecks.Readiness);
        g.MapHealthChecks("/health/live", GatewayHealthChecks.Liveness);
        // Diagnostics for operators (a clearing-staff credential): the storage round-trips this instance has made (the load harness reads them).
        g.MapGet("/diagnostics", (GatewayStorage s, IntakeAdmission a) => GatewayResults.Json(DiagnosticsView.Of(s, a))).RequireAuthorization(ClearingPolicies.Read);
        g.MapGet("/openapi.json", () => Results.File(Path.Combine(AppContext.BaseDirectory, "openapi.json"), "application/json"));
        return g;
    }

    /// <summary>The hospitals' settlement API (signed requests): submit, list, get, cancel, reconcile.</summary>
    public static RouteGroupBuilder MapHospitalSettlements(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/v1").WithTags("settlements");
        g.MapPost("/settlements", (HttpRequest r, SubmitSettlementFunction f, CancellationToken ct) => f.HandleAsync(r, ct));
        g.MapGet("/settlements", (HttpRequest r, ListSettlementsFunction f, CancellationToken ct) => f.HandleAsync(r, ct));
        g.MapGet("/settlements/{id}", (HttpRequest r, string id, GetSettlementFunction f, CancellationToken ct) => f.HandleAsync(r, id, ct));
        g.MapPost("/settlements/{id}/cancel", (HttpRequest r, string id, CancelSettlementFunction f, CancellationToken ct) => f.HandleAsync(r, id, ct));
        g.MapPost("/reconciliations", (HttpRequest r, ReconcileFunction f, CancellationToken ct) => f.HandleAsync(r, ct));
        return g;
    }

    /// <summary>The national platform's interface (signed by the platform): one route per transaction number.</summary>
    public static RouteGroupBuilder MapNational(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/v1/national").WithTags("national");
        g.MapPost("/{infno}", (HttpRequest r, string infno, National.NationalFunction f, CancellationToken ct) => f.HandleAsync(r, infno, ct));
        return g;
    }

    /// <summary>Regions' administration: the member import (policy ImportMembers: an administrator of that region).</summary>
    public static RouteGroupBuilder MapRegions(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/v1/regions").WithTags("regions");
        g.MapPost("/{region}/members", (HttpRequest r, string region, ImportMembersFunction f, CancellationToken ct) => f.HandleAsync(r, region, ct))
            .RequireAuthorization(ClearingPolicies.ImportMembers);
        return g;
    }

    /// <summary>Invocation functions: POST /{FunctionName} with {"Data","Metadata"} → {"Outputs","Logs","ReturnValue"}.</summary>
    public static void MapInvocations(this WebApplication app)
    {
        var log = app.Logger;
        app.MapPost("/EvaluateHome{region}", (HttpRequest r, string region, EvaluateHomeFunction f, DeadLetterRecorder d, CancellationToken ct) =>
            InvocationEndpoint.RunAsync(r, "EvaluateHome" + region, d, log, (inv, c) => f.HandleAsync(region, inv, c), ct));
        app.MapPost("/ApplyReply", (HttpRequest r, ApplyReplyFunction f, DeadLetterRecorder d, CancellationToken ct) =>
            InvocationEndpoint.RunAsync(r, "ApplyReply", d, log, f.HandleAsync, ct));
        app.MapPost("/NotifyHospital", (HttpRequest r, NotifyHospitalFunction f, DeadLetterRecorder d, CancellationToken ct) =>
            InvocationEndpoint.RunAsync(r, "NotifyHospital", d, log, f.HandleAsync, ct));
        app.MapPost("/SweepSettlements", (HttpRequest r, SweepSettlementsFunction f, CancellationToken ct) =>
            InvocationEndpoint.RunAsync(r, "SweepSettlements", null, log, (_, c) => f.HandleAsync(c), ct));
        app.MapPost("/ClosePeriod", (HttpRequest r, ClosePeriodFunction f, CancellationToken ct) =>
            InvocationEndpoint.RunAsync(r, "ClosePeriod", null, log, (_, c) => f.HandleAsync(c), ct));
    }

    /// <summary>No route: a not-found problem.</summary>
    public static void MapNotFound(this IEndpointRouteBuilder app) =>
        app.MapFallback((HttpContext c) => ProblemTypes.NotFound($"No route {c.Request.Method} {c.Request.Path}.").ToResult());
}
