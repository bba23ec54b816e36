using System.Reflection;

namespace Gateway.Handler.Problems;

/// <summary>
/// The problem catalogue: every problem type the gateway answers (docs/api.md lists each, docs/openapi.json has an example
/// of each), and the one place a <see cref="Problem"/> is made. Rejections of the rule packs and refusals of filings are
/// 422s named by their domain code (<see cref="RejectionCode"/>).
/// </summary>
public static class ProblemTypes
{
    public static readonly ProblemType ValidationError = new("validation-error", 422, "The request is not valid");
    public static readonly ProblemType MalformedJsonType = new("malformed-json", 400, "The body is not valid JSON");
    public static readonly ProblemType UnsupportedMediaTypeType = new("unsupported-media-type", 415, "Unsupported media type");
    public static readonly ProblemType LengthRequiredType = new("length-required", 411, "A body with its Content-Length is required");
    public static readonly ProblemType PayloadTooLargeType = new("payload-too-large", 413, "The body is too large");
    public static readonly ProblemType NotFoundType = new("not-found", 404, "Not found");
    public static readonly ProblemType MethodNotAllowed = new("method-not-allowed", 405, "Method not allowed");
    public static readonly ProblemType IdempotencyConflict = new("idempotency-conflict", 409, "The settlement id was already used for another request");
    public static readonly ProblemType FilingIdempotencyConflict = new("idempotency-conflict", 409, "The filing id was already used for another request");
    public static readonly ProblemType InternalError = new("internal-error", 500, "Internal error");
    public static readonly ProblemType ServiceUnavailable = new("service-unavailable", 503, "Temporarily unavailable");
    public static readonly ProblemType NonCanonicalTarget = new("non-canonical-target", 400, "The request path or query is not in canonical form");
    public static readonly ProblemType ImportRejected = new("import-rejected", 422, "The file was not imported");
    public static readonly ProblemType TooManySignInAttemptsType = new("too-many-sign-in-attempts", 429, "Too many sign-in attempts");
    public static readonly ProblemType SignIn = new("unauthenticated", 401, "Sign in");
    public static readonly ProblemType ForbiddenType = new("forbidden", 403, "Not allowed");
    public static readonly ProblemType PeriodNotStarted = new("period-not-started", 422, "The period has not started");
    public static readonly ProblemType UnknownSettlements = new("unknown-settlements", 422, "Settlements not in this statement");
    public static readonly ProblemType NotCancellableType = new("not-cancellable", 409, "The settlement cannot be cancelled");

    /// <summary>The request is not signed correctly: 401 with the signature problem's own name.</summary>
    public static readonly IReadOnlyList<ProblemType> SignatureProblems =
        new[] { "signature-missing", "unknown-key", "signature-invalid", "signature-expired", "signature-replayed" }
            .Select(n => new ProblemType(n, 401, "The request is not signed correctly")).ToList();

    private const string Rejected = "The settlement was rejected";
    private const string Refused = "The filing was refused";

    /// <summary>Every type in the catalogue, rejection codes included (one entry per name).</summary>
    public static IReadOnlyList<ProblemType> All { get; } = typeof(ProblemTypes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.FieldType == typeof(ProblemType)).Select(f => (ProblemType)f.GetValue(null)!)
        .Concat(SignatureProblems)
        .Concat(Enum.GetValues<RejectionCode>().Select(c => new ProblemType(Gateway.Domain.Rejection.NameOf(c), 422, Rejected)))
        .DistinctBy(t => t.Name).OrderBy(t => t.Name, StringComparer.Ordinal).ToList();

    /// <summary>The catalogue's entry for a framework-made problem of this status (404, 405, 500, …).</summary>
    public static ProblemType ForStatus(int status) => status switch
    {
        404 => NotFoundType,
        405 => MethodNotAllowed,
        411 => LengthRequiredType,
        413 => PayloadTooLargeType,
        415 => UnsupportedMediaTypeType,
        422 => ValidationError,
        503 => ServiceUnavailable,
        400 => MalformedJsonType,
        _ => InternalError,
    };

