using Newtonsoft.Json;
using Newtonsoft.Json.Serialization;

namespace Gateway.Handler.Problems;

/// <summary>A field-level validation error: a JSON Pointer into the request and what is wrong there.</summary>
public sealed record FieldError(string Pointer, string Detail);

/// <summary>
/// RFC 9457 problem details. <c>type</c> is stable: <c>https://gateway.example.org/problems/{name}</c>, every
/// name listed in docs/api.md. Never carries a stack trace.
/// </summary>
public sealed record Problem(string Name, int Status, string Title, string Detail)
{
    public const string TypeBase = "https://gateway.example.org/problems/";

    public IReadOnlyList<FieldError>? Errors { get; init; }
    public string? SettlementId { get; init; }
    public string? Instance { get; init; }
    /// <summary>Members of the problem beyond RFC 9457's (camelCase names, e.g. <c>traceCode</c>, <c>rules</c>), documented with its type.</summary>
    public IReadOnlyDictionary<string, object?>? Extensions { get; init; }

    private static readonly JsonSerializerSettings Json = new()
    {
        ContractResolver = new CamelCasePropertyNamesContractResolver(),
        NullValueHandling = NullValueHandling.Ignore,
    };

    public string ToJson()
    {
        var body = new
        {
            type = TypeBase + Name,
            title = Title,
            status = Status,
            detail = Detail,
            instance = Instance,
            settlementId = SettlementId,
            errors = Errors,
        };
        if (Extensions is null) return JsonConvert.SerializeObject(body, Json);
        var o = Newtonsoft.Json.Linq.JObject.FromObject(body, JsonSerializer.Create(Json));
        foreach (var (k, v) in Extensions) if (v is not null) o[k] = Newtonsoft.Json.Linq.JToken.FromObject(v, JsonSerializer.Create(Json));
        return o.ToString(Formatting.None);
    }

    public IResult ToResult() => Results.Text(ToJson(), "application/problem+json", System.Text.Encoding.UTF8, Status);
}

/// <summary>The problem catalogue (docs/api.md lists each with an example).</summary>
public static class Problems
{
    public static Problem Validation(IReadOnlyList<FieldError> errors) =>
        new("validation-error", 422, "The request is not valid", $"{errors.Count} field(s) are invalid; see errors.") { Errors = errors };

    public static Problem MalformedJson(string detail) => new("malformed-json", 400, "The body is not valid JSON", detail);

    public static Problem UnsupportedMediaType() => new("unsupported-media-type", 415, "Unsupported media type", "Send the body as application/json (UTF-8).");

    public static Problem LengthRequired() => new("length-required", 411, "A body with its Content-Length is required",
        "The body is empty: send the JSON body with a Content-Length header (a chunked body does not reach the gateway: the Functions host forwards a body only with a length).");

    /// <summary>A body the strict reader refused: 415 when it is not UTF-8, else 400 with the field it points at.</summary>
    public static Problem Unreadable(Gateway.Contracts.StrictJsonException e) => e.NotUtf8
        ? new("unsupported-media-type", 415, "Unsupported media type", e.Message + " Send application/json in UTF-8.")
        : new("malformed-json", 400, "The body is not valid JSON", e.Pointer.Length == 0 ? e.Message : $"{e.Message} (at {e.Pointer})")
        {
            Errors = e.Pointer.Length == 0 ? null : [new FieldError(e.Pointer, e.Message)],
        };

    public static Problem PayloadTooLarge(long limit) => new("payload-too-large", 413, "The body is too large", $"The body must be at most {limit} bytes.");

    public static Problem Unauthenticated(string name, string detail) => new(name, 401, "The request is not signed correctly", detail);

    public static Problem NotFound(string detail) => new("not-found", 404, "Not found", detail);

    public static Problem Conflict(string detail, string settlementId) =>
        new("idempotency-conflict", 409, "The settlement id was already used for another request", detail) { SettlementId = settlementId };

    public static Problem Rejection(Gateway.Domain.Rejection r, string? settlementId = null) =>
        new(r.Name, 422, "The settlement was rejected", r.Detail)
        {
            SettlementId = settlementId,
            Errors = r.RequestPointer is { } pointer ? [new FieldError(pointer, r.Detail)] : null,
        };

    public static Problem Rejection(string code, string detail, string settlementId) =>
        new(code, 422, "The settlement was rejected", detail) { SettlementId = settlementId };

    public static Problem Internal() => new("internal-error", 500, "Internal error", "The gateway could not complete the request; it is safe to retry with the same settlement id.");

    public static Problem Unavailable(string detail) => new("service-unavailable", 503, "Temporarily unavailable", detail);
}
