using Azure;
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

    /// <summary>
    /// Deletes leave a hole in Azurite's data array (no shift of every later index position); the holes are removed in one
    /// pass once they are 1,024 and an eighth of the table. No read may see a hole, before or after that pass, and the
    /// journal must hold exactly the live rows: 3,000 rows, then 1,700 deletes (single, in transactions, and in a
    /// transaction that rolls back) with re-inserts and upserts of deleted keys between them, checked against a model by
    /// point reads, partition, range and full-table queries, then a clean stop (the journal's self-check) and a restart.
    /// </summary>
    [Fact]
    public async Task Deleted_rows_stay_deleted_for_every_read_before_and_after_their_holes_are_removed()
    {
        var location = Path.Combine(Path.GetTempPath(), "gateway-holes-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(location);
        var model = new SortedDictionary<(string Pk, string Rk), int>(
            Comparer<(string Pk, string Rk)>.Create((a, b) => string.CompareOrdinal(a.Pk, b.Pk) is var c && c != 0 ? c : string.CompareOrdinal(a.Rk, b.Rk)));
        try
        {
            var azurite = await AzuriteFixture.StartAsync(location);
            var table = new TableClient(azurite.ConnectionString, "Holes");
            await table.CreateIfNotExistsAsync();
            foreach (var pk in new[] { "p", "q", "s" })
                for (var b = 0; b < 10; b++)
                {
                    await table.SubmitTransactionAsync(Enumerable.Range(b * 100, 100).Select(i => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(pk, $"r{i:D4}") { ["N"] = i })));
                    for (var i = b * 100; i < b * 100 + 100; i++) model[(pk, $"r{i:D4}")] = i;
                }

            var random = new Random(2112);
            var deleted = new List<(string Pk, string Rk)>();
            async Task CheckAsync(TableClient t)
            {
                foreach (var (key, n) in model) Assert.Equal(n, (int)(await t.GetEntityAsync<TableEntity>(key.Pk, key.Rk)).Value["N"]);
                foreach (var key in deleted.Where(k => !model.ContainsKey(k)).Take(200))
                    Assert.False((await t.GetEntityIfExistsAsync<TableEntity>(key.Pk, key.Rk)).HasValue, $"{key} was deleted");
                foreach (var (filter, predicate) in new (string, Func<(string Pk, string Rk), bool>)[]
                {
                    ("PartitionKey eq 'q'", k => k.Pk == "q"),
                    ("PartitionKey eq 'p' and RowKey ge 'r0100' and RowKey lt 'r0400'", k => k.Pk == "p" && string.CompareOrdinal(k.Rk, "r0100") >= 0 && string.CompareOrdinal(k.Rk, "r0400") < 0),
                    ("RowKey eq 'r0007' or RowKey eq 'r0993'", k => k.Rk is "r0007" or "r0993"),
                    ("N ge 0", _ => true),
                    ("not (PartitionKey eq 'p')", k => k.Pk != "p"),
                })
                {
                    var got = new List<((string, string), int)>();
                    await foreach (var e in t.QueryAsync<TableEntity>(filter, maxPerPage: 1000)) got.Add(((e.PartitionKey, e.RowKey), (int)e["N"]));
                    Assert.Equal(model.Where(x => predicate(x.Key)).Select(x => (x.Key, x.Value)).ToList(), got);
                }
            }

            for (var round = 0; round < 17; round++)
            {
                // 100 deletes per round: single deletes and a transaction of deletes in one partition
                var singles = model.Keys.OrderBy(_ => random.Next()).Take(60).ToList();
                foreach (var key in singles) await table.DeleteEntityAsync(key.Pk, key.Rk);
                var pk = new[] { "p", "q", "s" }[round % 3];
                var batch = model.Keys.Where(k => k.Pk == pk && !singles.Contains(k)).OrderBy(_ => random.Next()).Take(40).ToList();
                await table.SubmitTransactionAsync(batch.Select(k => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(k.Pk, k.Rk), ETag.All)));
                foreach (var key in singles.Concat(batch)) { model.Remove(key); deleted.Add(key); }

                // a transaction that deletes two rows, then fails on an insert of an existing row: rolled back, both stay
                var live = model.Keys.Where(k => k.Pk == pk).Take(3).ToList();
                await Assert.ThrowsAsync<TableTransactionFailedException>(() => table.SubmitTransactionAsync(
                [
                    new(TableTransactionActionType.Delete, new TableEntity(live[0].Pk, live[0].Rk), ETag.All),
                    new(TableTransactionActionType.Delete, new TableEntity(live[1].Pk, live[1].Rk), ETag.All),
                    new(TableTransactionActionType.Add, new TableEntity(live[2].Pk, live[2].Rk)),
                ]));

                // deleted keys come back: an insert and an upsert
                var back = deleted[random.Next(deleted.Count)];
                if (!model.ContainsKey(back))
                {
                    await table.AddEntityAsync(new TableEntity(back.Pk, back.Rk) { ["N"] = 5000 + round });
                    model[back] = 5000 + round;
                }
                var up = deleted[random.Next(deleted.Count)];
                await table.UpsertEntityAsync(new TableEntity(up.Pk, up.Rk) { ["N"] = 6000 + round }, TableUpdateMode.Replace);
                model[up] = 6000 + round;
                // a delete of a deleted row finds nothing (the SDK answers 404 without throwing)
                var again = deleted.First(k => !model.ContainsKey(k));
                Assert.Equal(404, (await table.DeleteEntityAsync(again.Pk, again.Rk)).Status);

                if (round is 0 or 9 or 11 or 16) await CheckAsync(table); // before the holes are removed, around it, and after
            }

            await azurite.StopAsync();
            Assert.Contains("verify: the journal holds all", azurite.ReadLog(), StringComparison.Ordinal);
            Assert.DoesNotContain("differences", azurite.ReadLog(), StringComparison.Ordinal);
            await using var restarted = await AzuriteFixture.StartAsync(location);
            await CheckAsync(new TableClient(restarted.ConnectionString, "Holes"));
        }
        finally
        {
            try { Directory.Delete(location, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>
    /// A deleted row leaves the RowKey index at once, so the sweep's owed-work range (one RowKey range per hospital, whose
    /// markers are deleted as settlements complete) reads live rows, not every marker deleted since the last pass that
    /// removes holes. tests/azurite/row-key-holes.js checks Loki's indices of the store's own code directly: no hole in
    /// the RowKey index, every live row in it, ranges read through it equal to a walk, across that pass.
    /// </summary>
    [Fact]
    public async Task A_deleted_row_leaves_the_RowKey_index_before_the_pass_that_removes_holes()
    {
        var modules = AzuriteModules();
        var info = new System.Diagnostics.ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(RepoPaths.Root, "tests", "azurite", "row-key-holes.js"));
        info.ArgumentList.Add(modules);
        using var node = System.Diagnostics.Process.Start(info)!;
        var output = node.StandardOutput.ReadToEndAsync();
        var errors = node.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await node.WaitForExitAsync(timeout.Token);
        Assert.True(node.ExitCode == 0, await errors + await output);
        Assert.EndsWith("ok", (await output).TrimEnd(), StringComparison.Ordinal);
    }

    /// <summary>The node_modules of the Azurite the tests run (GATEWAY_AZURITE is its node_modules/.bin/azurite).</summary>
    private static string AzuriteModules()
    {
        var bin = Environment.GetEnvironmentVariable("GATEWAY_AZURITE");
        Assert.False(string.IsNullOrEmpty(bin), "GATEWAY_AZURITE names the Azurite ./gateway installs");
        return Path.GetFullPath(Path.Combine(Path.GetDirectoryName(bin)!, ".."));
    }

    [Fact]
    public void The_azurite_the_tests_run_has_the_partition_index()
    {
        var store = Path.Combine(AzuriteModules(), "azurite", "dist", "src", "table", "persistence", "LokiTableMetadataStore.js");
        Assert.Contains("/* gateway: partition index */", File.ReadAllText(store), StringComparison.Ordinal);
        Assert.Contains("/* gateway: key index */", File.ReadAllText(store), StringComparison.Ordinal);
        Assert.Contains("/* gateway: replace in place */", File.ReadAllText(store), StringComparison.Ordinal);
        Assert.Contains("/* gateway: removes leave a hole */", File.ReadAllText(store), StringComparison.Ordinal);
        Assert.Contains("/* gateway: a hole leaves the RowKey index */", File.ReadAllText(store), StringComparison.Ordinal);
    }
}
