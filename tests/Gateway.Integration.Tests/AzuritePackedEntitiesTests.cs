using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Gateway.TestSupport;

namespace Gateway.Integration.Tests;

/// <summary>
/// tools/azurite-packed-entities.py makes Azurite keep each stored entity's properties as one JSON string (<c>$p</c>),
/// so that V8's full collections have one object per entity to mark instead of dozens. What a client reads must not
/// change: every type round-trips, filters on properties (not only keys) select the same rows, a merge keeps what it
/// does not name, a replace drops it. The journal records the packed form; a store journalled before the edit (its
/// entities as objects) is read, answers the same, and is written back packed.
/// </summary>
public sealed class AzuritePackedEntitiesTests
{
    [Fact]
    public async Task Packed_entities_answer_reads_filters_merges_and_replaces_as_before_and_a_store_written_before_packing_is_carried_over()
    {
        var location = Path.Combine(Path.GetTempPath(), "gateway-packed-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(location);
        var at = new DateTimeOffset(2026, 12, 6, 1, 2, 3, TimeSpan.Zero);
        try
        {
            var azurite = await AzuriteFixture.StartAsync(location);
            var table = new TableClient(azurite.ConnectionString, "Packed");
            await table.CreateIfNotExistsAsync();
            for (var i = 0; i < 30; i++)
            {
                await table.AddEntityAsync(new TableEntity("p" + (i % 3), $"r{i:00}")
                {
                    ["Name"] = i % 2 == 0 ? "张三" : "Li \"quoted\" \\ back",
                    ["N"] = (long)i, ["I"] = i, ["D"] = i * 1.5, ["B"] = i % 4 == 0, ["At"] = at.AddDays(i),
                    ["G"] = new Guid(i, 0, 0, new byte[8]), ["Bytes"] = new byte[] { (byte)i, 0, 255 },
                });
            }
            await table.UpdateEntityAsync(new TableEntity("p0", "r00") { ["Extra"] = "merged" }, Azure.ETag.All, TableUpdateMode.Merge);
            await table.UpdateEntityAsync(new TableEntity("p1", "r01") { ["Only"] = "replaced" }, Azure.ETag.All, TableUpdateMode.Replace);
            await AssertAnswersAsync(table, at);
            await azurite.StopAsync();
            Assert.Contains("verify: the journal holds all", azurite.ReadLog());

            // What the edit stored: each entity's properties as one string, none as an object.
            var dir = Directory.GetDirectories(location, "*.journal").Single();
            var records = Directory.GetFiles(dir).SelectMany(File.ReadAllLines).Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!.AsObject())
                .Where(r => (string?)r["c"] == "devstoreaccount1$Packed" && r["d"] is not null).ToList();
            Assert.NotEmpty(records);
            Assert.All(records, r => Assert.IsType<string>((string?)r["d"]!["$p"]));
            Assert.All(records, r => Assert.Null(r["d"]!["properties"]));

            // The same store as the table store wrote it before the edit: properties as objects.
            foreach (var file in Directory.GetFiles(dir))
            {
                var lines = File.ReadAllLines(file).Select(l =>
                {
                    if (l.Length == 0) return l;
                    var r = JsonNode.Parse(l)!.AsObject();
                    if (r["d"] is JsonObject d && d["$p"] is JsonNode p)
                    {
                        d.Remove("$p");
                        d["properties"] = JsonNode.Parse((string)p!);
                    }
                    return r.ToJsonString();
                });
                File.WriteAllText(file, string.Join('\n', lines) + "\n");
            }
            Assert.DoesNotContain(Directory.GetFiles(dir).SelectMany(File.ReadAllLines), l => l.Contains("\"$p\"", StringComparison.Ordinal));

            azurite = await AzuriteFixture.StartAsync(location);
            table = new TableClient(azurite.ConnectionString, "Packed");
            await AssertAnswersAsync(table, at);
            await table.UpdateEntityAsync(new TableEntity("p2", "r02") { ["Later"] = 7L }, Azure.ETag.All, TableUpdateMode.Merge);
            await azurite.StopAsync();
            Assert.Contains("verify: the journal holds all", azurite.ReadLog());

            await using var last = await AzuriteFixture.StartAsync(location);
            table = new TableClient(last.ConnectionString, "Packed");
            await AssertAnswersAsync(table, at);
            var later = (await table.GetEntityAsync<TableEntity>("p2", "r02")).Value;
            Assert.Equal(7L, later["Later"]);
            Assert.Equal("张三", later["Name"]);
        }
        finally
        {
            try { Directory.Delete(location, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task AssertAnswersAsync(TableClient table, DateTimeOffset at)
    {
        var all = new List<TableEntity>();
        await foreach (var e in table.QueryAsync<TableEntity>()) all.Add(e);
        Assert.Equal(30, all.Count);
        foreach (var e in all)
        {
            var i = int.Parse(e.RowKey[1..], System.Globalization.CultureInfo.InvariantCulture);
            if (e.RowKey == "r01")
            {
                Assert.Equal("replaced", e["Only"]);
                Assert.False(e.ContainsKey("Name")); // a replace drops what it does not name
                continue;
            }
            Assert.Equal(i % 2 == 0 ? "张三" : "Li \"quoted\" \\ back", e["Name"]);
            Assert.Equal((long)i, e["N"]);
            Assert.Equal(i, e["I"]);
            Assert.Equal(i * 1.5, e["D"]);
            Assert.Equal(i % 4 == 0, e["B"]);
            Assert.Equal(at.AddDays(i), e.GetDateTimeOffset("At"));
            Assert.Equal(new Guid(i, 0, 0, new byte[8]), e.GetGuid("G"));
            Assert.Equal(new byte[] { (byte)i, 0, 255 }, e.GetBinary("Bytes"));
            if (e.RowKey == "r00") Assert.Equal("merged", e["Extra"]); // a merge keeps what it does not name
        }

        // Filters on properties, not keys: Azurite's predicate reads every candidate's properties.
        var big = new List<string>();
        await foreach (var e in table.QueryAsync<TableEntity>("N ge 20L and B eq true")) big.Add(e.RowKey);
        Assert.Equal(["r20", "r24", "r28"], big.Order(StringComparer.Ordinal));
        var named = new List<string>();
        await foreach (var e in table.QueryAsync<TableEntity>("PartitionKey eq 'p0' and Name eq '张三'")) named.Add(e.RowKey);
        Assert.Equal(["r00", "r06", "r12", "r18", "r24"], named);
        var point = (await table.GetEntityAsync<TableEntity>("p2", "r05")).Value;
        Assert.Equal("Li \"quoted\" \\ back", point["Name"]);
        Assert.Equal(5L, point["N"]);
    }
}
