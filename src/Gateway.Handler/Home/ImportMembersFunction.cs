using Gateway.Domain;
using Gateway.Handler.Clearing;
using Gateway.Handler.Intake;
using Gateway.Handler.Problems;
using Gateway.Storage;

namespace Gateway.Handler.Home;

/// <summary>
/// POST /api/v1/regions/{region}/members (function ImportMembers): a region administrator (role <c>admin</c> bound to
/// that region: policy <see cref="ClearingPolicies.ImportMembers"/>, any clearing identity source) imports its member registry as CSV (<c>text/csv</c>) or JSON. A file with any bad row
/// writes nothing; the answer lists every problem with its line.
/// </summary>
public sealed class ImportMembersFunction(MemberStore members, MemberCertificates certificates)
{
    public static void Map(WebApplication app) =>
        app.MapPost("/api/v1/regions/{region}/members", (HttpRequest r, string region, ImportMembersFunction f, CancellationToken ct) => f.HandleAsync(r, region, ct))
            .RequireAuthorization(ClearingPolicies.ImportMembers);

    private const long MaxBytes = 20 * 1024 * 1024;

    public async Task<IResult> HandleAsync(HttpRequest request, string region, CancellationToken ct)
    {
        if (!RegionCode.TryParse(region, out var code)) return Problems.Problems.Validation([new("/region", "A six-digit region code.")]).ToResult();
        if (request.ContentLength > MaxBytes) return Problems.Problems.PayloadTooLarge(MaxBytes).ToResult();
        var type = request.ContentType ?? "";
        var csv = Intake.HttpBody.IsMediaType(type, "text/csv");
        if (!csv && !Intake.HttpBody.IsJson(type)) return Problems.Problems.UnsupportedMediaType().ToResult();
        // The parsers read synchronously: take the (bounded) body first, as UTF-8 exactly (anything else is a 415).
        var (bytes, tooLarge) = await Intake.HttpBody.ReadBoundedAsync(request, MaxBytes, ct).ConfigureAwait(false);
        if (tooLarge is not null) return tooLarge.ToResult();
        string text;
        try { text = Gateway.Contracts.StrictJson.DecodeUtf8(bytes); }
        catch (Gateway.Contracts.StrictJsonException e) { return Problems.Problems.Unreadable(e).ToResult(); }
        var result = await new MemberImport(members, certificates).ImportAsync(code, new StringReader(text), csv, ct).ConfigureAwait(false);
        if (!result.Ok)
        {
            return (new Problem("import-rejected", 422, "The file was not imported", $"{result.Errors.Count} problem(s); nothing was written.")
            {
                Errors = result.Errors.Select(e => new FieldError($"/line/{e.Line}/{e.Field}", e.Problem)).ToList(),
            }).ToResult();
        }
        return SettlementWaiter.Json(new { region, imported = result.Imported });
    }
}
