using System.Globalization;
using Azure.Data.Tables;
using Gateway.Domain;
using Newtonsoft.Json;

namespace Gateway.Storage;

/// <summary>
/// Ledger table layout. A journal row and its pair's shard counter share the partition
/// <c>{period}|{home}|{treatment}|s{shard}</c> so they commit in one transaction. The two index rows of a journal
/// (by settlement: <c>~journal|{id}|{seq}</c>; by hospital and period: <c>~period|{period}|{id}|{seq}</c>, both holding
/// the journal's partition) live in the hospital's partition of the Settlements table, so the settlement transition
/// that causes the posting writes them in its own transaction (idempotent upserts; see LedgerStore).
/// </summary>
public static class LedgerRows
{
    public const int Shards = 4;
    public const string CounterRow = "counter";

    public static int Shard(string settlementKey)
    {
        // Stable across processes (string.GetHashCode is not).
        uint h = 2166136261;
        foreach (var c in settlementKey) h = (h ^ c) * 16777619;
        return (int)(h % Shards);
    }

    public static string Partition(ClearingPeriod period, RegionCode home, RegionCode treatment, int shard) => $"{period}|{home}|{treatment}|s{shard}";

    public static string JournalRow(string settlementKey, int sequence) => $"journal-{settlementKey}-{sequence}";

    public static string SettlementIndexRow(string hospitalSettlementId, int sequence) => $"~journal|{hospitalSettlementId}|{sequence}";

    public static string SettlementIndexPrefix(string hospitalSettlementId) => $"~journal|{hospitalSettlementId}|";

    public static string PeriodIndexRow(ClearingPeriod period, string hospitalSettlementId, int sequence) => $"~period|{period}|{hospitalSettlementId}|{sequence}";

    public static string PeriodIndexPrefix(ClearingPeriod period) => $"~period|{period}|";

    /// <summary>The hospital (index partition) and the hospital's own id of a settlement key <c>{hospitalCode}~{id}</c>.</summary>
    public static (string Hospital, string Id) IndexKey(string settlementKey) =>
        Keys.TrySplitSettlementKey(settlementKey, out var h, out var id) ? (h, id) : throw new ArgumentException($"'{settlementKey}' is not a settlement key {{hospitalCode}}~{{id}}.", nameof(settlementKey));

    /// <summary>The two index rows of journal <paramref name="sequence"/> of a settlement, pointing at <paramref name="partition"/>.</summary>
    public static IReadOnlyList<TableEntity> IndexEntities(string settlementKey, int sequence, ClearingPeriod period, string partition)
    {
        var (hospital, id) = IndexKey(settlementKey);
        TableEntity Row(string rowKey) => new(hospital, rowKey)
        {
            ["Partition"] = partition,
            ["SettlementKey"] = settlementKey,
            ["Sequence"] = sequence,
            ["Period"] = period.ToString(),
        };
        return [Row(SettlementIndexRow(id, sequence)), Row(PeriodIndexRow(period, id, sequence))];
    }

    private static string M(decimal d) => d.ToString("0.00", CultureInfo.InvariantCulture);

    private static decimal M(TableEntity e, string name) => decimal.Parse(e.GetString(name) ?? "0", CultureInfo.InvariantCulture);

    public static void WriteFunds(TableEntity e, FundAmounts f)
    {
        e["Basic"] = M(f.Basic);
        e["Supplementary"] = M(f.Supplementary);
        e["MajorIllness"] = M(f.MajorIllness);
        e["Assistance"] = M(f.Assistance);
        e["PersonalAccount"] = M(f.PersonalAccount);
    }

    public static FundAmounts ReadFunds(TableEntity e) =>
        new(M(e, "Basic"), M(e, "Supplementary"), M(e, "MajorIllness"), M(e, "Assistance"), M(e, "PersonalAccount"));

    private sealed record LineJson(string A, string D, string C);

    public static TableEntity ToEntity(JournalEntry j, int shard, DateTimeOffset postedAt)
    {
        var e = new TableEntity(Partition(j.Period, j.Home, j.Treatment, shard), JournalRow(j.SettlementKey, j.Sequence))
        {
            ["SettlementKey"] = j.SettlementKey,
            ["Sequence"] = j.Sequence,
            ["Period"] = j.Period.ToString(),
            ["HospitalCode"] = j.HospitalCode,
            ["Home"] = j.Home.Value,
            ["Treatment"] = j.Treatment.Value,
            ["Lines"] = JsonConvert.SerializeObject(j.Lines.Select(l => new LineJson(l.Account, M(l.Debit), M(l.Credit)))),
            ["PostedAt"] = postedAt,
        };
        WriteFunds(e, j.Funds);
        return e;
    }

    public static JournalEntry FromEntity(TableEntity e)
    {
        var lines = JsonConvert.DeserializeObject<List<LineJson>>(e.GetString("Lines") ?? "[]")!
            .Select(l => new JournalLine(l.A, decimal.Parse(l.D, CultureInfo.InvariantCulture), decimal.Parse(l.C, CultureInfo.InvariantCulture))).ToList();
        return new JournalEntry(e.GetString("SettlementKey"), e.GetInt32("Sequence") ?? 0, ClearingPeriod.Parse(e.GetString("Period")), e.GetString("HospitalCode"),
            RegionCode.Parse(e.GetString("Home")), RegionCode.Parse(e.GetString("Treatment")), ReadFunds(e), lines);
    }

    public static TableEntity Counter(string partition, PairPosition p, bool frozen)
    {
        var e = new TableEntity(partition, CounterRow) { ["Postings"] = p.Postings, ["Reversals"] = p.Reversals, ["Frozen"] = frozen };
        WriteFunds(e, p.Funds);
        return e;
    }

    public static PairPosition CounterPosition(TableEntity e, ClearingPeriod period, RegionCode home, RegionCode treatment) =>
        new(period, home, treatment, ReadFunds(e), e.GetInt32("Postings") ?? 0, e.GetInt32("Reversals") ?? 0);
}
