using System.Globalization;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Gateway.Integration.Tests.Ledger;
using Gateway.Storage;
using Gateway.Storage.InMemory;

namespace Gateway.Integration.Tests.InMemory;

/// <summary>
/// Differential conformance of the in-memory table service with Azurite: one script of table operations runs against
/// Azurite and against <see cref="InMemoryTableStore"/>, and every observable result must be the same: statuses and error
/// codes (and the failed action of a transaction), entities with their properties, types, values and order, which
/// responses carry an ETag and which ETags are the same one, query results, their order and page boundaries with the
/// continuation tokens, and the round-trips counted by operation. ETags and timestamps differ in value (two clocks): an
/// ETag is observed as "the n-th distinct ETag seen", a Timestamp as equal (or not) to the time in its entity's ETag.
/// The filters are the ones the stores build (copied from their sources), plus every literal and operator shape.
/// </summary>
public sealed class InMemoryTablesConformanceTests(AzuriteHost host) : IClassFixture<AzuriteHost>
{
    private static readonly string Suffix = DateTime.UtcNow.Ticks.ToString(CultureInfo.InvariantCulture)[^9..];
    private static readonly string Main = "Conf" + Suffix;
    private static readonly string Missing = "Missing" + Suffix;
    private static readonly string Scratch = "Scratch" + Suffix;
    private static readonly DateTimeOffset At = new DateTimeOffset(2026, 5, 9, 8, 0, 0, TimeSpan.Zero).AddTicks(1_234_567);

