using System.Text;
using Microsoft.Extensions.Primitives;
using Newtonsoft.Json.Linq;

namespace Gateway.LocalHost;

/// <summary>
/// Serves every httpTrigger at /{routePrefix}/{route}. HTTP-only functions are forwarded raw to the handler
/// when host.json enables it; the others get the invocation payload, and their "http" output becomes the response.
/// </summary>
public static class HttpTriggers
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Host", "Content-Length", "Proxy-Connection", "TE", "Trailer",
    };

    public static void Map(WebApplication app, FunctionApp functions, HttpClient handler, Invoker invoker, FunctionKeys keys)
    {
        foreach (var f in functions.Functions)
        {
            var trigger = f.Trigger;
            if (trigger is null || trigger.Type != "httpTrigger") continue;
            var route = "/" + functions.RoutePrefix + "/" + (trigger.Get("route") ?? f.Name);
            var methods = (trigger.Raw["methods"] as JArray)?.Select(m => m.ToString().ToUpperInvariant()).ToArray() ?? ["GET", "POST"];
            var forward = functions.ForwardHttp && f.IsHttpOnly;
            var level = FunctionKeys.Level(trigger.Get("authLevel"));
            RequestDelegate run = forward
                ? context => ForwardAsync(context, handler, f.Name)
                : context => InvokeAsync(context, f, trigger, invoker);
            app.MapMethods(route, methods, async context =>
            {
                // authLevel function / admin: a key in x-functions-key or ?code=, as the host checks it; anonymous passes.
                if (!keys.Allows(level, context.Request))
                {
                    await LocalProblems.WriteAsync(context, 401, "unauthorized", "Unauthorized", $"Function {f.Name} needs a function key (x-functions-key header or code query parameter).");
                    return;
                }
                await run(context);
            });
        }
    }

    /// <summary>
    /// A forwarded HTTP trigger (enableForwardingHttpRequest), as the real host forwards it (HttpRequestExtensions.ToHttpRequestMessage):
    /// the body is copied only when Content-Length is over 0 (a chunked body arrives empty), the headers are copied, and the
    /// host adds its version, the invocation id and its User-Agent.
    /// </summary>
    private static async Task ForwardAsync(HttpContext context, HttpClient handler, string functionName)
    {
        var request = context.Request;
        // The path as a URI's AbsolutePath and the query rebuilt from the parsed query (QueryHelpers.AddQueryString), as the
        // real host builds the forwarded request; the URL as the client sent it travels in X-WAWS-Unencoded-URL, as App
        // Service's front end passes it, so the handler can refuse a non-canonical target instead of serving its normal form.
        var query = request.Query.Count == 0 ? "" : Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString("",
            request.Query.SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string?>(p.Key, v))));
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), request.Path.ToUriComponent() + query);
        var rawTarget = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget;
        if (request.ContentLength > 0)
        {
            message.Content = new StreamContent(request.Body);
        }
        foreach (var (name, values) in request.Headers)
        {
            if (HopByHop.Contains(name)) continue;
            // A content header (Content-Type) goes with a body only: without one the real host drops it.
            if (!message.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
                message.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
        }
        message.Headers.Remove("x-azure-functions-invocationid");
        message.Headers.Remove("X-WAWS-Unencoded-URL");
        if (rawTarget is not null) message.Headers.TryAddWithoutValidation("X-WAWS-Unencoded-URL", rawTarget);
        message.Headers.TryAddWithoutValidation("x-azure-functions-hostversion", "4");
        message.Headers.TryAddWithoutValidation("x-azure-functions-invocationid", Guid.NewGuid().ToString());
        HttpResponseMessage response;
        try
        {
            response = await handler.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        }
        catch (HttpRequestException)
        {
            await LocalProblems.WriteAsync(context, 502, "bad-gateway", "Bad Gateway", $"The handler did not answer for {functionName}.");
            return;
        }
        using (response)
        {
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            {
                if (!HopByHop.Contains(name)) context.Response.Headers[name] = values.ToArray();
            }
            await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
        }
    }

    private static async Task InvokeAsync(HttpContext context, FunctionDefinition f, Binding trigger, Invoker invoker)
    {
        var request = context.Request;
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var query = new JObject();
        foreach (var (k, v) in request.Query) query[k] = v.ToString();
        var headers = new JObject();
        foreach (var (k, v) in request.Headers) headers[k] = new JArray(v.Select(x => x ?? ""));
        var routeValues = new JObject();
        foreach (var (k, v) in request.RouteValues) routeValues[k] = v?.ToString();
        var req = new JObject
        {
            ["Url"] = $"{request.Scheme}://{request.Host}{request.Path}{request.QueryString}",
            ["Method"] = request.Method,
            ["Query"] = query,
            ["Headers"] = headers,
            ["Params"] = routeValues,
            ["Identities"] = new JArray(),
            ["Body"] = body,
        };
        var metadata = new JObject
        {
            ["Query"] = query,
            ["Headers"] = headers,
            ["sys"] = Sys(f.Name),
        };
        foreach (var (k, v) in routeValues) metadata[k] = v;
        var outcome = await invoker.InvokeAsync(f, new JObject { [trigger.Name] = req }, metadata, context.RequestAborted);
        if (!outcome.Succeeded)
        {
            await LocalProblems.WriteAsync(context, 500, "internal", "Internal Server Error", $"Function {f.Name} failed.");
            return;
        }
        await invoker.SendQueueOutputsAsync(f, outcome.Outputs, context.RequestAborted);
        var httpOut = f.Bindings.FirstOrDefault(b => b.Type == "http" && b.Direction == "out");
        var res = httpOut is null ? null : outcome.Outputs[httpOut.Name] as JObject;
        if (res is null)
        {
            context.Response.StatusCode = 204;
            return;
        }
        context.Response.StatusCode = res.Value<int?>("statusCode") ?? res.Value<int?>("status") ?? 200;
        if (res["headers"] is JObject h) foreach (var p in h.Properties()) context.Response.Headers[p.Name] = new StringValues(p.Value.ToString());
        var resBody = res["body"];
        if (resBody is not null && resBody.Type != JTokenType.Null)
            await context.Response.WriteAsync(resBody.Type == JTokenType.String ? (string)resBody! : resBody.ToString(Newtonsoft.Json.Formatting.None), context.RequestAborted);
    }

    public static JObject Sys(string name) => HostContract.Sys(name, TimeProvider.System.GetUtcNow(), Guid.NewGuid());
}
