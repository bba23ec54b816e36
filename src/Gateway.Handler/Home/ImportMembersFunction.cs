using Gateway.Handler.Hosting;
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
    private const long MaxBytes = 20 * 1024 * 1024;

    public async Task<IResult> HandleAsync(HttpRequest request, string region, CancellationToken ct)
    {
        if (!RegionCode.TryParse(region, out var code)) return ProblemTypes.Validation([new("/region", "A six-digit region code.")]).ToResult();
        if (request.ContentLength > MaxBytes) return ProblemTypes.PayloadTooLarge(MaxBytes).ToResult();
        var type = request.ContentType ?? "";
        var csv = Intake.HttpBody.IsMediaType(type, "text/csv");
        if (!csv && !Intake.HttpBody.IsJson(type)) return ProblemTypes.UnsupportedMediaType().ToResult();
        // The parsers read synchronously: take the (bounded) body first, as UTF-8 exactly (anything else is a 415).
        var (bytes, tooLarge) = await Intake.HttpBody.ReadBoundedAsync(request, MaxBytes, ct).ConfigureAwait(false);
        if (tooLarge is not null) return tooLarge.ToResult();
        string text;
        try { text = Gateway.Contracts.StrictJson.DecodeUtf8(bytes); }
        catch (Gateway.Contracts.StrictJsonException e) { return ProblemTypes.Unreadable(e).ToResult(); }
        var result = await new MemberImport(members, certificates).ImportAsync(code, new StringReader(text), csv, ct).ConfigureAwait(false);
        if (!result.Ok)
        {
            return ProblemTypes.ImportFailed(result.Errors.Select(e => new FieldError($"/line/{e.Line}/{e.Field}", e.Problem)).ToList()).ToResult();
        }
        return GatewayResults.Json(new MembersImported(region, result.Imported));
    }
}

public sealed record MembersImported(string Region, int Imported);
