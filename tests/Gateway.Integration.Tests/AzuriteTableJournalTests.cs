using Azure;
using Azure.Data.Tables;
using Gateway.TestSupport;

namespace Gateway.Integration.Tests;

/// <summary>
/// tools/azurite-table-journal.py makes the on-disk Azurite of <c>./gateway up</c> journal every table change instead of
/// rewriting its whole database every 5 s. What a client was answered must be what a restart finds: random inserts,
/// replaces, merges, deletes, conditional updates that lose, entity-group transactions that commit and that roll back,
/// and tables created and deleted, against a model of what each answer said; the journal is made to compact
/// (snapshot a new generation while writes go on) many times; then Azurite is killed with SIGKILL, started again on
/// the same folder, compared with the model, written to again, stopped cleanly (its self-check compares the journal
/// with memory), started again and compared once more.
/// </summary>
public sealed class AzuriteTableJournalTests
{
    // Snapshots often, each held 20 ms in its worker before it is written, so that writes and deletes land while one is made.
    private static readonly Dictionary<string, string> CompactOften = new()
    {
        ["GATEWAY_JOURNAL_COMPACT_BYTES"] = "150000", ["GATEWAY_JOURNAL_COMPACT_DELAY_MS"] = "20",
    };

    [Fact]
    public async Task What_each_answer_said_survives_a_crash_a_compaction_and_a_clean_restart()
    {
        var location = Path.Combine(Path.GetTempPath(), "gateway-journal-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(location);
        var model = new Dictionary<string, Dictionary<(string P, string R), Dictionary<string, object>>>();
        var random = new Random(20261203);
        try
        {
            var azurite = await AzuriteFixture.StartAsync(location, CompactOften);
            await RunAsync(azurite, model, random, 1500);
            await Task.Delay(300); // the group-commit window is milliseconds: what was answered 300 ms ago is on disk
            await azurite.CrashAsync();
            var firstLog = azurite.ReadLog();
            Assert.Contains("snapshot", firstLog); // the journal did compact while the writes went on

            azurite = await AzuriteFixture.StartAsync(location, CompactOften);
            await AssertHoldsAsync(azurite, model);
            await RunAsync(azurite, model, random, 500);
            await azurite.StopAsync();
            Assert.Contains("verify: the journal holds all", azurite.ReadLog());
            Assert.DoesNotContain("differences", azurite.ReadLog());

            await using var last = await AzuriteFixture.StartAsync(location, CompactOften);
            await AssertHoldsAsync(last, model);
        }
        finally
        {
            try { Directory.Delete(location, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>
    /// A snapshot is made while requests go on; a row deleted after the snapshot began must not come back after a crash
    /// (it did once, when the snapshot was written from the live documents a slice at a time: a removed document lost
    /// its id before its slice was written, and the journal's removal then matched nothing). Now a worker thread writes
    /// it from the files, held 200 ms here, while rows are deleted and a large row is rewritten so that the journal
    /// compacts again and again during the deletes.
    /// </summary>
    [Fact]
    public async Task A_row_deleted_while_a_snapshot_is_written_stays_deleted_after_a_crash()
    {
        var location = Path.Combine(Path.GetTempPath(), "gateway-journal-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(location);
        var env = new Dictionary<string, string>
        {
            ["GATEWAY_JOURNAL_COMPACT_BYTES"] = "400000", ["GATEWAY_JOURNAL_COMPACT_DELAY_MS"] = "200",
        };
        try
        {
            var azurite = await AzuriteFixture.StartAsync(location, env);
            var table = new TableClient(azurite.ConnectionString, "Churn");
            await table.CreateIfNotExistsAsync();
            for (var b = 0; b < 20; b++)
                await table.SubmitTransactionAsync(Enumerable.Range(b * 100, 100).Select(i =>
                    new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("p", $"r{i:D4}") { ["V"] = new string('v', 100) })));

            await Task.Delay(1500);
            var before = Snapshots(azurite);
            using var deleting = new CancellationTokenSource();
            var rewrites = Task.Run(async () =>
            {
                for (var n = 0; !deleting.IsCancellationRequested; n++)
                {
                    var big = new TableEntity("big", "row") { ["N"] = n };
                    for (var v = 0; v < 8; v++) big["V" + v] = new string((char)('a' + (n + v) % 26), 30000);
                    await table.UpsertEntityAsync(big, TableUpdateMode.Replace);
                }
            });
            var next = 2000;
            var deleters = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                for (var i = Interlocked.Decrement(ref next); i >= 1400; i = Interlocked.Decrement(ref next))
                    await table.DeleteEntityAsync("p", $"r{i:D4}");
            })).ToList();
            await Task.WhenAll(deleters);
            await deleting.CancelAsync();
            await rewrites;
            await Task.Delay(1500); // the snapshot in progress completes; the last answers are flushed
            var snapshots = Snapshots(azurite) - before;
            Assert.True(snapshots >= 1, $"the journal compacted during the deletes ({snapshots} snapshots)");
            await azurite.CrashAsync();

            await using var again = await AzuriteFixture.StartAsync(location, env);
            var rows = new List<string>();
            await foreach (var e in new TableClient(again.ConnectionString, "Churn").QueryAsync<TableEntity>(select: ["PartitionKey", "RowKey"]))
                rows.Add(e.PartitionKey + "/" + e.RowKey);
            Assert.Equal(Enumerable.Range(0, 1400).Select(i => $"p/r{i:D4}").Prepend("big/row"), rows);
        }
        finally
        {
            try { Directory.Delete(location, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>
    /// The snapshot is made by a worker thread from the files (the last snapshot and the journals before the new
    /// generation). A crash while it works leaves its unfinished file, which start-up discards, and the older files it
    /// was made from, which hold everything; a clean stop while it works stops the worker at once, and the self-check
    /// finds the journal equal to memory. The worker is held for a minute here so that both land while it works.
    /// </summary>
    [Fact]
    public async Task A_crash_or_a_stop_while_the_worker_makes_a_snapshot_loses_nothing()
    {
        var location = Path.Combine(Path.GetTempPath(), "gateway-journal-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(location);
        var env = new Dictionary<string, string> { ["GATEWAY_JOURNAL_COMPACT_BYTES"] = "200000", ["GATEWAY_JOURNAL_COMPACT_DELAY_MS"] = "60000" };
        var journalDir = Path.Combine(location, "__azurite_db_table__.json.journal");
        try
        {
            var expected = new List<string>();
            for (var round = 0; round < 2; round++)
            {
                var azurite = await AzuriteFixture.StartAsync(location, env);
                var table = new TableClient(azurite.ConnectionString, "Held");
                await table.CreateIfNotExistsAsync();
                // Batches until the journal outgrows the last snapshot and a new generation's worker starts (and holds).
                var deadline = DateTime.UtcNow.AddSeconds(30);
                for (var b = 0; b < 6 || (!Directory.EnumerateFiles(journalDir, "snapshot.*.tmp").Any() && b < 60 && DateTime.UtcNow < deadline); b++)
                {
                    var rows = Enumerable.Range(b * 50, 50).Select(i => new TableEntity($"p{round}", $"r{i:D4}") { ["V"] = new string('w', 1500) }).ToList();
                    await table.SubmitTransactionAsync(rows.Select(e => new TableTransactionAction(TableTransactionActionType.Add, e)));
                    expected.AddRange(rows.Select(e => $"{e.PartitionKey}/{e.RowKey}"));
                    await Task.Delay(20);
                }
                Assert.True(Directory.EnumerateFiles(journalDir, "snapshot.*.tmp").Any(), "a snapshot is being made (its worker is held)");
                if (round == 0) AssertOnlyTheWorkerIsNiced(azurite);
                await Task.Delay(300); // the last answers are flushed
                if (round == 0)
                {
                    await azurite.CrashAsync();
                }
                else
                {
                    var stopping = System.Diagnostics.Stopwatch.StartNew();
                    await azurite.StopAsync();
                    Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(30), $"the stop waited for the held worker ({stopping.Elapsed})");
                    Assert.Contains("verify: the journal holds all", azurite.ReadLog());
                    Assert.DoesNotContain("differences", azurite.ReadLog());
                    Assert.Empty(Directory.EnumerateFiles(journalDir, "*.tmp"));
                }
            }

            await using var again = await AzuriteFixture.StartAsync(location, env);
            var found = new List<string>();
            await foreach (var e in new TableClient(again.ConnectionString, "Held").QueryAsync<TableEntity>(select: ["PartitionKey", "RowKey"]))
                found.Add(e.PartitionKey + "/" + e.RowKey);
            Assert.Equal(expected.Order(StringComparer.Ordinal), found);
        }
        finally
        {
            try { Directory.Delete(location, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>
    /// The worker making a snapshot runs at nice 19 (it yields the cores to Azurite's thread and to the gateway); Azurite's
    /// own thread keeps its priority. Read from each thread's /proc stat (field 19 is the nice value).
    /// </summary>
    private static void AssertOnlyTheWorkerIsNiced(AzuriteFixture azurite)
    {
        var pid = azurite.ProcessId ?? throw new InvalidOperationException("Azurite is not running");
        int Nice(string task)
        {
            var stat = File.ReadAllText($"/proc/{pid}/task/{task}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[16], System.Globalization.CultureInfo.InvariantCulture);
        }
        var tasks = Directory.EnumerateDirectories($"/proc/{pid}/task").Select(Path.GetFileName).ToList();
        Assert.Equal(0, Nice(pid.ToString(System.Globalization.CultureInfo.InvariantCulture))); // the main thread
        Assert.Contains(tasks, t => Nice(t!) == 19);
        Assert.True(tasks.Count(t => Nice(t!) == 19) <= 2, "only the snapshot's worker (and none of Azurite's other threads) is niced");
    }

    private static int Snapshots(AzuriteFixture azurite) =>
        azurite.ReadLog().Split('\n').Count(l => l.Contains("journal: snapshot ", StringComparison.Ordinal) && !l.Contains("failed", StringComparison.Ordinal));

    [Fact]
    public async Task A_torn_last_line_is_ignored_and_everything_before_it_is_kept()
    {
        var location = Path.Combine(Path.GetTempPath(), "gateway-journal-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(location);
        try
        {
            var azurite = await AzuriteFixture.StartAsync(location);
            var table = new TableClient(azurite.ConnectionString, "Torn");
            await table.CreateIfNotExistsAsync();
            for (var i = 0; i < 20; i++) await table.AddEntityAsync(new TableEntity("p", $"r{i:00}") { ["N"] = i });
            await Task.Delay(300);
            await azurite.CrashAsync();
            var dir = Directory.GetDirectories(location, "*.journal").Single();
            var journal = Directory.GetFiles(dir, "journal.*").OrderBy(f => int.Parse(Path.GetExtension(f)[1..], System.Globalization.CultureInfo.InvariantCulture)).Last();
            await File.AppendAllTextAsync(journal, "{\"c\":\"devstoreaccount1$Torn\",\"o\":\"I\",\"d\":{\"Partit"); // a write cut by power loss

            await using var again = await AzuriteFixture.StartAsync(location);
            var rows = new List<TableEntity>();
            await foreach (var e in new TableClient(again.ConnectionString, "Torn").QueryAsync<TableEntity>()) rows.Add(e);
            Assert.Equal(Enumerable.Range(0, 20).Select(i => $"r{i:00}"), rows.Select(r => r.RowKey));
            Assert.Contains("torn last line", again.ReadLog());
        }
        finally
        {
            try { Directory.Delete(location, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task RunAsync(AzuriteFixture azurite, Dictionary<string, Dictionary<(string P, string R), Dictionary<string, object>>> model, Random random, int operations)
    {
        var service = new TableServiceClient(azurite.ConnectionString);
        string[] names = ["Alpha", "Beta", "Gamma"];
        foreach (var n in names)
        {
            if (model.ContainsKey(n)) continue;
            await service.CreateTableIfNotExistsAsync(n);
            model[n] = new();
        }
        for (var op = 0; op < operations; op++)
        {
            var name = names[random.Next(names.Length)];
            var table = service.GetTableClient(name);
            var rows = model[name];
            var p = "p" + random.Next(4);
            var r = "r" + random.Next(40).ToString("00", System.Globalization.CultureInfo.InvariantCulture);
            var payload = new string((char)('a' + random.Next(26)), random.Next(10, 600));
            switch (random.Next(100))
            {
                case < 30: // upsert, replace
                {
                    await table.UpsertEntityAsync(new TableEntity(p, r) { ["V"] = payload, ["N"] = (long)op }, TableUpdateMode.Replace);
                    rows[(p, r)] = new() { ["V"] = payload, ["N"] = (long)op };
                    break;
                }
                case < 45: // upsert, merge: keeps the properties it does not name
                {
                    await table.UpsertEntityAsync(new TableEntity(p, r) { ["M"] = payload }, TableUpdateMode.Merge);
                    var row = rows.TryGetValue((p, r), out var existing) ? existing : new();
                    row["M"] = payload;
                    rows[(p, r)] = row;
                    break;
                }
                case < 55: // insert, refused when the row is there
                {
                    try
                    {
                        await table.AddEntityAsync(new TableEntity(p, r) { ["V"] = payload });
                        Assert.False(rows.ContainsKey((p, r)));
                        rows[(p, r)] = new() { ["V"] = payload };
                    }
                    catch (RequestFailedException e) when (e.Status == 409) { Assert.True(rows.ContainsKey((p, r))); }
                    break;
                }
                case < 65: // conditional update with a stale ETag: refused, changes nothing
                {
                    if (!rows.ContainsKey((p, r))) break;
                    var stale = new ETag("W/\"datetime'2000-01-01T00%3A00%3A00.0000000Z'\"");
                    var e = await Assert.ThrowsAsync<RequestFailedException>(() => table.UpdateEntityAsync(new TableEntity(p, r) { ["V"] = "lost" }, stale, TableUpdateMode.Replace));
                    Assert.Equal(412, e.Status);
                    break;
                }
                case < 78: // delete
                {
                    try
                    {
                        await table.DeleteEntityAsync(p, r);
                    }
                    catch (RequestFailedException e) when (e.Status == 404) { }
                    rows.Remove((p, r));
                    break;
                }
                case < 92: // an entity-group transaction that commits
                {
                    var keys = Enumerable.Range(0, random.Next(2, 8)).Select(i => "b" + random.Next(60).ToString("00", System.Globalization.CultureInfo.InvariantCulture)).Distinct().ToList();
                    var actions = keys.Select(k => new TableTransactionAction(TableTransactionActionType.UpsertReplace, new TableEntity(p, k) { ["V"] = payload, ["N"] = (long)op })).ToList();
                    await table.SubmitTransactionAsync(actions);
                    foreach (var k in keys) rows[(p, k)] = new() { ["V"] = payload, ["N"] = (long)op };
                    break;
                }
                case < 98: // an entity-group transaction that fails on its last action: nothing of it stays
                {
                    var existing = rows.Keys.Where(k => k.P == p).Select(k => k.R).FirstOrDefault();
                    if (existing is null) break;
                    var keys = Enumerable.Range(0, random.Next(1, 5)).Select(i => "b" + random.Next(60).ToString("00", System.Globalization.CultureInfo.InvariantCulture)).Where(k => k != existing).Distinct().ToList();
                    var actions = keys.Select(k => new TableTransactionAction(TableTransactionActionType.UpsertReplace, new TableEntity(p, k) { ["V"] = "rolled back" })).ToList();
                    actions.Add(new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(p, existing) { ["V"] = "conflict" }));
                    await Assert.ThrowsAsync<TableTransactionFailedException>(() => table.SubmitTransactionAsync(actions));
                    break;
                }
                default: // drop the table and create it again, empty
                {
                    await service.DeleteTableAsync(name);
                    await service.CreateTableIfNotExistsAsync(name);
                    rows.Clear();
                    break;
                }
            }
        }
    }

    private static async Task AssertHoldsAsync(AzuriteFixture azurite, Dictionary<string, Dictionary<(string P, string R), Dictionary<string, object>>> model)
    {
        var service = new TableServiceClient(azurite.ConnectionString);
        foreach (var (name, rows) in model)
        {
            var found = new Dictionary<(string P, string R), TableEntity>();
            await foreach (var e in service.GetTableClient(name).QueryAsync<TableEntity>()) found[(e.PartitionKey, e.RowKey)] = e;
            Assert.Equal(rows.Keys.OrderBy(k => k.P, StringComparer.Ordinal).ThenBy(k => k.R, StringComparer.Ordinal),
                         found.Keys.OrderBy(k => k.P, StringComparer.Ordinal).ThenBy(k => k.R, StringComparer.Ordinal));
            foreach (var (key, properties) in rows)
            {
                var e = found[key];
                foreach (var (property, value) in properties) Assert.Equal(value, e[property]);
                var extra = e.Keys.Except(["PartitionKey", "RowKey", "Timestamp", "odata.etag"]).Except(properties.Keys).ToList();
                Assert.True(extra.Count == 0, $"{name} {key}: unexpected properties {string.Join(", ", extra)}");
            }
        }
    }
}
