using Gateway.Contracts;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Handler.Problems;

/// <summary>A <see cref="Problem"/> as an <see cref="IResult"/>: written by the app's <see cref="IProblemDetailsService"/>.</summary>
public sealed class ProblemResult(Problem problem) : IResult, IStatusCodeHttpResult, IValueHttpResult<Problem>
{
    public Problem Value => problem;
    public int? StatusCode => problem.Status;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = problem.Status;
        var context = new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem.ToProblemDetails() };
        // The app's service; a bare context (a middleware tested alone) gets the same writer directly.
        var service = httpContext.RequestServices?.GetService<IProblemDetailsService>();
        if (service is null || !await service.TryWriteAsync(context)) await new GatewayProblemDetailsWriter().WriteAsync(context);
    }
}

/// <summary>
/// Writes every problem the app answers, its own and the framework's, with the gateway's JSON settings: the RFC 9457
/// members and the gateway's extensions (<c>settlementId</c>, <c>errors</c>) and nothing else (no trace ids, no .NET names).
/// A framework problem without one of the gateway's types gets the catalogue's type for its status.
/// </summary>
public sealed class GatewayProblemDetailsWriter : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => true;

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var d = context.ProblemDetails;
        var status = d.Status ?? context.HttpContext.Response.StatusCode;
        if (d.Type is null || !d.Type.StartsWith(Problem.TypeBase, StringComparison.Ordinal))
        {
            var type = ProblemTypes.ForStatus(status);
            d.Type = type.Uri;
            d.Title = type.Title;
            d.Detail ??= type.Title + ".";
        }
        var body = new ProblemBody(d.Type, d.Title ?? "", status, d.Detail ?? "", d.Instance,
            d.Extensions.TryGetValue(ProblemBody.SettlementIdMember, out var id) ? id as string : null,
            d.Extensions.TryGetValue(ProblemBody.ErrorsMember, out var errors) ? errors as IReadOnlyList<FieldError> : null);
        var response = context.HttpContext.Response;
        response.StatusCode = status;
        response.ContentType = "application/problem+json; charset=utf-8";
        return new ValueTask(response.WriteAsync(ProblemBody.Write(body, d.Extensions), System.Text.Encoding.UTF8, context.HttpContext.RequestAborted));
    }
}

/// <summary>
/// Unhandled errors (UseExceptionHandler): never a stack trace on the wire; the log has it. Storage that did not answer is a
/// 503 the client may retry (with the same settlement id: idempotent); anything else is a 500.
/// </summary>
public sealed class GatewayExceptionHandler(IProblemDetailsService problems, ILogger<GatewayExceptionHandler> log) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        if (context.RequestAborted.IsCancellationRequested) return false;
        log.LogError(exception, "Unhandled error on {Path}", context.Request.Path);
        Problem problem;
        if (StorageUnavailable(exception))
        {
            context.Response.Headers.RetryAfter = "2";
            problem = ProblemTypes.Unavailable("Storage did not answer in time; retry with the same settlement id.");
        }
        else problem = ProblemTypes.Internal();
        context.Response.StatusCode = problem.Status;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem.ToProblemDetails(), Exception = exception });
    }

    /// <summary>A storage request that timed out or got a server-side error (after the SDK's own retries).</summary>
    public static bool StorageUnavailable(Exception e) => e switch
    {
        Azure.RequestFailedException r => r.Status is 0 or 408 or 500 or 502 or 503 or 504,
        AggregateException a => a.InnerExceptions.Count > 0 && a.InnerExceptions.All(StorageUnavailable),
        TaskCanceledException or TimeoutException => true,
        _ => false,
    };
}

public static class ProblemDetailsSetup
{
    /// <summary>Problem details from the framework, written by <see cref="GatewayProblemDetailsWriter"/>; unhandled errors by <see cref="GatewayExceptionHandler"/>.</summary>
    public static IServiceCollection AddGatewayProblemDetails(this IServiceCollection services)
    {
        services.AddSingleton<IProblemDetailsWriter, GatewayProblemDetailsWriter>(); // before the framework's default writer
        services.AddProblemDetails();
        services.AddExceptionHandler<GatewayExceptionHandler>();
        return services;
    }
}
