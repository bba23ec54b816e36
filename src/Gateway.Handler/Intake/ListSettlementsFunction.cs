using Gateway.Handler.Hosting;
using System.Globalization;
using Gateway.Handler.Security;
using Gateway.Storage;

namespace Gateway.Handler.Intake;

/// <summary>GET /api/v1/settlements?from=yyyy-MM-dd&amp;to=yyyy-MM-dd&amp;pageSize=&amp;page= (function ListSettlements): the hospital's own, by submission date.</summary>
public sealed class ListSettlementsFunction(HospitalAuthenticator auth, SettlementStore settlements, TimeProvider clock)
{
    public async Task<IResult> HandleAsync(HttpRequest request, CancellationToken ct)
    {
        var (hospital, problem) = await auth.AuthenticateAsync(request, [], ct).ConfigureAwait(false);
        if (problem is not null) return problem.ToResult();
        var q = request.Query;
        var errors = new List<Problems.FieldError>();
        DateOnly? Date(string name)
        {
            if (!q.ContainsKey(name)) return null;
            if (DateOnly.TryParseExact(q[name], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) return d;
            errors.Add(new("/" + name, "A date yyyy-MM-dd."));
            return null;
        }
        var today = ChinaTime.Today(clock);
        var from = Date("from") ?? today.AddDays(-30);
        var to = Date("to") ?? today;
        var pageSize = 50;
        if (q.ContainsKey("pageSize") && (!int.TryParse(q["pageSize"], out pageSize) || pageSize is < 1 or > 500)) errors.Add(new("/pageSize", "1–500."));
        if (to < from) errors.Add(new("/to", "to is on or after from."));
        if (errors.Count > 0) return ProblemTypes.Validation(errors).ToResult();
        var (start, end) = ChinaTime.Days(from, to); // China calendar days
        var (items, next) = await settlements.ListAsync(hospital!.Code, start, end,
            pageSize, q["page"].ToString() is { Length: > 0 } p ? p : null, ct).ConfigureAwait(false);
        return GatewayResults.Json(new SettlementPage(items.Select(i => SettlementView.From(i)).ToList(),
            next is null ? null : $"/api/v1/settlements?from={from:yyyy-MM-dd}&to={to:yyyy-MM-dd}&pageSize={pageSize}&page={Uri.EscapeDataString(next)}"));
    }
}

/// <summary>A page of a hospital's settlements and the link to the next page, if any.</summary>
public sealed record SettlementPage(IReadOnlyList<SettlementView> Items, string? Next);
