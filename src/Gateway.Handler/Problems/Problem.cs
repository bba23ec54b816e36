using Gateway.Contracts;

namespace Gateway.Handler.Problems;

/// <summary>A field-level validation error: a JSON Pointer into the request and what is wrong there.</summary>
public sealed record FieldError(string Pointer, string Detail);

/// <summary>
/// RFC 9457 problem details. <c>type</c> is stable: <c>https://gateway.example.org/problems/{name}</c>, every
/// name listed in docs/api.md and in <see cref="ProblemTypes"/>. Never carries a stack trace. Written by the framework's
/// <c>IProblemDetailsService</c> (<see cref="GatewayProblemDetailsWriter"/>: the gateway's JSON settings).
/// </summary>
public sealed record Problem(string Name, int Status, string Title, string Detail)
{
    public const string TypeBase = "https://gateway.example.org/problems/";

    public IReadOnlyList<FieldError>? Errors { get; init; }
    public string? SettlementId { get; init; }
    public string? Instance { get; init; }
    /// <summary>Members of the problem beyond RFC 9457's (camelCase names, e.g. <c>traceCode</c>, <c>rules</c>), documented with its type.</summary>
    public IReadOnlyDictionary<string, object?>? Extensions { get; init; }

    public string Type => TypeBase + Name;

    /// <summary>The wire form (RFC 9457 members, then the gateway's extensions).</summary>
    public ProblemBody ToBody() => new(Type, Title, Status, Detail, Instance, SettlementId, Errors);

    public string ToJson() => ProblemBody.Write(ToBody(), Extensions);

    /// <summary>The framework's form: the gateway's extensions as <c>settlementId</c> and <c>errors</c>.</summary>
    public Microsoft.AspNetCore.Mvc.ProblemDetails ToProblemDetails()
    {
        var details = new Microsoft.AspNetCore.Mvc.ProblemDetails { Type = Type, Title = Title, Status = Status, Detail = Detail, Instance = Instance };
        if (SettlementId is not null) details.Extensions[ProblemBody.SettlementIdMember] = SettlementId;
        if (Errors is not null) details.Extensions[ProblemBody.ErrorsMember] = Errors;
        if (Extensions is not null)
            foreach (var (k, v) in Extensions) details.Extensions[k] = v;
        return details;
    }

    /// <summary>An <see cref="IResult"/> written through <c>IProblemDetailsService</c>.</summary>
    public IResult ToResult() => new ProblemResult(this);
}

/// <summary>A problem as written: <c>application/problem+json</c>, nulls omitted.</summary>
public sealed record ProblemBody(string Type, string Title, int Status, string Detail, string? Instance, string? SettlementId, IReadOnlyList<FieldError>? Errors)
{
    public const string SettlementIdMember = "settlementId";
    public const string ErrorsMember = "errors";

    /// <summary>The body with a problem type's own members after it (e.g. <c>traceCode</c>, <c>audit</c>: camelCase names, documented with the type); nulls omitted.</summary>
    public static string Write(ProblemBody body, IEnumerable<KeyValuePair<string, object?>>? extensions)
    {
        var json = GatewayJson.Serialize(body);
        var extra = extensions?.Where(e => e.Value is not null && e.Key is not (SettlementIdMember or ErrorsMember)).ToList();
        if (extra is null || extra.Count == 0) return json;
        var o = Newtonsoft.Json.Linq.JObject.Parse(json);
        foreach (var (k, v) in extra) o[k] = Newtonsoft.Json.Linq.JToken.Parse(GatewayJson.Serialize(v!));
        return o.ToString(Newtonsoft.Json.Formatting.None);
    }
}

/// <summary>A name, status and title: one entry of the catalogue.</summary>
public sealed record ProblemType(string Name, int Status, string Title)
{
    public string Uri => Problem.TypeBase + Name;

    public Problem With(string detail) => new(Name, Status, Title, detail);
}