    public static Problem Validation(IReadOnlyList<FieldError> errors) =>
        ValidationError.With($"{errors.Count} field(s) are invalid; see errors.") with { Errors = errors };

    public static Problem MalformedJson(string detail) => MalformedJsonType.With(detail);

    public static Problem UnsupportedMediaType() => UnsupportedMediaTypeType.With("Send the body as application/json (UTF-8).");

    public static Problem LengthRequired() => LengthRequiredType.With(
        "The body is empty: send the JSON body with a Content-Length header (a chunked body does not reach the gateway: the Functions host forwards a body only with a length).");

    /// <summary>A body the strict reader refused: 415 when it is not UTF-8, else 400 with the field it points at.</summary>
    public static Problem Unreadable(Gateway.Contracts.StrictJsonException e) => e.NotUtf8
        ? UnsupportedMediaTypeType.With(e.Message + " Send application/json in UTF-8.")
        : MalformedJsonType.With(e.Pointer.Length == 0 ? e.Message : $"{e.Message} (at {e.Pointer})") with
        {
            Errors = e.Pointer.Length == 0 ? null : [new FieldError(e.Pointer, e.Message)],
        };

    public static Problem PayloadTooLarge(long limit) => PayloadTooLargeType.With($"The body must be at most {limit} bytes.");

    /// <summary>A signature problem (<see cref="SignatureProblems"/>) by its name.</summary>
    public static Problem Unauthenticated(string name, string detail) => SignatureProblems.Single(t => t.Name == name).With(detail);

    public static Problem NotFound(string detail) => NotFoundType.With(detail);

    public static Problem Conflict(string detail, string settlementId) => IdempotencyConflict.With(detail) with { SettlementId = settlementId };

    public static Problem FilingConflict(string detail, string instance) => FilingIdempotencyConflict.With(detail) with { Instance = instance };

    public static Problem Rejection(Gateway.Domain.Rejection r, string? settlementId = null) =>
        new(r.Name, 422, Rejected, r.Detail)
        {
            SettlementId = settlementId,
            Errors = r.RequestPointer is { } pointer ? [new FieldError(pointer, r.Detail)] : null,
        };

    public static Problem Rejection(string code, string detail, string settlementId) => new(code, 422, Rejected, detail) { SettlementId = settlementId };

    /// <summary>A filing the home region refused, named by its refusal code.</summary>
    public static Problem FilingRefused(string? code, string? detail, string instance) => new(code ?? "refused", 422, Refused, detail ?? "") { Instance = instance };

    public static Problem Internal() => InternalError.With("The gateway could not complete the request; it is safe to retry with the same settlement id.");

    public static Problem Unavailable(string detail) => ServiceUnavailable.With(detail);

    public static Problem NonCanonical(string canonical) => NonCanonicalTarget.With(
        $"Send (and sign) the path and query in canonical form: {canonical} (percent-encode only what must be, with upper-case hex; no dot or empty segments).");

    public static Problem ImportFailed(IReadOnlyList<FieldError> errors) => ImportRejected.With($"{errors.Count} problem(s); nothing was written.") with { Errors = errors };

    public static Problem TooManySignInAttempts(int seconds) =>
        TooManySignInAttemptsType.With($"Too many failed sign-ins for this user or from this address: try again in {seconds} s.");

    public static Problem SignInRequired(string detail) => SignIn.With(detail);

    public static Problem Forbidden(string detail) => ForbiddenType.With(detail);

    public static Problem NotStarted(string detail, IReadOnlyList<FieldError> errors) => PeriodNotStarted.With(detail) with { Errors = errors };

    public static Problem NotCancellable(string detail, string settlementId) => NotCancellableType.With(detail) with { SettlementId = settlementId };

    public static Problem NotInStatement(string detail, IReadOnlyList<FieldError> errors) => UnknownSettlements.With(detail) with { Errors = errors };
}
