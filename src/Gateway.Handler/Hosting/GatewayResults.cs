using Gateway.Contracts;
using Microsoft.AspNetCore.Http.Metadata;

namespace Gateway.Handler.Hosting;

/// <summary>
/// The one typed result helper: every JSON body the handler writes goes through <see cref="GatewayJson.Settings"/>
/// (Newtonsoft.Json, the gateway's settings), as a DTO record, never an anonymous object.
/// </summary>
public static class GatewayResults
{
    /// <summary>A JSON body (<c>application/json; charset=utf-8</c>) with the given status.</summary>
    public static GatewayJsonResult<T> Json<T>(T value, int status = StatusCodes.Status200OK) where T : notnull => new(value, status, "application/json");

    /// <summary>A body in the Functions host's invocation envelope (<see cref="GatewayJson.HostContractSettings"/>).</summary>
    public static GatewayJsonResult<InvocationResult> Invocation(InvocationResult value, int status = StatusCodes.Status200OK) => new(value, status, "application/json", hostContract: true);
}

/// <summary>A value written with the gateway's JSON settings.</summary>
public sealed class GatewayJsonResult<T>(T value, int status, string contentType, bool hostContract = false)
    : IResult, IStatusCodeHttpResult, IValueHttpResult<T>, IValueHttpResult, IContentTypeHttpResult
{
    public T Value => value;
    object? IValueHttpResult.Value => value;
    public int? StatusCode => status;
    public string ContentType => contentType + "; charset=utf-8";

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var text = hostContract ? GatewayJson.SerializeHostContract(value) : GatewayJson.Serialize(value);
        httpContext.Response.StatusCode = status;
        httpContext.Response.ContentType = ContentType;
        return httpContext.Response.WriteAsync(text, System.Text.Encoding.UTF8, httpContext.RequestAborted);
    }
}
