using Azure;
using Azure.Data.Tables;
using Newtonsoft.Json;

namespace Gateway.Storage;

/// <summary>
/// Stays and their lines (table Stays, one partition per stay). Every request reads the stay by point read and its lines
/// by one range read of its own partition; every change is one entity-group transaction under the stay row's ETag, so
/// two calls on one stay never interleave their changes.
/// </summary>
public sealed class StayStore(GatewayStorage storage)
{
    public const string StayRow = "stay";
    public const string LinePrefix = "line-";
    /// <summary>The RowKey just after every line row ('.' follows '-').</summary>
    private const string LinePrefixEnd = "line.";
    /// <summary>An entity-group transaction holds at most 100 operations: the stay row and 99 lines.</summary>
    public const int MaxLinesPerTransaction = 99;

    private static readonly JsonSerializerSettings Json = new() { DateParseHandling = DateParseHandling.None, FloatParseHandling = FloatParseHandling.Decimal };
    private readonly TableClient _table = storage.Table(GatewayStorage.StaysTable);

    public static string LineRow(string feedetlSn) => LinePrefix + feedetlSn;

    public async Task<StayRecord?> GetAsync(string mdtrtId, CancellationToken ct)
    {
        var r = await _table.GetEntityIfExistsAsync<TableEntity>(mdtrtId, StayRow, cancellationToken: ct).ConfigureAwait(false);
        return r.HasValue ? FromEntity(r.Value!) : null;
    }

    /// <summary>The stay's lines in upload order (one range read of the stay's partition).</summary>
    public async Task<List<StayLine>> LinesAsync(string mdtrtId, CancellationToken ct)
    {
        var lines = new List<StayLine>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {mdtrtId} and RowKey ge {LinePrefix} and RowKey lt {LinePrefixEnd}");
        await foreach (var e in _table.QueryAsync<TableEntity>(filter, cancellationToken: ct).ConfigureAwait(false))
            lines.Add(JsonConvert.DeserializeObject<StayLine>(e.GetString("Data"), Json)!);
        return lines.OrderBy(l => l.LineNo).ToList();
    }

    /// <summary>Creates the stay; false when it exists already (a retried admission: the caller reads it).</summary>
    public async Task<bool> CreateAsync(StayRecord stay, CancellationToken ct)
    {
        try
        {
            await _table.AddEntityAsync(ToEntity(stay), ct).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return false;
        }
    }

    /// <summary>
    /// Replaces the stay row under its ETag, adding <paramref name="added"/> lines and deleting <paramref name="removed"/> ones in
    /// the same transaction. False when the stay changed since it was read (the caller reads again and decides again).
    /// </summary>
    public async Task<(bool Written, StayRecord Stay)> UpdateAsync(StayRecord next, IReadOnlyList<StayLine> added, IReadOnlyList<string> removed, CancellationToken ct)
    {
        if (added.Count + removed.Count > MaxLinesPerTransaction) throw new ArgumentException($"At most {MaxLinesPerTransaction} lines change in one transaction.", nameof(added));
        var actions = new List<TableTransactionAction>(1 + added.Count + removed.Count) { new(TableTransactionActionType.UpdateReplace, ToEntity(next), next.ETag) };
        foreach (var l in added)
            actions.Add(new(TableTransactionActionType.Add, new TableEntity(next.MdtrtId, LineRow(l.FeedetlSn)) { ["Data"] = JsonConvert.SerializeObject(l, Json) }));
        foreach (var sn in removed) actions.Add(new(TableTransactionActionType.Delete, new TableEntity(next.MdtrtId, LineRow(sn)), ETag.All));
        try
        {
            var response = await _table.SubmitTransactionAsync(actions, ct).ConfigureAwait(false);
            return (true, next with { ETag = response.Value[0].Headers.ETag ?? default });
        }
        catch (Exception e) when (e is RequestFailedException { Status: 412 or 409 or 404 } or TableTransactionFailedException)
        {
            return (false, next);
        }
    }

    /// <summary>A settlement's national answer kept in its stay's partition (row <paramref name="row"/>), so a query answers what the settlement did.</summary>
    public async Task<string?> GetOutputAsync(string mdtrtId, string row, CancellationToken ct)
    {
        var r = await _table.GetEntityIfExistsAsync<TableEntity>(mdtrtId, row, cancellationToken: ct).ConfigureAwait(false);
        return r.HasValue ? LargeText.Read(r.Value!, "Output") : null;
    }

    /// <summary>Keeps the answer; the first one written stays (insert only) and is returned, so every answer agrees.</summary>
    public async Task<string> PutOutputAsync(string mdtrtId, string row, string output, CancellationToken ct)
    {
        var e = new TableEntity(mdtrtId, row);
        LargeText.Write(e, "Output", output);
        try
        {
            await _table.AddEntityAsync(e, ct).ConfigureAwait(false);
            return output;
        }
        catch (RequestFailedException x) when (x.Status == 409)
        {
            return await GetOutputAsync(mdtrtId, row, ct).ConfigureAwait(false) ?? output; // kept by an earlier answer
        }
    }

    private static TableEntity ToEntity(StayRecord s)
    {
        var e = new TableEntity(s.MdtrtId, StayRow)
        {
            ["HospitalCode"] = s.HospitalCode,
            ["Status"] = s.Status,
        };
        LargeText.Write(e, "Data", JsonConvert.SerializeObject(s, Json));
        return e;
    }

    private static StayRecord FromEntity(TableEntity e) =>
        JsonConvert.DeserializeObject<StayRecord>(LargeText.Read(e, "Data")!, Json)! with { ETag = e.ETag };
}

/// <summary>
/// The national messages answered (table NationalMessages, PK hospital code, RK msgid): the same msgid and body answer the
/// stored response; another body is refused. Written after the transaction's own effect, which is itself idempotent, so a
/// process that dies in between answers the same again on the retry.
/// </summary>
public sealed class NationalMessageStore(GatewayStorage storage)
{
    private readonly TableClient _table = storage.Table(GatewayStorage.NationalMessagesTable);

    public async Task<NationalMessageRecord?> GetAsync(string hospitalCode, string msgid, CancellationToken ct)
    {
        var r = await _table.GetEntityIfExistsAsync<TableEntity>(hospitalCode, msgid, cancellationToken: ct).ConfigureAwait(false);
        if (!r.HasValue) return null;
        var e = r.Value!;
        return new NationalMessageRecord
        {
            HospitalCode = e.PartitionKey,
            Msgid = e.RowKey,
            Infno = e.GetString("Infno"),
            RequestHash = e.GetString("RequestHash"),
            Response = LargeText.Read(e, "Response") ?? "",
            AnsweredAt = e.GetDateTimeOffset("AnsweredAt") ?? default,
        };
    }

    /// <summary>Records the answer; when another request with this msgid got there first, returns that one.</summary>
    public async Task<NationalMessageRecord> RecordAsync(NationalMessageRecord m, CancellationToken ct)
    {
        var e = new TableEntity(m.HospitalCode, m.Msgid)
        {
            ["Infno"] = m.Infno,
            ["RequestHash"] = m.RequestHash,
            ["AnsweredAt"] = m.AnsweredAt,
        };
        LargeText.Write(e, "Response", m.Response);
        try
        {
            await _table.AddEntityAsync(e, ct).ConfigureAwait(false);
            return m;
        }
        catch (RequestFailedException x) when (x.Status == 409)
        {
            return await GetAsync(m.HospitalCode, m.Msgid, ct).ConfigureAwait(false) ?? m;
        }
    }
}
