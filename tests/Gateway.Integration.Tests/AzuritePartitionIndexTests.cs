using Azure.Data.Tables;
using Gateway.TestSupport;

namespace Gateway.Integration.Tests;

/// <summary>
/// tools/azurite-partition-index.py makes Azurite find the partition a query names through its PartitionKey index
/// instead of walking the table. It must answer exactly what the walk answered: these filters (one partition, a
/// partition and a row range, keys with quotes, a disjunction and a negation that must still be walked, paging) run
/// against the Azurite the tests use and are compared with the same predicates over the rows written.
/// </summary>
public sealed class AzuritePartitionIndexTests
{
    private static readonly string[] Partitions = ["H440300001", "o'neil", "o''neil", "p", "pa", "P"];

    public static TheoryData<string> Filters => new()
    {
        "PartitionKey eq 'p'",
        "(PartitionKey eq 'p')",
        "PartitionKey eq 'o''neil'",
        "PartitionKey eq 'o''''neil'",
        "PartitionKey eq 'H440300001' and RowKey ge '~wait|' and RowKey lt '~wait}'",
        "(PartitionKey eq 'H440300001') and (RowKey ge 'r010')",
        "PartitionKey eq 'p' or PartitionKey eq 'pa'",
        "(PartitionKey eq 'p') or (RowKey eq 'r001')",
        "not (PartitionKey eq 'p')",
        "PartitionKey eq 'p' and not (RowKey lt 'r020')",
        "PartitionKey eq 'pa' and V eq 'or'",
        "PartitionKey eq 'nobody'",
        "RowKey eq 'r003'",
        "PartitionKey ge 'p' and PartitionKey lt 'q'",
        // RowKey ranges: through the RowKey index when plain string order holds, else walked; numbers-like keys
        // ("15", "1e3", "0x1f") sort numerically in Loki's index, so a range over them must not be read from it.
        "RowKey ge '1' and RowKey lt '2'",
        "PartitionKey eq 'p' and RowKey ge '~wait|' and RowKey lt '~wait}'",
        "RowKey ge '~wait|' and RowKey le '~wait|020'",
        "PartitionKey eq 'p' and RowKey eq '15'",
        "RowKey eq '0x1f'",
        "RowKey gt 'r010' and RowKey lt 'r020'",
        "RowKey ge 'r030' and RowKey lt 'r010'",
        // The gateway's shapes: a partition and a disjunction of rows and ranges (narrowed by the partition or by
        // the union of the branches), and disjunctions that narrow nothing (a branch on another property).
        "PartitionKey eq 'p' and (RowKey eq 'r001' or RowKey eq 'r002' or (RowKey ge '~wait|' and RowKey lt '~wait}'))",
        "PartitionKey eq 'H440300001' and (RowKey eq 'r003' or RowKey eq 'r003')",
        "(RowKey eq 'r001' or RowKey eq '15') and PartitionKey eq 'pa'",
        "PartitionKey eq 'p' and RowKey lt 'r020' and (V eq 'or' or V eq 'x')",
        "RowKey eq 'r001' or V eq 'or'",
        "(RowKey eq 'r001' or V eq 'or') and PartitionKey eq 'p'",
    };

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task A_query_answers_the_same_rows_in_the_same_order_as_a_walk_of_the_table(string filter)
    {
        await using var azurite = await AzuriteFixture.StartAsync();
        var table = new TableClient(azurite.ConnectionString, "Index");
        await table.CreateIfNotExistsAsync();
        var rows = new List<TableEntity>();
        foreach (var pk in Partitions)
        {
            var batch = new List<TableTransactionAction>();
            for (var i = 0; i < 40; i++)
            {
                var key = i % 10 == 0 ? $"~wait|{i:D3}" : i % 10 == 5 ? $"{i}" : i == 7 ? "0x1f" : i == 17 ? "1e3" : $"r{i:D3}";
                var e = new TableEntity(pk, key) { ["V"] = i % 2 == 0 ? "or" : "x" };
                rows.Add(e);
                batch.Add(new TableTransactionAction(TableTransactionActionType.Add, e));
            }
            await table.SubmitTransactionAsync(batch);
        }

        // Pages of 7 exercise the continuation (next partition and row keys) on top of the index.
        var got = new List<(string, string)>();
        await foreach (var page in table.QueryAsync<TableEntity>(filter, maxPerPage: 7).AsPages())
            got.AddRange(page.Values.Select(e => (e.PartitionKey, e.RowKey)));

        var expected = rows.Where(Predicate(filter)).Select(e => (e.PartitionKey, e.RowKey))
            .OrderBy(k => k.PartitionKey, StringComparer.Ordinal).ThenBy(k => k.RowKey, StringComparer.Ordinal).ToList();
        Assert.Equal(expected, got);
    }

