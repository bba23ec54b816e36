using Azure;
using Azure.Data.Tables;
using Gateway.Domain;
using Newtonsoft.Json;

namespace Gateway.Storage;

/// <summary>One decision of a review (事后审核): accept or refuse (拒付), with the amount refused, who, when and why.</summary>
public sealed record ReviewDecision(string Decision, decimal Amount, string Reason, string By, DateTimeOffset At);

/// <summary>
/// A flagged settlement as its home region's reviewers see it (table Reviews, PK the home region, RK the settlement id): the rules
/// that fired, the fund share, its status (<c>flagged</c>, <c>accepted</c>, <c>refused</c>) and every decision. <see cref="Adjusted"/>
/// says that a refusal's ledger adjustment is posted (a refusal whose posting was interrupted is posted again when next read).
/// </summary>
public sealed record ReviewItem(string HomeRegion, string SettlementId, string TreatmentRegion, string HospitalCode, DateOnly ServiceDate, string Period,
    decimal FundShare, string FindingsJson, string Status, IReadOnlyList<ReviewDecision> Decisions, bool Adjusted, ETag ETag = default);

public static class ReviewStatus
{
    public const string Flagged = "flagged";
    public const string Accepted = "accepted";
    public const string Refused = "refused";
}

/// <summary>Reviews: point reads and conditional writes, and one partition query per home region for its list (never a table walk).</summary>
public sealed class ReviewStore(GatewayStorage storage)
{
    private readonly TableClient _table = storage.Table(GatewayStorage.ReviewsTable);

    /// <summary>Lists a flagged settlement for review (idempotent: an existing item, decided or not, stays as it is).</summary>
    public async Task ListAsync(ReviewItem item, CancellationToken ct)
    {
        try { await _table.AddEntityAsync(To(item), ct).ConfigureAwait(false); }
        catch (RequestFailedException e) when (e.Status == 409) { }
    }

    public async Task<ReviewItem?> GetAsync(string homeRegion, string settlementId, CancellationToken ct)
    {
        var r = await _table.GetEntityIfExistsAsync<TableEntity>(homeRegion, settlementId, cancellationToken: ct).ConfigureAwait(false);
        return r.HasValue ? From(r.Value!) : null;
    }

    /// <summary>The home region's items (one partition), optionally of one status, by settlement id.</summary>
    public async Task<List<ReviewItem>> ForHomeAsync(string homeRegion, string? status, CancellationToken ct)
    {
        var filter = status is null ? TableClient.CreateQueryFilter($"PartitionKey eq {homeRegion}") : TableClient.CreateQueryFilter($"PartitionKey eq {homeRegion} and Status eq {status}");
        var list = new List<ReviewItem>();
        await foreach (var e in _table.QueryAsync<TableEntity>(filter, cancellationToken: ct).ConfigureAwait(false)) list.Add(From(e));
        return list;
    }

    /// <summary>Writes the item as decided, if it is as read (false: someone decided meanwhile).</summary>
    public async Task<bool> ReplaceAsync(ReviewItem current, ReviewItem next, CancellationToken ct)
    {
        try
        {
            await _table.UpdateEntityAsync(To(next), current.ETag, TableUpdateMode.Replace, ct).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            return false;
        }
    }

    public async IAsyncEnumerable<ReviewItem> AllAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var e in _table.QueryAsync<TableEntity>(cancellationToken: ct).ConfigureAwait(false)) yield return From(e);
    }

    private static TableEntity To(ReviewItem r)
    {
        var e = new TableEntity(r.HomeRegion, r.SettlementId)
        {
            ["TreatmentRegion"] = r.TreatmentRegion,
            ["HospitalCode"] = r.HospitalCode,
            ["ServiceDate"] = r.ServiceDate.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            ["Period"] = r.Period,
            ["FundShare"] = r.FundShare.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture),
            ["Status"] = r.Status,
            ["Decisions"] = JsonConvert.SerializeObject(r.Decisions),
            ["Adjusted"] = r.Adjusted,
        };
        LargeText.Write(e, "Findings", r.FindingsJson);
        return e;
    }

    private static ReviewItem From(TableEntity e) => new(e.PartitionKey, e.RowKey, e.GetString("TreatmentRegion") ?? "", e.GetString("HospitalCode") ?? "",
        DateOnly.ParseExact(e.GetString("ServiceDate") ?? "2000-01-01", "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), e.GetString("Period") ?? "",
        decimal.Parse(e.GetString("FundShare") ?? "0", System.Globalization.CultureInfo.InvariantCulture), LargeText.Read(e, "Findings") ?? "[]",
        e.GetString("Status") ?? ReviewStatus.Flagged, JsonConvert.DeserializeObject<List<ReviewDecision>>(e.GetString("Decisions") ?? "[]") ?? [], e.GetBoolean("Adjusted") ?? false, e.ETag);
}
