using Gateway.Handler.Hosting;
using System.Text;
using Gateway.Contracts;
using Gateway.Domain;
using Gateway.Handler.Security;
using Gateway.Storage;
using Newtonsoft.Json;

namespace Gateway.Handler.Intake;

public sealed record ReconciliationRequest
{
    /// <summary>First day (inclusive) of the settlement dates compared (the day a settlement was submitted, UTC+8 is not applied: UTC dates).</summary>
    public DateOnly? From { get; init; }
    /// <summary>Last day (inclusive).</summary>
    public DateOnly? To { get; init; }
    public int Count { get; init; }
    public decimal Total { get; init; }
    public decimal Fund { get; init; }
    public decimal Cash { get; init; }
    public List<ReconciliationLineDto>? Settlements { get; init; }
}

public sealed record ReconciliationLineDto
{
    public string? HospitalSettlementId { get; init; }
    public decimal Total { get; init; }
    public decimal Fund { get; init; }
    public decimal Cash { get; init; }
}

/// <summary>
/// POST /api/v1/reconciliations (function Reconcile, 对账): a hospital's totals for a day or a period against the
/// gateway's completed settlements (fund = the four fund layers, account pay counted neither as fund nor as cash).
/// </summary>
public sealed class ReconcileFunction(HospitalAuthenticator auth, SettlementStore settlements, ReconciliationStore results)
{
    public async Task<IResult> HandleAsync(HttpRequest request, CancellationToken ct)
    {
        var (body, bodyProblem) = await HttpBody.ReadJsonAsync(request, ct).ConfigureAwait(false);
        if (bodyProblem is not null) return bodyProblem.ToResult();
        var (hospital, problem) = await auth.AuthenticateAsync(request, body!, ct).ConfigureAwait(false);
        if (problem is not null) return problem.ToResult();
        ReconciliationRequest dto;
        try { dto = StrictJson.Deserialize<ReconciliationRequest>(body!); }
        catch (StrictJsonException e) { return ProblemTypes.Unreadable(e).ToResult(); }
        if (dto.From is null || dto.To is null || dto.To < dto.From || dto.To.Value.DayNumber - dto.From.Value.DayNumber > 92)
            return ProblemTypes.Validation([new("/from", "from and to (yyyy-MM-dd, to ≥ from, at most 93 days) are required.")]).ToResult();
        if (dto.Settlements?.Any(s => !Keys.IsValidId(s.HospitalSettlementId)) == true)
            return ProblemTypes.Validation([new("/settlements", "Every line names a hospitalSettlementId.")]).ToResult();

        var (from, to) = ChinaTime.Days(dto.From.Value, dto.To.Value); // reconciliation days are China calendar days
        var ours = new List<HospitalSettlementLine>();
        string? page = null;
        do
        {
            var (items, next) = await settlements.ListAsync(hospital!.Code, from, to, 1000, page, ct).ConfigureAwait(false);
            ours.AddRange(items.Where(s => s.Status == SettlementStatus.Completed)
                .Select(s => new HospitalSettlementLine(s.HospitalSettlementId, s.Total ?? 0, s.FundTotal ?? 0, s.CashPay ?? 0)));
            page = next;
        } while (page is not null);
        var theirs = new HospitalTotals(dto.Count, dto.Total, dto.Fund, dto.Cash,
            dto.Settlements?.Select(s => new HospitalSettlementLine(s.HospitalSettlementId!, s.Total, s.Fund, s.Cash)).ToList());
        var result = Reconciliation.Compare(theirs, ours);
        var answer = new ReconciliationView(result.Status, hospital!.Code, dto.From, dto.To,
            new ReconciliationTotals(result.Gateway.Count, result.Gateway.Total, result.Gateway.Fund, result.Gateway.Cash), result.Differences);
        await results.SaveAsync(hospital.Code, GatewayJson.Serialize(answer), ct).ConfigureAwait(false);
        return GatewayResults.Json(answer);
    }
}

/// <summary>The answer to a reconciliation (and what GET /api/v1/clearing/reconciliations lists).</summary>
public sealed record ReconciliationView(string Status, string Hospital, DateOnly? From, DateOnly? To, ReconciliationTotals Gateway, IReadOnlyList<ReconciliationDifference> Differences);

public sealed record ReconciliationTotals(int Count, decimal Total, decimal Fund, decimal Cash);
