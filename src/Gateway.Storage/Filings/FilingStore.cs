using System.Globalization;
using Azure;
using Azure.Data.Tables;

namespace Gateway.Storage;

/// <summary>A hospital's online filing as the gateway holds it (table Filings, PK hospital code, RK the hospital's filing id).</summary>
public sealed record FilingRecord
{
    public required string HospitalCode { get; init; }
    public required string HospitalFilingId { get; init; }
    /// <summary><see cref="FilingStatus"/>.</summary>
    public required string Status { get; init; }
    /// <summary>SHA-256 of the request body: same id + same body = the same filing; another body is a conflict.</summary>
    public required string RequestHash { get; init; }
    public required string HomeRegion { get; init; }
    public required string TreatmentRegion { get; init; }
    public required string MemberId { get; init; }
    public required DateOnly FiledOn { get; init; }
    public required DateTimeOffset SubmittedAt { get; init; }
    /// <summary>The FilingRequest v1 sent to the home region (sent again while the filing is pending).</summary>
    public required string RequestMessage { get; init; }
    public required DateTimeOffset DispatchedAt { get; init; }
    public DateOnly? ValidFrom { get; init; }
    public DateOnly? ValidTo { get; init; }
    public string? RefusalCode { get; init; }
    public string? RefusalDetail { get; init; }
    public DateTimeOffset? DecidedAt { get; init; }
    public ETag ETag { get; init; }

    public string FilingId => Keys.SettlementKey(HospitalCode, HospitalFilingId);
}

public static class FilingStatus
{
    public const string Pending = "pending";
    public const string Filed = "filed";
    public const string Refused = "refused";
}

/// <summary>The gateway's filings: created once per hospital filing id (idempotency), moved by the home region's reply.</summary>
public sealed class FilingStore(GatewayStorage storage)
{
    private readonly TableClient _table = storage.Table(GatewayStorage.FilingsTable);

    /// <summary>Inserts the filing; when the id exists already, returns the stored one (created = false).</summary>
    public async Task<(bool Created, FilingRecord Stored)> CreateAsync(FilingRecord r, CancellationToken ct)
    {
        try
        {
            var response = await _table.AddEntityAsync(ToEntity(r), ct).ConfigureAwait(false);
            return (true, r with { ETag = response.Headers.ETag ?? default });
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return (false, await GetAsync(r.HospitalCode, r.HospitalFilingId, ct).ConfigureAwait(false)
                           ?? throw new InvalidOperationException("A filing that conflicted on insert cannot be read."));
        }
    }

    public async Task<FilingRecord?> GetAsync(string hospitalCode, string hospitalFilingId, CancellationToken ct)
    {
        var r = await _table.GetEntityIfExistsAsync<TableEntity>(hospitalCode, hospitalFilingId, cancellationToken: ct).ConfigureAwait(false);
        return r.HasValue ? FromEntity(r.Value!) : null;
    }

    /// <summary>
    /// Applies <paramref name="change"/> under the row's ETag (null = nothing to do), reading again on a conflict. Returns the
    /// record as stored afterwards, or null when there is no such filing.
    /// </summary>
    public async Task<FilingRecord?> UpdateAsync(string hospitalCode, string hospitalFilingId, Func<FilingRecord, FilingRecord?> change, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var current = await GetAsync(hospitalCode, hospitalFilingId, ct).ConfigureAwait(false);
            if (current is null) return null;
            var next = change(current);
            if (next is null) return current;
            try
            {
                var response = await _table.UpdateEntityAsync(ToEntity(next), current.ETag, TableUpdateMode.Replace, ct).ConfigureAwait(false);
                return next with { ETag = response.Headers.ETag ?? default };
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
                // Changed since the read (the reply, or another poll's re-dispatch): decide again on the fresh row.
            }
        }
        throw new InvalidOperationException($"Gave up updating filing {hospitalCode}~{hospitalFilingId} after 20 conflicts.");
    }

    private static string D(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static DateOnly? P(string? s) => s is null ? null : DateOnly.ParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static TableEntity ToEntity(FilingRecord r)
    {
        var e = new TableEntity(r.HospitalCode, r.HospitalFilingId)
        {
            ["Status"] = r.Status,
            ["RequestHash"] = r.RequestHash,
            ["HomeRegion"] = r.HomeRegion,
            ["TreatmentRegion"] = r.TreatmentRegion,
            ["MemberId"] = r.MemberId,
            ["FiledOn"] = D(r.FiledOn),
            ["SubmittedAt"] = r.SubmittedAt,
            ["RequestMessage"] = r.RequestMessage,
            ["DispatchedAt"] = r.DispatchedAt,
        };
        if (r.ValidFrom is { } from) e["ValidFrom"] = D(from);
        if (r.ValidTo is { } to) e["ValidTo"] = D(to);
        if (r.RefusalCode is not null) e["RefusalCode"] = r.RefusalCode;
        if (r.RefusalDetail is not null) e["RefusalDetail"] = r.RefusalDetail;
        if (r.DecidedAt is { } at) e["DecidedAt"] = at;
        return e;
    }

    private static FilingRecord FromEntity(TableEntity e) => new()
    {
        HospitalCode = e.PartitionKey,
        HospitalFilingId = e.RowKey,
        Status = e.GetString("Status"),
        RequestHash = e.GetString("RequestHash"),
        HomeRegion = e.GetString("HomeRegion"),
        TreatmentRegion = e.GetString("TreatmentRegion"),
        MemberId = e.GetString("MemberId"),
        FiledOn = P(e.GetString("FiledOn"))!.Value,
        SubmittedAt = e.GetDateTimeOffset("SubmittedAt") ?? default,
        RequestMessage = e.GetString("RequestMessage"),
        DispatchedAt = e.GetDateTimeOffset("DispatchedAt") ?? default,
        ValidFrom = P(e.GetString("ValidFrom")),
        ValidTo = P(e.GetString("ValidTo")),
        RefusalCode = e.GetString("RefusalCode"),
        RefusalDetail = e.GetString("RefusalDetail"),
        DecidedAt = e.GetDateTimeOffset("DecidedAt"),
        ETag = e.ETag,
    };
}
