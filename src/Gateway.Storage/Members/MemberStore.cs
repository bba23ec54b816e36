using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Gateway.Domain;

namespace Gateway.Storage;

/// <summary>What the home side reads in one round-trip: profile, this year's accumulators, and the markers asked for.</summary>
public sealed record MemberState(
    string Partition,
    MemberProfile Profile,
    ETag ProfileETag,
    AnnualAccumulators Accumulators,
    ETag? AccumulatorsETag,
    AppliedMarker? Applied,
    ETag? AppliedETag,
    AppliedMarker? Referring)
{
    /// <summary>The member's other settlements applied here (any treatment region, any year): the audit's history (spec §10.2).</summary>
    public IReadOnlyList<MemberVisit> History { get; init; } = [];
}

/// <summary>The member registry and accumulators of a home region (one partition per member).</summary>
public sealed class MemberStore(GatewayStorage storage)
{
    private readonly TableClient _table = storage.Table(GatewayStorage.MembersTable);

    public async Task UpsertProfileAsync(MemberProfile m, CancellationToken ct) =>
        await _table.UpsertEntityAsync(MemberRows.ToEntity(m), TableUpdateMode.Merge, ct).ConfigureAwait(false);

    /// <summary>
    /// A registry import of one member: a new member is added with the file's account balance; an existing member gets
    /// every field of the file except the account balance, which settlements debit here and which a file exported
    /// earlier would silently re-credit. Conditional on the row's ETag, so a settlement racing the import loses nothing.
    /// </summary>
    public async Task<bool> ImportProfileAsync(MemberProfile m, CancellationToken ct)
    {
        var partition = MemberRows.Partition(m.HomeRegion, m.MemberId);
        for (var attempt = 0; ; attempt++)
        {
            var row = MemberRows.ToEntity(m);
            var current = await _table.GetEntityIfExistsAsync<TableEntity>(partition, MemberRows.ProfileRow, cancellationToken: ct).ConfigureAwait(false);
            try
            {
                if (!current.HasValue)
                {
                    await _table.AddEntityAsync(row, ct).ConfigureAwait(false);
                    return true;
                }
                row["AccountBalance"] = current.Value!.GetString("AccountBalance");
                await _table.UpdateEntityAsync(row, current.Value.ETag, TableUpdateMode.Merge, ct).ConfigureAwait(false);
                return false;
            }
            catch (Azure.RequestFailedException e) when (e.Status is 409 or 412 && attempt < 20)
            {
                // Added or changed (a settlement's debit) since the read: read again.
            }
        }
    }

    public async Task<MemberProfile?> GetProfileAsync(RegionCode region, string memberId, CancellationToken ct)
    {
        var r = await _table.GetEntityIfExistsAsync<TableEntity>(MemberRows.Partition(region, memberId), MemberRows.ProfileRow, cancellationToken: ct).ConfigureAwait(false);
        return r.HasValue ? MemberRows.FromEntity(r.Value!) : null;
    }

    /// <summary>One partition query: profile + year row + the settlement's marker (+ the referring settlement's marker). Null when the member is unknown.</summary>
    public async Task<MemberState?> LoadAsync(RegionCode region, string memberId, int year, string settlementKey, string? referringKey, CancellationToken ct)
    {
        var partition = MemberRows.Partition(region, memberId);
        var applied = MemberRows.AppliedRow(settlementKey);
        // The member's online filings (filing-… rows, written by the home region's filing decisions) come in the same query.
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition} and (RowKey eq {MemberRows.ProfileRow} or RowKey eq {MemberRows.YearRow(year)} or RowKey eq {applied}")
                     + " or " + TableClient.CreateQueryFilter($"(RowKey ge {MemberRows.FilingPrefix} and RowKey lt {MemberRows.FilingPrefixEnd})")
                     // The member's markers (the audit's history, and the referring one among them): the same partition, the same round-trip.
                     + " or " + TableClient.CreateQueryFilter($"(RowKey ge {"applied-"} and RowKey lt {"applied."})") + ")";
        var referringRow = referringKey is null ? null : MemberRows.AppliedRow(referringKey);
        var history = new List<MemberVisit>();
        TableEntity? profile = null, acc = null, marker = null, referring = null;
        List<Filing>? online = null;
        await foreach (var e in _table.QueryAsync<TableEntity>(filter, cancellationToken: ct).ConfigureAwait(false))
        {
            if (e.RowKey == MemberRows.ProfileRow) profile = e;
            else if (e.RowKey == applied) marker = e;
            else if (e.RowKey.StartsWith("year-", StringComparison.Ordinal)) acc = e;
            else if (e.RowKey.StartsWith(MemberRows.FilingPrefix, StringComparison.Ordinal))
            {
                if (FilingOf(e) is { Status: FilingMarkerStatus.Filed, ValidFrom: { } from } f && RegionCode.TryParse(f.TreatmentRegion, out var filedFor))
                    (online ??= []).Add(new Filing(filedFor, from, f.ValidTo));
            }
            else if (e.RowKey.StartsWith("applied-", StringComparison.Ordinal))
            {
                if (e.RowKey == referringRow) referring = e;
                if (e.GetString("Status") == AppliedStatus.Applied && e.GetString("Admission") is { } adm && e.GetString("Discharge") is { } dis)
                    history.Add(new MemberVisit(e.RowKey["applied-".Length..], DateOnly.ParseExact(adm, "yyyy-MM-dd", CultureInfo.InvariantCulture),
                        DateOnly.ParseExact(dis, "yyyy-MM-dd", CultureInfo.InvariantCulture), e.GetString("Diagnosis")));
            }
        }
        if (profile is null) return null;
        var member = MemberRows.FromEntity(profile);
        if (online is not null) member = member with { Filings = [.. member.Filings, .. online] };
        return new MemberState(partition, member, profile.ETag,
            acc is null ? AnnualAccumulators.Empty(year) : MemberRows.AccumulatorsFromEntity(acc), acc?.ETag,
            marker is null ? null : Marker(marker), marker?.ETag, referring is null ? null : Marker(referring)) { History = history };
    }