    /// <summary>The same filters, as C#.</summary>
    private static Func<TableEntity, bool> Predicate(string filter) => filter switch
    {
        "PartitionKey eq 'p'" or "(PartitionKey eq 'p')" => e => e.PartitionKey == "p",
        "PartitionKey eq 'o''neil'" => e => e.PartitionKey == "o'neil",
        "PartitionKey eq 'o''''neil'" => e => e.PartitionKey == "o''neil",
        "PartitionKey eq 'H440300001' and RowKey ge '~wait|' and RowKey lt '~wait}'" =>
            e => e.PartitionKey == "H440300001" && string.CompareOrdinal(e.RowKey, "~wait|") >= 0 && string.CompareOrdinal(e.RowKey, "~wait}") < 0,
        "(PartitionKey eq 'H440300001') and (RowKey ge 'r010')" => e => e.PartitionKey == "H440300001" && string.CompareOrdinal(e.RowKey, "r010") >= 0,
        "PartitionKey eq 'p' or PartitionKey eq 'pa'" => e => e.PartitionKey is "p" or "pa",
        "(PartitionKey eq 'p') or (RowKey eq 'r001')" => e => e.PartitionKey == "p" || e.RowKey == "r001",
        "not (PartitionKey eq 'p')" => e => e.PartitionKey != "p",
        "PartitionKey eq 'p' and not (RowKey lt 'r020')" => e => e.PartitionKey == "p" && string.CompareOrdinal(e.RowKey, "r020") >= 0,
        "PartitionKey eq 'pa' and V eq 'or'" => e => e.PartitionKey == "pa" && (string)e["V"] == "or",
        "PartitionKey eq 'nobody'" => _ => false,
        "RowKey eq 'r003'" => e => e.RowKey == "r003",
        "PartitionKey ge 'p' and PartitionKey lt 'q'" => e => string.CompareOrdinal(e.PartitionKey, "p") >= 0 && string.CompareOrdinal(e.PartitionKey, "q") < 0,
        "RowKey ge '1' and RowKey lt '2'" => e => string.CompareOrdinal(e.RowKey, "1") >= 0 && string.CompareOrdinal(e.RowKey, "2") < 0,
        "PartitionKey eq 'p' and RowKey ge '~wait|' and RowKey lt '~wait}'" =>
            e => e.PartitionKey == "p" && string.CompareOrdinal(e.RowKey, "~wait|") >= 0 && string.CompareOrdinal(e.RowKey, "~wait}") < 0,
        "RowKey ge '~wait|' and RowKey le '~wait|020'" => e => string.CompareOrdinal(e.RowKey, "~wait|") >= 0 && string.CompareOrdinal(e.RowKey, "~wait|020") <= 0,
        "PartitionKey eq 'p' and RowKey eq '15'" => e => e.PartitionKey == "p" && e.RowKey == "15",
        "RowKey eq '0x1f'" => e => e.RowKey == "0x1f",
        "RowKey gt 'r010' and RowKey lt 'r020'" => e => string.CompareOrdinal(e.RowKey, "r010") > 0 && string.CompareOrdinal(e.RowKey, "r020") < 0,
        "RowKey ge 'r030' and RowKey lt 'r010'" => _ => false,
        "PartitionKey eq 'p' and (RowKey eq 'r001' or RowKey eq 'r002' or (RowKey ge '~wait|' and RowKey lt '~wait}'))" =>
            e => e.PartitionKey == "p" && (e.RowKey is "r001" or "r002" || (string.CompareOrdinal(e.RowKey, "~wait|") >= 0 && string.CompareOrdinal(e.RowKey, "~wait}") < 0)),
        "PartitionKey eq 'H440300001' and (RowKey eq 'r003' or RowKey eq 'r003')" => e => e.PartitionKey == "H440300001" && e.RowKey == "r003",
        "(RowKey eq 'r001' or RowKey eq '15') and PartitionKey eq 'pa'" => e => e.PartitionKey == "pa" && e.RowKey is "r001" or "15" && e.PartitionKey == "pa",
        "PartitionKey eq 'p' and RowKey lt 'r020' and (V eq 'or' or V eq 'x')" => e => e.PartitionKey == "p" && string.CompareOrdinal(e.RowKey, "r020") < 0,
        "RowKey eq 'r001' or V eq 'or'" => e => e.RowKey == "r001" || (string)e["V"] == "or",
        "(RowKey eq 'r001' or V eq 'or') and PartitionKey eq 'p'" => e => e.PartitionKey == "p" && (e.RowKey == "r001" || (string)e["V"] == "or"),
        _ => throw new ArgumentOutOfRangeException(nameof(filter)),
    };