    [Fact]
    public async Task The_in_memory_table_service_answers_every_scripted_operation_as_Azurite_does()
    {
        var azurite = await RunAsync(new GatewayStorage(host.Azurite.ConnectionString, new StorageRoundTripCounter()));
        var memory = await RunAsync(GatewayStorage.InMemory(new InMemoryTableStore(new FixedClock(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero))), new StorageRoundTripCounter()));
        // Both transcripts, for reading a difference side by side (artifacts/ is not committed).
        var dir = Path.Combine(Gateway.TestSupport.RepoPaths.Root, "artifacts", "conformance");
        Directory.CreateDirectory(dir);
        await File.WriteAllLinesAsync(Path.Combine(dir, "azurite.txt"), azurite);
        await File.WriteAllLinesAsync(Path.Combine(dir, "memory.txt"), memory);
        Assert.Equal(azurite.Count, memory.Count);
        var differences = new StringBuilder();
        for (var i = 0; i < azurite.Count; i++)
        {
            if (azurite[i] == memory[i]) continue;
            differences.AppendLine(CultureInfo.InvariantCulture, $"step {i}:\n  azurite: {azurite[i]}\n  memory:  {memory[i]}");
        }
        Assert.True(differences.Length == 0, $"{differences}\n(of {azurite.Count} steps)");
    }

    /// <summary>A clock that never moves: the store still hands out strictly increasing ETags.</summary>
    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private static async Task<List<string>> RunAsync(GatewayStorage storage)
    {
        var c = new Context(storage);
        foreach (var (name, step) in Script())
        {
            var before = storage.Counter.ByOperation;
            string observed;
            try { observed = await step(c); }
            catch (Exception e) { observed = "threw " + Context.Render(e); }
            var after = storage.Counter.ByOperation;
            var ops = string.Join(", ", after.Where(kv => kv.Value != before.GetValueOrDefault(kv.Key)).Select(kv => $"{kv.Key}×{kv.Value - before.GetValueOrDefault(kv.Key)}"));
            c.Observations.Add($"{name}: {observed} | {ops}");
        }
        return c.Observations;
    }

    // ---- the script ----

    private static TableEntity AllTypes(string rk) => new("types", rk)
    {
        ["I"] = 5, ["IMin"] = int.MinValue, ["L"] = 5L, ["LBig"] = 1L << 40, ["D"] = 5.0, ["D2"] = 5.5, ["DNeg"] = -0.25, ["DN"] = double.NaN,
        ["B"] = true, ["BF"] = false, ["S"] = "s", ["SUni"] = "中文 'quoted' \"double\"", ["SEmpty"] = "",
        ["G"] = Guid.Parse("11111111-2222-3333-4444-555555555555"),
        ["DTO"] = new DateTimeOffset(2026, 5, 9, 8, 0, 0, 123, TimeSpan.FromHours(8)).AddTicks(4567), ["DTU"] = new DateTime(2026, 5, 9, 0, 0, 0, DateTimeKind.Utc),
        ["BIN"] = new byte[] { 1, 2, 255 }, ["BD"] = BinaryData.FromBytes([9, 8]), ["DEC"] = 2.5m, ["DEC2"] = 3m, ["F"] = 1.5f, ["N"] = null,
        ["TS"] = TimeSpan.FromMinutes(90),
    };

    /// <summary>A typed model (the stores use TableEntity; the SDK supports these).</summary>
    public sealed class Model : ITableEntity
    {
        public string PartitionKey { get; set; } = "";
        public string RowKey { get; set; } = "";
        public DateTimeOffset? Timestamp { get; set; }
        public ETag ETag { get; set; }
        public string? Name { get; set; }
        public int Count { get; set; }
        public long Big { get; set; }
        public double Ratio { get; set; }
        public bool Flag { get; set; }
        public DateTimeOffset When { get; set; }
        public Guid Id { get; set; }
        public int? Maybe { get; set; }
    }

    private static readonly ETag Stale = new("W/\"datetime'2020-01-01T00%3A00%3A00.0000000Z'\"");

    private static IEnumerable<(string Name, Func<Context, Task<string>> Run)> Script()
    {
        // Tables.
        yield return ("create table", c => c.Item(() => c.Service.CreateTableIfNotExistsAsync(Main)));
        yield return ("create table again", c => c.Item(() => c.Service.CreateTableIfNotExistsAsync(Main)));
        yield return ("create table via client again", c => c.Item(() => c.T.CreateIfNotExistsAsync()));
        yield return ("create table that exists", c => c.Item(() => c.Service.CreateTableAsync(Main)));
        yield return ("create scratch", c => c.Item(() => c.Service.GetTableClient(Scratch).CreateAsync()));
        yield return ("create fresh (service)", c => c.Item(() => c.Service.CreateTableAsync(Scratch + "a")));
        yield return ("create fresh if not exists (client)", c => c.Item(() => c.Service.GetTableClient(Scratch + "b").CreateIfNotExistsAsync()));
        yield return ("create again (client)", c => c.Item(() => c.Service.GetTableClient(Scratch + "b").CreateAsync()));
        yield return ("delete the fresh ones", async c => await c.Do(() => c.Service.DeleteTableAsync(Scratch + "a")) + " " + await c.Do(() => c.Service.GetTableClient(Scratch + "b").DeleteAsync()));
        yield return ("add to scratch", c => c.Do(() => c.Service.GetTableClient(Scratch).AddEntityAsync(new TableEntity("a", "b"))));
        yield return ("delete scratch", c => c.Do(() => c.Service.GetTableClient(Scratch).DeleteAsync()));
        yield return ("delete scratch again", c => c.Do(() => c.Service.DeleteTableAsync(Scratch)));
        yield return ("get from deleted scratch", c => c.IfExists(() => c.Service.GetTableClient(Scratch).GetEntityIfExistsAsync<TableEntity>("a", "b")));

        // A table that does not exist.
        TableClient M(Context c) => c.Service.GetTableClient(Missing);
        yield return ("missing: add", c => c.Do(() => M(c).AddEntityAsync(new TableEntity("a", "b"))));
        yield return ("missing: get", c => c.Get(() => M(c).GetEntityAsync<TableEntity>("a", "b")));
        yield return ("missing: get if exists", c => c.IfExists(() => M(c).GetEntityIfExistsAsync<TableEntity>("a", "b")));
        yield return ("missing: upsert", c => c.Do(() => M(c).UpsertEntityAsync(new TableEntity("a", "b"))));
        yield return ("missing: update", c => c.Do(() => M(c).UpdateEntityAsync(new TableEntity("a", "b"), ETag.All)));
        yield return ("missing: delete", c => c.Do(() => M(c).DeleteEntityAsync("a", "b")));
        yield return ("missing: query", c => c.Pages(M(c).QueryAsync<TableEntity>()));
        yield return ("missing: transaction", c => c.Batch([new(TableTransactionActionType.UpsertReplace, new TableEntity("a", "b"))], M(c)));

        // Every property type, the round trip, the order of properties.
        yield return ("add all types", c => c.Do(() => c.T.AddEntityAsync(AllTypes("r0")), "types/r0"));
        yield return ("get all types", c => c.Get(() => c.T.GetEntityAsync<TableEntity>("types", "r0")));
        yield return ("add existing", c => c.Do(() => c.T.AddEntityAsync(AllTypes("r0"))));
        yield return ("select PartitionKey", c => c.Get(() => c.T.GetEntityAsync<TableEntity>("types", "r0", select: ["PartitionKey"])));
        yield return ("select RowKey, a missing one, I, Timestamp", c => c.Get(() => c.T.GetEntityAsync<TableEntity>("types", "r0", select: ["RowKey", "Nope", "I", "Timestamp"])));
        yield return ("select in one string", c => c.Get(() => c.T.GetEntityAsync<TableEntity>("types", "r0", select: ["S, B"])));
        yield return ("select nothing", c => c.Get(() => c.T.GetEntityAsync<TableEntity>("types", "r0", select: [])));
        yield return ("if exists, select", c => c.IfExists(() => c.T.GetEntityIfExistsAsync<TableEntity>("types", "r0", ["PartitionKey"])));
        yield return ("if exists, missing", c => c.IfExists(() => c.T.GetEntityIfExistsAsync<TableEntity>("types", "nope")));
        yield return ("get missing", c => c.Get(() => c.T.GetEntityAsync<TableEntity>("types", "nope")));
        yield return ("local DateTime", c => c.Do(() => c.T.AddEntityAsync(new TableEntity("types", "x") { ["X"] = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Local) })));
        yield return ("unspecified DateTime", c => c.Do(() => c.T.AddEntityAsync(new TableEntity("types", "x") { ["X"] = new DateTime(2026, 1, 1) })));
        yield return ("enum", c => c.Do(() => c.T.AddEntityAsync(new TableEntity("types", "x") { ["X"] = DayOfWeek.Monday })));
        yield return ("char", c => c.Do(() => c.T.AddEntityAsync(new TableEntity("types", "x") { ["X"] = 'c' })));
        yield return ("short", c => c.Do(() => c.T.AddEntityAsync(new TableEntity("types", "x") { ["X"] = (short)1 })));
        yield return ("nothing was written", c => c.IfExists(() => c.T.GetEntityIfExistsAsync<TableEntity>("types", "x")));
        yield return ("key with a slash", c => c.Do(() => c.T.AddEntityAsync(new TableEntity("types", "a/b"))));
        yield return ("key with a control character", c => c.Do(() => c.T.AddEntityAsync(new TableEntity("types", "a\u0001b"))));
        yield return ("key of 513 characters", c => c.Do(() => c.T.UpsertEntityAsync(new TableEntity("types", new string('k', 513)))));
        yield return ("key of 512 characters", c => c.Do(() => c.T.UpsertEntityAsync(new TableEntity("types", new string('k', 512)))));
        yield return ("empty keys", c => c.Do(() => c.T.UpsertEntityAsync(new TableEntity("", ""))));
        yield return ("get empty keys", c => c.Get(() => c.T.GetEntityAsync<TableEntity>("", "")));
        yield return ("string of 32K+1", c => c.Do(() => c.T.AddEntityAsync(new TableEntity("types", "big") { ["S"] = new string('x', 32 * 1024 + 1) })));
        yield return ("binary of 64K+1", c => c.Do(() => c.T.AddEntityAsync(new TableEntity("types", "big") { ["B"] = new byte[64 * 1024 + 1] })));
        yield return ("string of 32K", c => c.Do(() => c.T.AddEntityAsync(new TableEntity("types", "big32") { ["S"] = new string('x', 32 * 1024) })));
        yield return ("a typed model", c => c.Do(() => c.T.AddEntityAsync(new Model
        {
            PartitionKey = "types", RowKey = "model", Name = "n", Count = 3, Big = 1L << 35, Ratio = 0.5, Flag = true, When = At, Id = Guid.Parse("aaaaaaaa-2222-3333-4444-555555555555"),
        })));
        yield return ("the model as an entity", c => c.Get(() => c.T.GetEntityAsync<TableEntity>("types", "model")));
        yield return ("the model as a model", async c =>
        {
            var m = (await c.T.GetEntityAsync<Model>("types", "model")).Value;
            return $"{m.PartitionKey}/{m.RowKey} {m.Name} {m.Count} {m.Big} {m.Ratio} {m.Flag} {m.When:O} {m.Id} {m.Maybe?.ToString(CultureInfo.InvariantCulture) ?? "null"} {c.Sym("types/model", m.ETag)} {c.Stamp(m.Timestamp, m.ETag)}";
        });

        // Conditional writes.
        yield return ("update missing, *", c => c.Do(() => c.T.UpdateEntityAsync(new TableEntity("cond", "nope"), ETag.All, TableUpdateMode.Replace)));
        yield return ("merge missing, *", c => c.Do(() => c.T.UpdateEntityAsync(new TableEntity("cond", "nope"), ETag.All, TableUpdateMode.Merge)));
        yield return ("update missing, an ETag", c => c.Do(() => c.T.UpdateEntityAsync(new TableEntity("cond", "nope"), Stale, TableUpdateMode.Replace)));
        yield return ("update without an ETag", c => c.Do(() => c.T.UpdateEntityAsync(new TableEntity("cond", "nope"), default, TableUpdateMode.Replace)));
        yield return ("delete missing", c => c.Do(() => c.T.DeleteEntityAsync("cond", "nope")));
        yield return ("delete missing, *", c => c.Do(() => c.T.DeleteEntityAsync("cond", "nope", ETag.All)));
        yield return ("delete missing, an ETag", c => c.Do(() => c.T.DeleteEntityAsync("cond", "nope", Stale)));
        yield return ("add r1", c => c.Save("cond/r1", () => c.T.AddEntityAsync(new TableEntity("cond", "r1") { ["A"] = 1, ["S"] = "one" })));
        yield return ("update with a stale ETag", c => c.Do(() => c.T.UpdateEntityAsync(new TableEntity("cond", "r1"), Stale, TableUpdateMode.Replace)));
        yield return ("merge with a stale ETag", c => c.Do(() => c.T.UpdateEntityAsync(new TableEntity("cond", "r1"), Stale, TableUpdateMode.Merge)));
        yield return ("update with a malformed ETag", c => c.Do(() => c.T.UpdateEntityAsync(new TableEntity("cond", "r1"), new ETag("garbage"), TableUpdateMode.Replace)));
        yield return ("merge with a malformed ETag", c => c.Do(() => c.T.UpdateEntityAsync(new TableEntity("cond", "r1"), new ETag("garbage"), TableUpdateMode.Merge)));
        yield return ("delete with a stale ETag", c => c.Do(() => c.T.DeleteEntityAsync("cond", "r1", Stale)));
        yield return ("merge under the ETag (a null, a new property)", c => c.Save("cond/r1", () => c.T.UpdateEntityAsync(new TableEntity("cond", "r1") { ["S"] = null, ["Z"] = 26, ["A"] = 2 }, c.Saved["cond/r1"], TableUpdateMode.Merge)));
        yield return ("after the merge", c => c.Get(() => c.T.GetEntityAsync<TableEntity>("cond", "r1")));
        yield return ("replace under the first ETag, now stale", c => c.Do(() => c.T.UpdateEntityAsync(new TableEntity("cond", "r1"), c.First["cond/r1"], TableUpdateMode.Replace)));
        yield return ("replace under the ETag", c => c.Save("cond/r1", () => c.T.UpdateEntityAsync(new TableEntity("cond", "r1") { ["Only"] = "this" }, c.Saved["cond/r1"], TableUpdateMode.Replace)));
        yield return ("after the replace", c => c.Get(() => c.T.GetEntityAsync<TableEntity>("cond", "r1")));
        yield return ("read-modify-write of the entity read", async c =>
        {
            var e = (await c.T.GetEntityAsync<TableEntity>("cond", "r1")).Value;
            e["More"] = 1.25;
            return await c.Do(() => c.T.UpdateEntityAsync(e, e.ETag, TableUpdateMode.Replace), "cond/r1");
        });
        yield return ("after it", c => c.Get(() => c.T.GetEntityAsync<TableEntity>("cond", "r1")));
        yield return ("update, *", c => c.Do(() => c.T.UpdateEntityAsync(new TableEntity("cond", "r1") { ["Star"] = true }, ETag.All, TableUpdateMode.Merge), "cond/r1"));
        yield return ("upsert replace, new", c => c.Do(() => c.T.UpsertEntityAsync(new TableEntity("cond", "r2") { ["A"] = 1 }, TableUpdateMode.Replace), "cond/r2"));
        yield return ("upsert merge, existing", c => c.Do(() => c.T.UpsertEntityAsync(new TableEntity("cond", "r2") { ["B"] = 2 }, TableUpdateMode.Merge), "cond/r2"));
        yield return ("upsert merge, new", c => c.Do(() => c.T.UpsertEntityAsync(new TableEntity("cond", "r3") { ["B"] = 2 }), "cond/r3"));
        yield return ("upsert replace, existing", c => c.Do(() => c.T.UpsertEntityAsync(new TableEntity("cond", "r3") { ["C"] = "c" }, TableUpdateMode.Replace), "cond/r3"));
        yield return ("partition cond", c => c.Rows(c.T.QueryAsync<TableEntity>("PartitionKey eq 'cond'")));
        yield return ("delete under the current ETag", async c =>
        {
            var e = (await c.T.GetEntityAsync<TableEntity>("cond", "r1")).Value;
            return await c.Do(() => c.T.DeleteEntityAsync("cond", "r1", e.ETag));
        });
        yield return ("get deleted", c => c.Get(() => c.T.GetEntityAsync<TableEntity>("cond", "r1")));
        yield return ("delete by entity", c => c.Do(() => c.T.DeleteEntityAsync(new TableEntity("cond", "r2"))));
        yield return ("sync: add, get, upsert, update, delete", c =>
        {
            var r = new List<string>
            {
                c.Render(c.T.AddEntity(new TableEntity("sync", "s1") { ["V"] = 1 }), "sync/s1"),
                c.Render(c.T.AddEntity(new TableEntity("sync", "s2") { ["V"] = 2 }), "sync/s2"),
                c.Render(c.T.GetEntity<TableEntity>("sync", "s1").Value),
                c.Render(c.T.UpsertEntity(new TableEntity("sync", "s1") { ["W"] = 2 }), "sync/s1"),
                c.Render(c.T.UpdateEntity(new TableEntity("sync", "s1") { ["W"] = 3 }, ETag.All, TableUpdateMode.Replace), "sync/s1"),
                c.Render(c.T.GetEntityIfExists<TableEntity>("sync", "s9").GetRawResponse()),
                c.Render(c.T.DeleteEntity("sync", "s2")),
                c.Render(c.T.SubmitTransaction([new(TableTransactionActionType.UpsertMerge, new TableEntity("sync", "s3"))])),
                string.Join(";", c.T.Query<TableEntity>("PartitionKey eq 'sync'", maxPerPage: 1).AsPages().Select(p => $"{string.Join(",", p.Values.Select(e => e.RowKey))} {p.ContinuationToken}")),
                string.Join(";", c.T.Query<TableEntity>(x => x.PartitionKey == "sync").Select(e => c.Render(e))),
            };
            return Task.FromResult(string.Join(" / ", r));
        });

        // Entity-group transactions.
        yield return ("tx: add, upsert replace, upsert merge", c => c.Batch([
            new(TableTransactionActionType.Add, new TableEntity("tx", "a") { ["V"] = 1 }),
            new(TableTransactionActionType.UpsertReplace, new TableEntity("tx", "b")),
            new(TableTransactionActionType.UpsertMerge, new TableEntity("tx", "c") { ["M"] = "m" })]));
        yield return ("tx: delete, update merge (no ETag), update replace (*)", c => c.Batch([
            new(TableTransactionActionType.Delete, new TableEntity("tx", "a")),
            new(TableTransactionActionType.UpdateMerge, new TableEntity("tx", "b") { ["X"] = 1 }),
            new(TableTransactionActionType.UpdateReplace, new TableEntity("tx", "c"), ETag.All)]));
        yield return ("tx: 409 on the second action", c => c.Batch([
            new(TableTransactionActionType.UpsertReplace, new TableEntity("tx", "d")),
            new(TableTransactionActionType.Add, new TableEntity("tx", "b"))]));
        yield return ("tx: nothing of it was written", c => c.IfExists(() => c.T.GetEntityIfExistsAsync<TableEntity>("tx", "d")));
        yield return ("tx: 412 on the third action", c => c.Batch([
            new(TableTransactionActionType.UpsertReplace, new TableEntity("tx", "d")),
            new(TableTransactionActionType.Delete, new TableEntity("tx", "b"), ETag.All),
            new(TableTransactionActionType.UpdateReplace, new TableEntity("tx", "c"), Stale)]));
        yield return ("tx: b survived", c => c.Get(() => c.T.GetEntityAsync<TableEntity>("tx", "b")));
        yield return ("tx: 404 deleting a missing row", c => c.Batch([
            new(TableTransactionActionType.UpsertReplace, new TableEntity("tx", "d")),
            new(TableTransactionActionType.Delete, new TableEntity("tx", "zz"))]));
        yield return ("tx: 404 updating a missing row under *", c => c.Batch([
            new(TableTransactionActionType.UpdateMerge, new TableEntity("tx", "zz"), ETag.All)]));
        yield return ("tx: update without an ETag creates", c => c.Batch([
            new(TableTransactionActionType.UpdateReplace, new TableEntity("tx", "n1") { ["V"] = 1 }),
            new(TableTransactionActionType.UpdateMerge, new TableEntity("tx", "n2") { ["V"] = 2 })]));
        yield return ("tx: the same row twice", c => c.Batch([
            new(TableTransactionActionType.UpsertReplace, new TableEntity("tx", "y")),
            new(TableTransactionActionType.UpsertMerge, new TableEntity("tx", "y"))]));
        yield return ("tx: a bad key in the second action", c => c.Batch([
            new(TableTransactionActionType.UpsertReplace, new TableEntity("tx", "y")),
            new(TableTransactionActionType.UpsertMerge, new TableEntity("tx", "y#"))]));
        yield return ("tx: a value the SDK refuses", c => c.Batch([
            new(TableTransactionActionType.UpsertReplace, new TableEntity("tx", "y") { ["E"] = DayOfWeek.Friday })]));
        yield return ("tx: empty", c => c.Batch([]));
        yield return ("tx: 100 actions", c => c.Batch(Enumerable.Range(0, 100).Select(i =>
            new TableTransactionAction(TableTransactionActionType.UpsertReplace, new TableEntity("tx100", $"m{i:D3}") { ["I"] = i })).ToList()));
        yield return ("tx: under the ETags just written", async c =>
        {
            var d = (await c.T.GetEntityAsync<TableEntity>("tx", "n1")).Value;
            return await c.Batch([
                new(TableTransactionActionType.UpdateMerge, new TableEntity("tx", "n1") { ["W"] = 1 }, d.ETag),
                new(TableTransactionActionType.Delete, new TableEntity("tx", "n2"), ETag.All)]);
        });
        yield return ("tx: partition", c => c.Rows(c.T.QueryAsync<TableEntity>("PartitionKey eq 'tx'")));

        // The stores' rows and the stores' filters.
        yield return ("seed the stores' rows", c => c.SeedAsync());
        foreach (var (name, filter, select) in StoreFilters())
        {
            yield return ($"filter {name}", c => c.Rows(c.T.QueryAsync<TableEntity>(filter, select: select)));
        }
        yield return ("expression: journal rows (LedgerStore.AllJournalRowsAsync)", c => c.Rows(c.T.QueryAsync<TableEntity>(x => x.RowKey.CompareTo("journal-") >= 0 && x.RowKey.CompareTo("journal-~") < 0)));
        yield return ("expression: counters (LedgerStore.AllCountersAsync)", c => c.Rows(c.T.QueryAsync<TableEntity>(x => x.RowKey == LedgerRows.CounterRow)));
        yield return ("expression: a partition (StatementsAsync, PeriodsAsync)", c => c.Rows(c.T.QueryAsync<TableEntity>(x => x.PartitionKey == "statement|2026-05")));
        yield return ("expression: not, or", c => c.Rows(c.T.QueryAsync<TableEntity>(x => x.RowKey == "counter" || !(x.PartitionKey != "period"))));
        yield return ("expression: the first of a partition (ReconciliationStore.RecentAsync)", async c =>
        {
            var list = new List<string>();
            await foreach (var e in c.T.QueryAsync<TableEntity>(x => x.PartitionKey == "reconciliation", maxPerPage: 2))
            {
                list.Add(e.GetString("Result"));
                if (list.Count >= 2) break;
            }
            return string.Join(",", list);
        });
        yield return ("no filter, one per page, PartitionKey only (HealthProbe)", async c =>
        {
            await foreach (var e in c.T.QueryAsync<TableEntity>(maxPerPage: 1, select: ["PartitionKey"])) return c.Render(e);
            return "none";
        });
        yield return ("a filter that does not parse", c => c.Rows(c.T.QueryAsync<TableEntity>("PartitionKey eq")));
        yield return ("a filter without a property", c => c.Rows(c.T.QueryAsync<TableEntity>("1 eq 1")));

        // Paging.
        yield return ("seed 1,050 rows", c => c.SeedPagesAsync());
        yield return ("pages of the service's size", c => c.Pages(c.T.QueryAsync<TableEntity>("PartitionKey eq 'page'")));
        yield return ("pages of 400", c => c.Pages(c.T.QueryAsync<TableEntity>("PartitionKey eq 'page'", maxPerPage: 400)));
        yield return ("a page size over the service's", c => c.Pages(c.T.QueryAsync<TableEntity>("PartitionKey eq 'page'").AsPages(null, 2000)));
        yield return ("resume from a token with another page size", async c =>
        {
            string? token = null;
            await foreach (var p in c.T.QueryAsync<TableEntity>("PartitionKey eq 'page'", maxPerPage: 40).AsPages()) { token = p.ContinuationToken; break; }
            return await c.Pages(c.T.QueryAsync<TableEntity>("PartitionKey eq 'page'", maxPerPage: 40).AsPages(token, 7), maxPages: 3);
        });
        yield return ("pages across partitions", c => c.Pages(c.T.QueryAsync<TableEntity>("RowKey ge 'p1046' and RowKey lt 'p2'", maxPerPage: 3)));
        yield return ("pages, the store's way (ListAsync)", async c =>
        {
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {"H440300001"} and RowKey lt {SettlementStore.SideRows} and SubmittedAt ge {At} and SubmittedAt lt {At.AddDays(2)}");
            var lines = new List<string>();
            string? continuation = null;
            do
            {
                await foreach (var page in c.T.QueryAsync<TableEntity>(filter, maxPerPage: 3).AsPages(continuation, 3))
                {
                    lines.Add($"{string.Join(",", page.Values.Select(e => e.RowKey))} → {page.ContinuationToken ?? "end"}");
                    continuation = page.ContinuationToken;
                    break;
                }
            } while (continuation is not null);
            return string.Join(" / ", lines);
        });
        yield return ("writes between two pages", async c =>
        {
            await c.T.SubmitTransactionAsync(Enumerable.Range(0, 12).Select(i => new TableTransactionAction(TableTransactionActionType.UpsertReplace, new TableEntity("mut", $"m{i:D2}"))));
            string? token = null;
            var first = "";
            await foreach (var p in c.T.QueryAsync<TableEntity>("PartitionKey eq 'mut'", maxPerPage: 5).AsPages())
            {
                first = string.Join(",", p.Values.Select(e => e.RowKey));
                token = p.ContinuationToken;
                break;
            }
            await c.T.DeleteEntityAsync("mut", "m05"); // the next page's first row
            await c.T.UpsertEntityAsync(new TableEntity("mut", "m01a")); // before the token
            await c.T.UpsertEntityAsync(new TableEntity("mut", "m07a")); // after it
            return first + " | " + await c.Pages(c.T.QueryAsync<TableEntity>("PartitionKey eq 'mut'", maxPerPage: 5).AsPages(token));
        });
    }

    /// <summary>The filters the stores build (as in their sources), and every other shape of literal and operator.</summary>
    private static IEnumerable<(string Name, string Filter, string[]? Select)> StoreFilters()
    {
        const string hospital = "H440300001";
        var now = At.AddHours(5).AddSeconds(30);
        var pendingBefore = At.AddHours(3).AddSeconds(30);
        // SettlementStore.SweepAsync
        yield return ("SweepAsync", TableClient.CreateQueryFilter($"PartitionKey eq {hospital} and RowKey ge {SettlementStore.PostPrefix} and RowKey lt {SettlementStore.WaitPrefix + "~"}") + " and (("
            + TableClient.CreateQueryFilter($"RowKey lt {SettlementStore.WaitPrefix} and Due lt {now}") + ") or ("
            + TableClient.CreateQueryFilter($"RowKey gt {SettlementStore.WaitPrefix} and SubmittedAt lt {pendingBefore}") + ") or "
            + TableClient.CreateQueryFilter($"RowKey eq {SettlementStore.WaitBackfilled}") + ")", null);
        yield return ("BackfillWaitRowsAsync (select)", TableClient.CreateQueryFilter($"PartitionKey eq {hospital} and RowKey lt {SettlementStore.SideRows} and Status eq {SettlementStatus.Pending.Name()}"), ["RowKey", "SubmittedAt"]);
        yield return ("PendingBeforeAsync", TableClient.CreateQueryFilter($"RowKey lt {SettlementStore.SideRows} and Status eq {SettlementStatus.Pending.Name()} and SubmittedAt lt {pendingBefore}"), null);
        yield return ("AllAsync", TableClient.CreateQueryFilter($"RowKey lt {SettlementStore.SideRows}"), null);
        // MemberStore
        var partition = "511300|M001";
        yield return ("LoadAsync", TableClient.CreateQueryFilter($"PartitionKey eq {partition} and (RowKey eq {MemberRows.ProfileRow} or RowKey eq {MemberRows.YearRow(2026)} or RowKey eq {MemberRows.AppliedRow("H440300001~s-001")}") + ")", null);
        yield return ("LoadAsync with a referring settlement", TableClient.CreateQueryFilter($"PartitionKey eq {partition} and (RowKey eq {MemberRows.ProfileRow} or RowKey eq {MemberRows.YearRow(2027)} or RowKey eq {MemberRows.AppliedRow("H440300001~s-009")}")
            + " or " + TableClient.CreateQueryFilter($"RowKey eq {MemberRows.AppliedRow("H440300001~s-002")}") + ")", null);
        yield return ("AllAccumulatorsAsync", "RowKey ge 'year-' and RowKey lt 'year-~'", null);
        yield return ("AllMarkersAsync", "RowKey ge 'applied-' and RowKey lt 'applied-~'", null);
        // LedgerStore
        var ledgerPartition = "2026-05|511300|440300|s1";
        var journal = LedgerRows.JournalRow("H440300001~s-001", 0);
        yield return ("WriteAsync", TableClient.CreateQueryFilter($"PartitionKey eq {ledgerPartition} and (RowKey eq {journal} or RowKey eq {LedgerRows.CounterRow})"), null);
        var prefix = "511300|440300|r";
        yield return ("ResponsesAsync", TableClient.CreateQueryFilter($"PartitionKey eq {"statement|2026-05"} and RowKey ge {prefix} and RowKey lt {prefix + "~"}"), null);
        yield return ("NotInStatementAsync (select)", TableClient.CreateQueryFilter($"PartitionKey eq {ledgerPartition} and (RowKey eq {journal} or RowKey eq {LedgerRows.JournalRow("H440300001~s-001", 1)})"), ["RowKey"]);
        var index = LedgerRows.SettlementIndexPrefix("s-001");
        yield return ("EntriesBySettlementAsync", TableClient.CreateQueryFilter($"PartitionKey eq {hospital} and RowKey ge {index} and RowKey lt {index + "~"}"), null);
        var periodPrefix = "~period|2026-05|";
        yield return ("EntriesByHospitalAsync", TableClient.CreateQueryFilter($"PartitionKey eq {hospital} and RowKey ge {periodPrefix} and RowKey lt {periodPrefix + "~"}"), null);
        var from = "2026-05|511300|440300|s";
        var byPair = TableClient.CreateQueryFilter($"PartitionKey ge {from} and PartitionKey lt {from + "~"} and RowKey ge {"journal-"} and RowKey lt {"journal-~"}");
        yield return ("EntriesByPairAsync", byPair, null);
        yield return ("EntriesByPairAsync, continued, every filter", byPair
            + " and " + TableClient.CreateQueryFilter($"(PartitionKey gt {"2026-05|511300|440300|s0"} or (PartitionKey eq {"2026-05|511300|440300|s1"} and RowKey gt {journal}))")
            + " and " + TableClient.CreateQueryFilter($"HospitalCode eq {hospital}")
            + " and " + TableClient.CreateQueryFilter($"PostedAt ge {new DateTimeOffset(2026, 5, 9, 0, 0, 0, TimeSpan.Zero)}")
            + " and " + TableClient.CreateQueryFilter($"PostedAt lt {new DateTimeOffset(2026, 5, 11, 0, 0, 0, TimeSpan.Zero)}")
            + " and " + TableClient.CreateQueryFilter($"Sequence eq {0}"), null);
        yield return ("EntriesByPairAsync, reversals", byPair + " and " + TableClient.CreateQueryFilter($"Sequence eq {1}"), null);
        // Every literal and operator (the all-types row).
        var types = "PartitionKey eq 'types' and RowKey eq 'r0'";
        foreach (var (name, clause) in new (string, string)[]
                 {
                     ("Int32 eq", TableClient.CreateQueryFilter($"I eq {5}")),
                     ("Int32 ne", TableClient.CreateQueryFilter($"I ne {6}")),
                     ("Int32 lt, le, gt, ge", TableClient.CreateQueryFilter($"I lt {6} and I le {5} and I gt {4} and I ge {5} and IMin lt {0}")),
                     ("Int32 against a double literal", "I eq 5.0"),
                     ("Int64 eq L", TableClient.CreateQueryFilter($"L eq {5L} and LBig gt {1L << 39}")),
                     ("Int64 against an Int32 literal", "L eq 5"),
                     ("Double", TableClient.CreateQueryFilter($"D eq {5.0} and D2 gt {5.25} and D2 lt {5.75} and DNeg lt {0}")),
                     ("Double against an Int32 literal", "D eq 5 and D2 gt 5"),
                     ("decimal stored as Double", "DEC eq 2.5 and DEC2 eq 3 and F eq 1.5"),
                     ("Boolean", TableClient.CreateQueryFilter($"B eq {true} and BF eq {false} and BF ne {true}")),
                     ("a bare Boolean property", "B"),
                     ("a bare false Boolean property", "BF"),
                     ("String", TableClient.CreateQueryFilter($"S eq {"s"} and S gt {"a"} and S lt {"t"} and SUni eq {"中文 'quoted' \"double\""} and SEmpty eq {""}")),
                     ("String ne", TableClient.CreateQueryFilter($"S ne {"t"}")),
                     ("String against an Int32 literal", "S eq 5"),
                     ("Int32 against a string literal", "I eq '5'"),
                     ("Guid", TableClient.CreateQueryFilter($"G eq {Guid.Parse("11111111-2222-3333-4444-555555555555")}")),
                     ("Guid ne", TableClient.CreateQueryFilter($"G ne {Guid.Parse("21111111-2222-3333-4444-555555555555")}")),
                     ("Binary", "BIN eq X'0102FF' and BD eq binary'0908'"),
                     ("DateTime to the tick", TableClient.CreateQueryFilter($"DTO eq {new DateTimeOffset(2026, 5, 9, 0, 0, 0, 123, TimeSpan.Zero).AddTicks(4567)}")),
                     ("DateTime lt, gt (whole seconds)", TableClient.CreateQueryFilter($"DTU lt {new DateTimeOffset(2026, 5, 9, 0, 0, 1, TimeSpan.Zero)} and DTU gt {new DateTimeOffset(2026, 5, 8, 23, 59, 59, TimeSpan.Zero)} and DTO gt {new DateTimeOffset(2026, 5, 9, 0, 0, 0, TimeSpan.Zero)}")),
                     ("DateTime ge, le", TableClient.CreateQueryFilter($"DTU ge {new DateTime(2026, 5, 9, 0, 0, 0, DateTimeKind.Utc)} and DTU le {new DateTime(2026, 5, 9, 0, 0, 0, DateTimeKind.Utc)}")),
                     ("Timestamp", "Timestamp gt datetime'2000-01-01T00:00:00Z'"),
                     ("an absent property, eq", "Nope eq 'x'"),
                     ("an absent property, ne", "Nope ne 'x'"),
                     ("an absent property, lt", "Nope lt 'x'"),
                     ("not of an absent property", "not (Nope eq 'x')"),
                     ("not", "not (I eq 6) and not (S eq 't')"),
                     ("or", "I eq 6 or S eq 's'"),
                     ("and binds closer than or", "I eq 6 and S eq 's' or B eq true"),
                     ("parentheses", "I eq 6 and (S eq 's' or B eq true)"),
                     ("keywords in capitals", "I EQ 5 AND S Eq 's' Or NOT (B eq false)"),
                     ("double-quoted string", "S eq \"s\""),
                     ("a quote in a string", TableClient.CreateQueryFilter($"SUni ne {"it's"}")),
                 })
        {
            yield return (name, $"{types} and ({clause})", null);
        }
        yield return ("Timestamp across the table", "Timestamp lt datetime'2000-01-01T00:00:00Z'", null);
    }

    // ---- the observing context ----

    private sealed class Context(GatewayStorage storage)
    {
        public TableServiceClient Service { get; } = storage.Service;
        public TableClient T { get; } = storage.Table(Main);
        public List<string> Observations { get; } = [];
        public Dictionary<string, ETag> Saved { get; } = [];
        public Dictionary<string, ETag> First { get; } = [];
        private readonly Dictionary<string, string> _etags = new(StringComparer.Ordinal);

        /// <summary>
        /// An ETag as "the n-th version of this entity seen" (Azurite gives the entities of one transaction the same ETag
        /// or not, as its clock goes, so ETags are compared per entity). Without a key: only whether there is one.
        /// </summary>
        public string Sym(string? key, ETag? etag)
        {
            if (etag is not { } e || e == default) return "-";
            if (key is null) return "etag";
            var s = key + "\n" + e;
            if (!_etags.TryGetValue(s, out var sym))
            {
                var versions = _etags.Keys.Count(k => k.StartsWith(key + "\n", StringComparison.Ordinal));
                _etags[s] = sym = $"v{versions + 1}";
            }
            return sym;
        }

        private static DateTimeOffset? TimeOf(ETag etag)
        {
            var s = Uri.UnescapeDataString(etag.ToString());
            var at = s.IndexOf("datetime'", StringComparison.Ordinal);
            if (at < 0) return null;
            var end = s.IndexOf('\'', at + 9);
            return DateTimeOffset.Parse(s[(at + 9)..end], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        }

        public string Stamp(DateTimeOffset? timestamp, ETag etag) =>
            timestamp is not { } t ? "no-timestamp" : TimeOf(etag) == t ? "ts=etag" : $"ts≠etag({t:O} vs {etag})";

        public static string Render(Exception e) => e switch
        {
            TableTransactionFailedException t => $"TTFE {t.Status} {t.ErrorCode} at {t.FailedTransactionActionIndex?.ToString(CultureInfo.InvariantCulture) ?? "?"}",
            RequestFailedException r => $"RFE {r.Status} {r.ErrorCode}",
            ArgumentException => e.GetType().Name,
            _ => $"{e.GetType().Name}: {e.Message.Split('\n')[0]}",
        };

        public string Render(Response r, string? key = null) => $"{r.Status} {Sym(key, r.Headers.ETag)}{(r.IsError ? " error" : "")}";

        private static string Value(object? v) => v switch
        {
            null => "null",
            string { Length: > 40 } s => $"string({s.Length})",
            string s => $"'{s}'",
            byte[] b => Convert.ToHexString(b),
            DateTimeOffset t => t.ToString("O", CultureInfo.InvariantCulture),
            double d => d.ToString("R", CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => v.ToString() ?? "",
        };

        public string Render(TableEntity e)
        {
            var etag = e.ETag;
            var key = e.PartitionKey is not null && e.RowKey is not null ? $"{e.PartitionKey}/{e.RowKey}" : null;
            var parts = e.Select(kv => kv.Key switch
            {
                "odata.etag" => $"odata.etag={Sym(key, etag)}",
                "Timestamp" => $"Timestamp:{kv.Value?.GetType().Name}={Stamp(e.Timestamp, etag)}",
                _ => $"{kv.Key}:{kv.Value?.GetType().Name}={Value(kv.Value)}",
            });
            return "{" + string.Join(", ", parts) + "}";
        }

        public async Task<string> Do(Func<Task<Response>> f, string? key = null)
        {
            try { return Render(await f(), key); }
            catch (Exception e) { return Render(e); }
        }

        public async Task<string> Item<T>(Func<Task<Response<T>>> f)
        {
            try
            {
                var r = await f();
                return $"{Render(r.GetRawResponse())} value={(r.HasValue && r.Value is Azure.Data.Tables.Models.TableItem t ? $"table {t.Name}" : r.HasValue ? r.Value?.GetType().Name : "none")}";
            }
            catch (Exception e) { return Render(e); }
        }

        public async Task<string> Save(string key, Func<Task<Response>> f)
        {
            try
            {
                var r = await f();
                if (r.Headers.ETag is { } etag)
                {
                    Saved[key] = etag;
                    First.TryAdd(key, etag);
                }
                return Render(r, key);
            }
            catch (Exception e) { return Render(e); }
        }

        public async Task<string> Get(Func<Task<Response<TableEntity>>> f)
        {
            try
            {
                var r = await f();
                return $"{Render(r.GetRawResponse())} {Render(r.Value)}";
            }
            catch (Exception e) { return Render(e); }
        }

        public async Task<string> IfExists(Func<Task<NullableResponse<TableEntity>>> f)
        {
            try
            {
                var r = await f();
                return $"{Render(r.GetRawResponse())} {(r.HasValue ? Render(r.Value!) : "no value")}";
            }
            catch (Exception e) { return Render(e); }
        }

        public async Task<string> Batch(List<TableTransactionAction> actions, TableClient? table = null)
        {
            try
            {
                var r = await (table ?? T).SubmitTransactionAsync(actions);
                return $"{Render(r.GetRawResponse())} [{string.Join(", ", r.Value.Select((x, i) => Render(x, $"{actions[i].Entity.PartitionKey}/{actions[i].Entity.RowKey}")))}]";
            }
            catch (Exception e) { return Render(e); }
        }

        public async Task<string> Rows(AsyncPageable<TableEntity> query)
        {
            try
            {
                var rows = new List<string>();
                await foreach (var e in query) rows.Add($"{e.PartitionKey}/{e.RowKey}");
                return $"{rows.Count}: {string.Join(" ", rows)}";
            }
            catch (Exception e) { return Render(e); }
        }

        public Task<string> Pages(AsyncPageable<TableEntity> query, int maxPages = 100) => Pages(query.AsPages(), maxPages);

        public async Task<string> Pages(IAsyncEnumerable<Page<TableEntity>> pages, int maxPages = 100)
        {
            try
            {
                var lines = new List<string>();
                await foreach (var p in pages)
                {
                    var v = p.Values;
                    lines.Add($"{v.Count} [{(v.Count == 0 ? "" : $"{v[0].PartitionKey}/{v[0].RowKey}..{v[^1].PartitionKey}/{v[^1].RowKey}")}] {Render(p.GetRawResponse())} next={p.ContinuationToken ?? "none"}"
                              + (v.Count is > 0 and <= 5 ? " " + string.Join(" ", v.Select(Render)) : ""));
                    if (lines.Count >= maxPages) break;
                }
                return string.Join(" / ", lines);
            }
            catch (Exception e) { return Render(e); }
        }

        private static TableEntity Row(string pk, string rk, params (string Name, object? Value)[] values)
        {
            var e = new TableEntity(pk, rk);
            foreach (var (n, v) in values) e[n] = v;
            return e;
        }

        /// <summary>Rows as the stores write them: a hospital's settlements and side rows, members, ledger, periods.</summary>
        public async Task<string> SeedAsync()
        {
            const string h = "H440300001";
            var statuses = new[] { "pending", "completed", "failed", "cancelled", "rejected", "pending" };
            var settlements = Enumerable.Range(1, 12).Select(i => Row(h, $"s-{i:D3}", ("Status", statuses[i % statuses.Length]), ("SubmittedAt", At.AddHours(i)),
                ("ServiceDate", "2026-05-09"), ("DispatchCount", i % 3), ("Total", "100.00"))).ToList();
            var side = new List<TableEntity>
            {
                Row(h, "~nonce|k-H440300001|n1", ("At", At)),
                Row(h, "~journal|s-001|0", ("Partition", "2026-05|511300|440300|s1"), ("SettlementKey", "H440300001~s-001"), ("Sequence", 0), ("Period", "2026-05")),
                Row(h, "~period|2026-05|s-001|0", ("Partition", "2026-05|511300|440300|s1"), ("SettlementKey", "H440300001~s-001"), ("Sequence", 0), ("Period", "2026-05")),
                Row(h, "~journal|s-0010|0", ("SettlementKey", "H440300001~s-0010")),
                Row(h, "~post|s-002", ("Due", At.AddHours(5))),
                Row(h, "~post|s-003", ("Due", At.AddHours(6))),
                Row(h, "~void|s-003", ("Due", At.AddHours(4)), ("Sends", 2)),
                Row(h, "~wait|s-004", ("SubmittedAt", At.AddHours(3))),
                Row(h, "~wait|s-006", ("SubmittedAt", At.AddHours(6))),
                Row(h, "~wait|", ("At", At)),
            };
            var results = new List<string>();
            foreach (var chunk in settlements.Concat(side).Chunk(100))
                results.Add(Render(await T.SubmitTransactionAsync(chunk.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, e)))));
            await T.UpsertEntityAsync(Row("H440300002", "s-001", ("Status", "pending"), ("SubmittedAt", At)), TableUpdateMode.Replace);
            foreach (var m in new[] { "511300|M001", "511300|M002" })
            {
                await T.UpsertEntityAsync(Row(m, "profile", ("Status", "active"), ("AccountBalance", "10.00"), ("Retired", false)), TableUpdateMode.Replace);
                await T.UpsertEntityAsync(Row(m, "year-2026", ("Admissions", 1), ("BasicPaid", "60.00")), TableUpdateMode.Replace);
            }
            await T.UpsertEntityAsync(Row("511300|M001", "applied-H440300001~s-001", ("Status", "applied"), ("Year", 2026)), TableUpdateMode.Replace);
            await T.UpsertEntityAsync(Row("511300|M001", "applied-H440300001~s-002", ("Status", "cancelled"), ("Year", 2026)), TableUpdateMode.Replace);
            for (var s = 0; s < 4; s++)
            {
                var pk = $"2026-05|511300|440300|s{s}";
                await T.UpsertEntityAsync(Row(pk, "counter", ("Postings", s), ("Reversals", 0), ("Frozen", s == 3), ("Basic", "1.00")), TableUpdateMode.Replace);
                for (var j = 1; j <= 3; j++)
                {
                    var key = $"H44030000{1 + j % 2}~s-{s * 3 + j:D3}";
                    await T.UpsertEntityAsync(Row(pk, LedgerRows.JournalRow(key, j == 3 ? 1 : 0), ("SettlementKey", key), ("Sequence", j == 3 ? 1 : 0),
                        ("HospitalCode", key[..10]), ("PostedAt", At.AddHours(s * 12 + j)), ("Period", "2026-05")), TableUpdateMode.Replace);
                }
            }
            await T.UpsertEntityAsync(Row("2026-05|511300|440300|s1", LedgerRows.JournalRow("H440300001~s-001", 0), ("SettlementKey", "H440300001~s-001"), ("Sequence", 0),
                ("HospitalCode", h), ("PostedAt", At), ("Period", "2026-05")), TableUpdateMode.Replace);
            await T.UpsertEntityAsync(Row("2026-06|511300|440300|s0", "counter", ("Postings", 1)), TableUpdateMode.Replace);
            await T.UpsertEntityAsync(Row("period", "2026-05", ("Status", "closed"), ("ClosedAt", At)), TableUpdateMode.Merge);
            await T.UpsertEntityAsync(Row("period", "2026-06", ("Status", "closing")), TableUpdateMode.Merge);
            await T.UpsertEntityAsync(Row("statement|2026-05", "511300|440300", ("Postings", 3), ("HomeStatus", "pending")), TableUpdateMode.Replace);
            await T.UpsertEntityAsync(Row("statement|2026-05", "511300|440300|r000001", ("Side", "511300"), ("Status", "confirmed")), TableUpdateMode.Replace);
            await T.UpsertEntityAsync(Row("statement|2026-05", "511300|440300|r000002", ("Side", "440300"), ("Status", "disputed")), TableUpdateMode.Replace);
            await T.UpsertEntityAsync(Row("statement|2026-05", "511300|441900", ("Postings", 1)), TableUpdateMode.Replace);
            for (var i = 0; i < 3; i++)
                await T.UpsertEntityAsync(Row("reconciliation", $"{9_000_000_000_000_000_000L - i:D19}|H44030000{i}", ("Result", $"r{i}")), TableUpdateMode.Replace);
            return string.Join(" ", results);
        }

        public async Task<string> SeedPagesAsync()
        {
            var results = new List<string>();
            foreach (var chunk in Enumerable.Range(0, 1050).Chunk(100))
                results.Add(Render(await T.SubmitTransactionAsync(chunk.Select(i => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("page", $"p{i:D4}") { ["I"] = i })))));
            await T.SubmitTransactionAsync(Enumerable.Range(1040, 10).Select(i => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("page2", $"p{i:D4}"))));
            return $"{results.Count} transactions, first {results[0]}";
        }

        public string Render(Response<IReadOnlyList<Response>> r) => $"{Render(r.GetRawResponse())} ×{r.Value.Count} {string.Join("", r.Value.Select(x => x.Headers.ETag is null ? "-" : "e"))}";
    }
}
