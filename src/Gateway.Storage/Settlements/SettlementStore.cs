using System.Globalization;
using Azure;
using Azure.Data.Tables;

namespace Gateway.Storage;

/// <summary>The Settlements table: idempotent creation, conditional transitions, per-hospital listing.</summary>
public sealed class SettlementStore(GatewayStorage storage)
{
    private readonly TableClient _table = storage.Table(GatewayStorage.SettlementsTable);

    /// <summary>Inserts the settlement; if the key exists, returns the existing one and <c>false</c>.</summary>
    public async Task<(bool Created, SettlementRecord Record)> CreateAsync(SettlementRecord record, CancellationToken ct)
    {
        try
        {
            var response = await _table.AddEntityAsync(ToEntity(record), ct).ConfigureAwait(false);
            return (true, record with { ETag = response.Headers.ETag ?? default });
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            var existing = await GetAsync(record.HospitalCode, record.HospitalSettlementId, ct).ConfigureAwait(false);
            return (false, existing ?? throw new InvalidOperationException("A settlement conflicted on insert but cannot be read.", e));
        }
    }

    public async Task<SettlementRecord?> GetAsync(string hospitalCode, string hospitalSettlementId, CancellationToken ct)
    {
        var r = await _table.GetEntityIfExistsAsync<TableEntity>(hospitalCode, hospitalSettlementId, cancellationToken: ct).ConfigureAwait(false);
        return r.HasValue ? FromEntity(r.Value!) : null;
    }

    /// <summary>
    /// Read-modify-write under the entity's ETag; <paramref name="change"/> returns null to leave the record as
    /// it is (the transition has already happened: replays change nothing).
    /// </summary>
    public async Task<SettlementRecord?> UpdateAsync(string hospitalCode, string hospitalSettlementId, Func<SettlementRecord, SettlementRecord?> change, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var current = await GetAsync(hospitalCode, hospitalSettlementId, ct).ConfigureAwait(false);
            if (current is null) return null;
            var next = change(current);
            if (next is null) return current;
            try
            {
                var response = await _table.UpdateEntityAsync(ToEntity(next), current.ETag, TableUpdateMode.Replace, ct).ConfigureAwait(false);
                return next with { ETag = response.Headers.ETag ?? default };
            }
            catch (RequestFailedException e) when (e.Status == 412 && attempt < 20)
            {
                // Someone else moved it first; read again and re-decide.
            }
        }
    }

    /// <summary>A hospital's settlements submitted in [from, to), newest keys first is not guaranteed: ordered by hospital settlement id.</summary>
    public async Task<(List<SettlementRecord> Items, string? Continuation)> ListAsync(string hospitalCode, DateTimeOffset from, DateTimeOffset to, int pageSize, string? continuation, CancellationToken ct)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {hospitalCode} and SubmittedAt ge {from} and SubmittedAt lt {to}");
        var pages = _table.QueryAsync<TableEntity>(filter, maxPerPage: pageSize, cancellationToken: ct).AsPages(continuation, pageSize);
        await foreach (var page in pages.ConfigureAwait(false))
        {
            return (page.Values.Select(FromEntity).ToList(), page.ContinuationToken);
        }
        return ([], null);
    }

    /// <summary>Settlements still pending that were submitted before <paramref name="before"/> (the sweep).</summary>
    public async IAsyncEnumerable<SettlementRecord> PendingBeforeAsync(DateTimeOffset before, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var filter = TableClient.CreateQueryFilter($"Status eq {SettlementStatus.Pending} and SubmittedAt lt {before}");
        await foreach (var e in _table.QueryAsync<TableEntity>(filter, cancellationToken: ct).ConfigureAwait(false)) yield return FromEntity(e);
    }

    public async IAsyncEnumerable<SettlementRecord> AllAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var e in _table.QueryAsync<TableEntity>(cancellationToken: ct).ConfigureAwait(false)) yield return FromEntity(e);
    }

    private static string? Money(decimal? d) => d?.ToString("0.00", CultureInfo.InvariantCulture);

    private static decimal? Money(string? s) => s is null ? null : decimal.Parse(s, CultureInfo.InvariantCulture);

    public static TableEntity ToEntity(SettlementRecord r)
    {
        var e = new TableEntity(r.HospitalCode, r.HospitalSettlementId)
        {
            ["Status"] = r.Status,
            ["RequestHash"] = r.RequestHash,
            ["HomeRegion"] = r.HomeRegion,
            ["TreatmentRegion"] = r.TreatmentRegion,
            ["MemberId"] = r.MemberId,
            ["ServiceDate"] = r.ServiceDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["SubmittedAt"] = r.SubmittedAt,
            ["CompletedAt"] = r.CompletedAt,
            ["RejectionCode"] = r.RejectionCode,
            ["RejectionDetail"] = r.RejectionDetail,
            ["FailureReason"] = r.FailureReason,
            ["CallbackUrl"] = r.CallbackUrl,
            ["Total"] = Money(r.Total),
            ["FundTotal"] = Money(r.FundTotal),
            ["AccountPay"] = Money(r.AccountPay),
            ["CashPay"] = Money(r.CashPay),
            ["CancelReason"] = r.CancelReason,
            ["CancelledAt"] = r.CancelledAt,
            ["DispatchCount"] = r.DispatchCount,
        };
        LargeText.Write(e, "RequestMessage", r.RequestMessage);
        LargeText.Write(e, "Outcome", r.Outcome);
        return e;
    }

    public static SettlementRecord FromEntity(TableEntity e) => new()
    {
        HospitalCode = e.PartitionKey,
        HospitalSettlementId = e.RowKey,
        Status = e.GetString("Status"),
        RequestHash = e.GetString("RequestHash"),
        HomeRegion = e.GetString("HomeRegion"),
        TreatmentRegion = e.GetString("TreatmentRegion"),
        MemberId = e.GetString("MemberId"),
        ServiceDate = DateOnly.ParseExact(e.GetString("ServiceDate"), "yyyy-MM-dd", CultureInfo.InvariantCulture),
        SubmittedAt = e.GetDateTimeOffset("SubmittedAt") ?? default,
        CompletedAt = e.GetDateTimeOffset("CompletedAt"),
        RequestMessage = LargeText.Read(e, "RequestMessage") ?? "",
        Outcome = LargeText.Read(e, "Outcome"),
        RejectionCode = e.GetString("RejectionCode"),
        RejectionDetail = e.GetString("RejectionDetail"),
        FailureReason = e.GetString("FailureReason"),
        CallbackUrl = e.GetString("CallbackUrl"),
        Total = Money(e.GetString("Total")),
        FundTotal = Money(e.GetString("FundTotal")),
        AccountPay = Money(e.GetString("AccountPay")),
        CashPay = Money(e.GetString("CashPay")),
        CancelReason = e.GetString("CancelReason"),
        CancelledAt = e.GetDateTimeOffset("CancelledAt"),
        DispatchCount = e.GetInt32("DispatchCount") ?? 0,
        ETag = e.ETag,
    };
}