    /// <summary>
    /// Commits a settlement's effect atomically: the new accumulators (ETag-checked, or inserted), the new account
    /// balance (ETag-checked) when the account paid, and the marker (insert: a second commit of the same settlement fails).
    /// Returns false on a concurrency conflict; the caller reloads and re-evaluates.
    /// </summary>
    public async Task<bool> CommitAsync(MemberState state, AnnualAccumulators after, AppliedMarker marker, CancellationToken ct)
    {
        var actions = new List<TableTransactionAction>(3)
        {
            state.AccumulatorsETag is { } etag
                ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, MemberRows.ToEntity(state.Partition, after), etag)
                : new TableTransactionAction(TableTransactionActionType.Add, MemberRows.ToEntity(state.Partition, after)),
            new(TableTransactionActionType.Add, MarkerEntity(state.Partition, marker)),
        };
        if (marker.AccountPaid != 0m) actions.Add(BalanceAction(state, -marker.AccountPaid));
        return await SubmitAsync(actions, ct).ConfigureAwait(false);
    }

    /// <summary>Records a rejection decision so a redelivery sends the same reply (nothing else changes).</summary>
    public async Task<bool> RecordRejectionAsync(MemberState state, AppliedMarker marker, CancellationToken ct) =>
        await SubmitAsync([new TableTransactionAction(TableTransactionActionType.Add, MarkerEntity(state.Partition, marker))], ct).ConfigureAwait(false);

    /// <summary>
    /// Writes a tombstone (a void that arrived before its evaluation): inserts the marker in the member's partition, whether or
    /// not the profile exists, so a later evaluation of the settlement finds it and applies nothing. False on a conflict
    /// (a marker exists already: the caller reloads and decides on it).
    /// </summary>
    public async Task<bool> TombstoneAsync(RegionCode region, string memberId, AppliedMarker tombstone, CancellationToken ct) =>
        await SubmitAsync([new TableTransactionAction(TableTransactionActionType.Add, MarkerEntity(MemberRows.Partition(region, memberId), tombstone))], ct).ConfigureAwait(false);

    /// <summary>The marker of a settlement alone (for a member whose profile is not in the registry).</summary>
    public async Task<AppliedMarker?> GetMarkerAsync(RegionCode region, string memberId, string settlementKey, CancellationToken ct)
    {
        var r = await _table.GetEntityIfExistsAsync<TableEntity>(MemberRows.Partition(region, memberId), MemberRows.AppliedRow(settlementKey), cancellationToken: ct).ConfigureAwait(false);
        return r.HasValue ? Marker(r.Value!) : null;
    }

    /// <summary>
    /// Reverses exactly the recorded delta and replaces the marker (status cancelled, or voided for a settlement the gateway
    /// failed), atomically, under the accumulators', the marker's (and the balance's) ETags.
    /// </summary>
    public async Task<bool> CancelAsync(MemberState state, AnnualAccumulators after, AppliedMarker cancelled, CancellationToken ct)
    {
        var actions = new List<TableTransactionAction>(3)
        {
            new(TableTransactionActionType.UpdateReplace, MemberRows.ToEntity(state.Partition, after), state.AccumulatorsETag ?? throw new InvalidOperationException("Nothing to reverse.")),
            new(TableTransactionActionType.UpdateReplace, MarkerEntity(state.Partition, cancelled), state.AppliedETag ?? throw new InvalidOperationException("No marker.")),
        };
        if (cancelled.AccountPaid != 0m) actions.Add(BalanceAction(state, cancelled.AccountPaid));
        return await SubmitAsync(actions, ct).ConfigureAwait(false);
    }

    private static TableTransactionAction BalanceAction(MemberState state, decimal change)
    {
        var balance = new TableEntity(state.Partition, MemberRows.ProfileRow)
        {
            ["AccountBalance"] = (state.Profile.AccountBalance + change).ToString("0.00", CultureInfo.InvariantCulture),
        };
        return new TableTransactionAction(TableTransactionActionType.UpdateMerge, balance, state.ProfileETag);
    }

    private async Task<bool> SubmitAsync(List<TableTransactionAction> actions, CancellationToken ct)
    {
        try
        {
            await _table.SubmitTransactionAsync(actions, ct).ConfigureAwait(false);
            return true;
        }
        catch (TableTransactionFailedException e) when (e.Status is 409 or 412)
        {
            return false;
        }
    }

    private static TableEntity MarkerEntity(string partition, AppliedMarker m)
    {
        var e = new TableEntity(partition, MemberRows.AppliedRow(m.SettlementKey))
        {
            ["Status"] = m.Status,
            ["Year"] = m.Year,
            ["Delta"] = m.DeltaJson,
            ["DeductiblePaid"] = m.DeductiblePaid.ToString("0.00", CultureInfo.InvariantCulture),
            ["AccountPaid"] = m.AccountPaid.ToString("0.00", CultureInfo.InvariantCulture),
            ["Admission"] = m.Admission?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["Discharge"] = m.Discharge?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["Diagnosis"] = m.Diagnosis,
        };
        LargeText.Write(e, "Reply", m.ReplyJson); // a long bill's explanation exceeds one property
        return e;
    }

    private static AppliedMarker Marker(TableEntity e) => new(
        e.RowKey["applied-".Length..], e.GetString("Status"), e.GetInt32("Year") ?? 0, e.GetString("Delta") ?? "", LargeText.Read(e, "Reply") ?? "",
        decimal.Parse(e.GetString("DeductiblePaid") ?? "0", CultureInfo.InvariantCulture), decimal.Parse(e.GetString("AccountPaid") ?? "0", CultureInfo.InvariantCulture))
    {
        Admission = e.GetString("Admission") is { } a ? DateOnly.ParseExact(a, "yyyy-MM-dd", CultureInfo.InvariantCulture) : null,
        Discharge = e.GetString("Discharge") is { } d ? DateOnly.ParseExact(d, "yyyy-MM-dd", CultureInfo.InvariantCulture) : null,
        Diagnosis = e.GetString("Diagnosis"),
    };

    /// <summary>One partition query: the member's profile (null when not in the registry) and the filing's marker (null when undecided).</summary>
    public async Task<(MemberProfile? Profile, FilingMarker? Marker)> LoadFilingAsync(RegionCode region, string memberId, string filingKey, CancellationToken ct)
    {
        var partition = MemberRows.Partition(region, memberId);
        var row = MemberRows.FilingRow(filingKey);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition} and (RowKey eq {MemberRows.ProfileRow} or RowKey eq {row})");
        MemberProfile? profile = null;
        FilingMarker? marker = null;
        await foreach (var e in _table.QueryAsync<TableEntity>(filter, cancellationToken: ct).ConfigureAwait(false))
        {
            if (e.RowKey == MemberRows.ProfileRow) profile = MemberRows.FromEntity(e);
            else marker = FilingOf(e);
        }
        return (profile, marker);
    }

    /// <summary>Records a filing decision, insert-only (whether or not the profile exists); false when one is recorded already.</summary>
    public async Task<bool> RecordFilingAsync(RegionCode region, string memberId, FilingMarker marker, CancellationToken ct)
    {
        var e = new TableEntity(MemberRows.Partition(region, memberId), MemberRows.FilingRow(marker.FilingKey))
        {
            ["Status"] = marker.Status,
            ["TreatmentRegion"] = marker.TreatmentRegion,
        };
        if (marker.ValidFrom is { } from) e["ValidFrom"] = from.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        if (marker.ValidTo is { } to) e["ValidTo"] = to.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        LargeText.Write(e, "Reply", marker.ReplyJson);
        return await SubmitAsync([new TableTransactionAction(TableTransactionActionType.Add, e)], ct).ConfigureAwait(false);
    }

    private static FilingMarker FilingOf(TableEntity e)
    {
        static DateOnly? P(string? s) => s is null ? null : DateOnly.ParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture);
        return new FilingMarker(e.RowKey[MemberRows.FilingPrefix.Length..], e.GetString("Status") ?? "", e.GetString("TreatmentRegion") ?? "",
            P(e.GetString("ValidFrom")), P(e.GetString("ValidTo")), LargeText.Read(e, "Reply") ?? "");
    }

    public async IAsyncEnumerable<(string Partition, AnnualAccumulators Accumulators)> AllAccumulatorsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var filter = "RowKey ge 'year-' and RowKey lt 'year-~'";
        await foreach (var e in _table.QueryAsync<TableEntity>(filter, cancellationToken: ct).ConfigureAwait(false))
            yield return (e.PartitionKey, MemberRows.AccumulatorsFromEntity(e));
    }

    public async IAsyncEnumerable<(string Partition, AppliedMarker Marker)> AllMarkersAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var filter = "RowKey ge 'applied-' and RowKey lt 'applied-~'";
        await foreach (var e in _table.QueryAsync<TableEntity>(filter, cancellationToken: ct).ConfigureAwait(false))
            yield return (e.PartitionKey, Marker(e));
    }
}