    [Fact]
    public async Task A_point_lookup_finds_exactly_its_keys_whichever_index_is_smaller()
    {
        await using var azurite = await AzuriteFixture.StartAsync();
        var table = new TableClient(azurite.ConnectionString, "Lookup");
        await table.CreateIfNotExistsAsync();
        // "big" has many rows (the partition range is large), "15" and "profile" are in many partitions (the RowKey range is).
        await table.SubmitTransactionAsync(Enumerable.Range(0, 90).Select(i => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("big", $"r{i:D3}") { ["N"] = i })));
        foreach (var pk in new[] { "a", "b", "c", "d", "big" })
        {
            await table.AddEntityAsync(new TableEntity(pk, "15") { ["N"] = pk });
            await table.AddEntityAsync(new TableEntity(pk, "profile") { ["N"] = pk });
        }
        Assert.Equal("c", (await table.GetEntityAsync<TableEntity>("c", "15")).Value["N"]);
        Assert.Equal("big", (await table.GetEntityAsync<TableEntity>("big", "profile")).Value["N"]);
        Assert.Equal(42, (await table.GetEntityAsync<TableEntity>("big", "r042")).Value["N"]);
        Assert.False((await table.GetEntityIfExistsAsync<TableEntity>("e", "15")).HasValue);
        Assert.False((await table.GetEntityIfExistsAsync<TableEntity>("a", "015")).HasValue); // "015" == 15 as a number: not as a key
        Assert.False((await table.GetEntityIfExistsAsync<TableEntity>("A", "15")).HasValue);  // keys are case-sensitive
        await table.UpsertEntityAsync(new TableEntity("b", "15") { ["M"] = "merged" }, TableUpdateMode.Merge);
        var merged = (await table.GetEntityAsync<TableEntity>("b", "15")).Value;
        Assert.Equal(("b", "merged"), ((string)merged["N"], (string)merged["M"]));
        await Assert.ThrowsAsync<Azure.RequestFailedException>(() => table.AddEntityAsync(new TableEntity("d", "profile")));
        await table.DeleteEntityAsync("d", "profile");
        Assert.False((await table.GetEntityIfExistsAsync<TableEntity>("d", "profile")).HasValue);
        Assert.True((await table.GetEntityIfExistsAsync<TableEntity>("a", "profile")).HasValue);
    }

    /// <summary>
    /// Replace and merge keep the entity in place (same Loki document, indices untouched). After rounds of
    /// replaces, merges, upserts, stale-ETag refusals and rolled-back transactions, every point read, partition
    /// query and RowKey range answers what a model of the table says, and a deleted row's neighbours are intact.
    /// </summary>
    [Fact]
    public async Task Replace_and_merge_in_place_keep_every_lookup_and_range_exact()
    {
        await using var azurite = await AzuriteFixture.StartAsync();
        var table = new TableClient(azurite.ConnectionString, "InPlace");
        await table.CreateIfNotExistsAsync();
        var model = new SortedDictionary<(string Pk, string Rk), (int N, string? M)>(
            Comparer<(string Pk, string Rk)>.Create((a, b) => string.CompareOrdinal(a.Pk, b.Pk) is var c && c != 0 ? c : string.CompareOrdinal(a.Rk, b.Rk)));
        foreach (var pk in new[] { "p", "q" })
        {
            await table.SubmitTransactionAsync(Enumerable.Range(0, 30).Select(i => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(pk, $"r{i:D3}") { ["N"] = i })));
            for (var i = 0; i < 30; i++) model[(pk, $"r{i:D3}")] = (i, null);
        }

        var random = new Random(21);
        for (var round = 0; round < 6; round++)
        {
            for (var k = 0; k < 25; k++)
            {
                var key = model.Keys.ElementAt(random.Next(model.Count));
                var n = random.Next(1000);
                switch (random.Next(5))
                {
                    case 0: // replace with the current ETag: the M property disappears
                        var current = (await table.GetEntityAsync<TableEntity>(key.Pk, key.Rk)).Value;
                        await table.UpdateEntityAsync(new TableEntity(key.Pk, key.Rk) { ["N"] = n }, current.ETag, TableUpdateMode.Replace);
                        model[key] = (n, null);
                        break;
                    case 1: // merge: N kept, M set
                        await table.UpdateEntityAsync(new TableEntity(key.Pk, key.Rk) { ["M"] = $"m{n}" }, Azure.ETag.All, TableUpdateMode.Merge);
                        model[key] = (model[key].N, $"m{n}");
                        break;
                    case 2: // upsert as replace
                        await table.UpsertEntityAsync(new TableEntity(key.Pk, key.Rk) { ["N"] = n }, TableUpdateMode.Replace);
                        model[key] = (n, null);
                        break;
                    case 3: // a stale ETag is refused and changes nothing
                        var before = (await table.GetEntityAsync<TableEntity>(key.Pk, key.Rk)).Value;
                        await table.UpdateEntityAsync(new TableEntity(key.Pk, key.Rk) { ["N"] = n }, before.ETag, TableUpdateMode.Replace);
                        model[key] = (n, null);
                        var stale = await Assert.ThrowsAsync<Azure.RequestFailedException>(() =>
                            table.UpdateEntityAsync(new TableEntity(key.Pk, key.Rk) { ["N"] = -1 }, before.ETag, TableUpdateMode.Replace));
                        Assert.Equal(412, stale.Status);
                        break;
                    default: // a transaction that replaces and merges, then fails on an insert of an existing row: rolled back
                        var others = model.Keys.Where(x => x.Pk == key.Pk && x != key).Take(2).ToList();
                        var failing = new List<TableTransactionAction>
                        {
                            new(TableTransactionActionType.UpdateReplace, new TableEntity(key.Pk, key.Rk) { ["N"] = -2 }),
                            new(TableTransactionActionType.UpdateMerge, new TableEntity(others[0].Pk, others[0].Rk) { ["M"] = "rolled back" }),
                            new(TableTransactionActionType.Add, new TableEntity(others[1].Pk, others[1].Rk)),
                        };
                        await Assert.ThrowsAsync<TableTransactionFailedException>(() => table.SubmitTransactionAsync(failing));
                        break;
                }
            }
            // a delete and a re-insert move positions in the data array and the indices
            var gone = model.Keys.ElementAt(random.Next(model.Count));
            await table.DeleteEntityAsync(gone.Pk, gone.Rk);
            model.Remove(gone);
            var added = (gone.Pk, $"s{round:D3}");
            await table.AddEntityAsync(new TableEntity(added.Pk, added.Item2) { ["N"] = round });
            model[added] = (round, null);

            foreach (var (key, value) in model)
            {
                var e = (await table.GetEntityAsync<TableEntity>(key.Pk, key.Rk)).Value;
                Assert.Equal(value, ((int)e["N"], e.TryGetValue("M", out var m) ? (string)m : null));
            }
            Assert.False((await table.GetEntityIfExistsAsync<TableEntity>(gone.Pk, gone.Rk)).HasValue);
            foreach (var (filter, predicate) in new (string, Func<(string Pk, string Rk), bool>)[]
            {
                ("PartitionKey eq 'p'", k => k.Pk == "p"),
                ("PartitionKey eq 'q' and RowKey ge 'r010' and RowKey lt 'r020'", k => k.Pk == "q" && string.CompareOrdinal(k.Rk, "r010") >= 0 && string.CompareOrdinal(k.Rk, "r020") < 0),
                ("RowKey eq 'r007'", k => k.Rk == "r007"),
                ("N ge 0", _ => true),
            })
            {
                var got = new List<((string, string), (int, string?))>();
                await foreach (var e in table.QueryAsync<TableEntity>(filter, maxPerPage: 9))
                    got.Add(((e.PartitionKey, e.RowKey), ((int)e["N"], e.TryGetValue("M", out var m) ? (string)m : null)));
                Assert.Equal(model.Where(x => predicate(x.Key)).Select(x => (x.Key, x.Value)).ToList(), got);
            }
        }
    }

    [Fact]
    public void The_azurite_the_tests_run_has_the_partition_index()
    {
        var bin = Environment.GetEnvironmentVariable("GATEWAY_AZURITE");
        Assert.False(string.IsNullOrEmpty(bin), "GATEWAY_AZURITE names the Azurite ./gateway installs");
        var root = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(bin)!, "..")); // node_modules
        var store = Path.Combine(root, "azurite", "dist", "src", "table", "persistence", "LokiTableMetadataStore.js");
        Assert.Contains("/* gateway: partition index */", File.ReadAllText(store), StringComparison.Ordinal);
        Assert.Contains("/* gateway: key index */", File.ReadAllText(store), StringComparison.Ordinal);
        Assert.Contains("/* gateway: replace in place */", File.ReadAllText(store), StringComparison.Ordinal);
    }
}
