using System.Collections.Concurrent;
using System.Net;
using Azure.Storage.Queues;
using Gateway.Domain;
using Gateway.Storage;
using Gateway.TestSupport;
using Newtonsoft.Json.Linq;
using Xunit.Abstractions;

namespace Gateway.Reliability.Tests;

/// <summary>
/// Traceability codes under injected storage faults and redeliveries (spec §10.1): pairs of settlements from hospitals of two
/// regions carry the same codes and race; whatever failed on the way, exactly one of each pair completes, every completed
/// settlement holds its codes, no hold is left to a settlement that is not live, and the store verifies.
/// Replay with GATEWAY_FAULT_SEED=&lt;seed&gt;.
/// </summary>
public sealed class TraceCodeFaultTests(ITestOutputHelper output)
{
    private const int Pairs = 40;

    [Fact]
    public async Task Racing_settlements_under_faults_leave_each_code_held_by_exactly_one_live_settlement()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("GATEWAY_FAULT_SEED"), out var s) ? s : Random.Shared.Next(1, 1_000_000);
        output.WriteLine($"fault-injection seed: {seed} (replay with GATEWAY_FAULT_SEED={seed})");
        await using var g = await GatewayFixture.StartAsync(new Dictionary<string, string>
        {
            ["FaultInjectionSeed"] = seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["FaultInjectionRate"] = "0.08",
            ["LocalHostDuplicateDeliveryRate"] = "0.1",
            ["LocalHostDuplicateSeed"] = seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["MaxDeliveryCount"] = "12",
            ["RedispatchAfterSeconds"] = "2",
            ["SweepSchedule"] = "*/2 * * * * *",
        });
        var template = File.ReadAllText(Path.Combine(RepoPaths.Root, "data", "demo", "settlement-A.json"));
        var finals = new ConcurrentDictionary<string, string>();
        var errors = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, Pairs * 2), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
        {
            var pair = i / 2;
            var (hospital, member) = i % 2 == 0 ? ("H440300001", "M511300001") : ("H350200002", "M511300003");
            var id = $"tc{seed}-{i}";
            var body = JObject.Parse(template.Replace("__ID__", id, StringComparison.Ordinal));
            body["member"]!["memberId"] = member;
            body["encounter"]!["lines"]![3]!["traceCodes"] = new JArray(Code(seed, pair, 0), Code(seed, pair, 1));
            var client = g.Hospital(hospital);
            string? final = null;
            for (var attempt = 0; attempt < 40 && final is null; attempt++)
            {
                try
                {
                    using var r = attempt % 2 == 0 ? await client.SubmitAsync(body.ToString(), 10) : await client.GetAsync(id, 10);
                    if ((int)r.StatusCode >= 500 || r.StatusCode == HttpStatusCode.NotFound) continue;
                    var json = JObject.Parse(await r.Content.ReadAsStringAsync());
                    var type = ((string?)json["type"])?.Replace("https://gateway.example.org/problems/", "", StringComparison.Ordinal);
                    final = (string?)json["status"] switch
                    {
                        "completed" or "rejected" or "failed" or "cancelled" => (string)json["status"]!,
                        _ when r.StatusCode == HttpStatusCode.UnprocessableEntity => type,
                        _ => null,
                    };
                }
                catch (HttpRequestException) { }
                catch (TaskCanceledException) { }
            }
            if (final is null) errors.Add($"{id}: never reached a final answer");
            else finals[$"{hospital}~{id}"] = final;
        });
        Assert.True(errors.IsEmpty, $"seed {seed}: " + string.Join("; ", errors.Take(10)));
        output.WriteLine(string.Join(", ", finals.Values.GroupBy(v => v).Select(gr => $"{gr.Key} {gr.Count()}")));

        var queues = new QueueServiceClient(g.Azurite.ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
        for (var i = 0; i < 50 && (await queues.GetQueueClient("eval-replies").GetPropertiesAsync()).Value.ApproximateMessagesCount > 0; i++) await Task.Delay(200);

        var storage = new GatewayStorage(g.Azurite.ConnectionString);
        var settlements = new List<SettlementRecord>();
        await foreach (var r in new SettlementStore(storage).AllAsync(CancellationToken.None)) settlements.Add(r);
        // Exactly one of each pair completes; the other was told trace-code-reused (nothing recorded for it).
        for (var pair = 0; pair < Pairs; pair++)
        {
            var code = Code(seed, pair, 0);
            var live = settlements.Where(r => r.TraceCodes.Contains(code) && r.Status is SettlementStatus.Completed or SettlementStatus.Pending).ToList();
            Assert.True(live.Count == 1, $"seed {seed}: code {code} is carried by {live.Count} live settlements ({string.Join(", ", live.Select(l => l.SettlementId))})");
            Assert.Equal(SettlementStatus.Completed, live[0].Status);
        }
        // The registry: every completed settlement holds its codes; once the sweep has repaired dead attempts, no hold is another's.
        var statuses = settlements.ToDictionary(r => r.SettlementId);
        List<TraceHold> holds = [];
        for (var i = 0; i < 60; i++)
        {
            holds = [];
            await foreach (var h in new TraceCodeStore(storage).AllAsync(CancellationToken.None)) if (h.Code.StartsWith(Prefix(seed), StringComparison.Ordinal)) holds.Add(h);
            if (holds.All(h => statuses.TryGetValue(h.Holder, out var r) && r.Status == SettlementStatus.Completed && r.RequestHash == h.RequestHash)) break;
            await Task.Delay(500);
        }
        Assert.All(holds, h => Assert.True(statuses.TryGetValue(h.Holder, out var r) && r.Status == SettlementStatus.Completed, $"seed {seed}: {h.Code} is held by {h.Holder} ({(statuses.TryGetValue(h.Holder, out var x) ? x.Status : "never recorded")})"));
        foreach (var r in settlements.Where(r => r.Status == SettlementStatus.Completed && r.TraceCodes.Count > 0))
            Assert.All(r.TraceCodes, c => Assert.Contains(holds, h => h.Code == c && h.Holder == r.SettlementId));

        var results = await new StoreVerifier(storage, RulePackSet.Default.Regions.ToList()).VerifyAsync(CancellationToken.None);
        Assert.All(results, r => Assert.True(r.Holds, $"seed {seed}: {r.Name}: {string.Join("; ", r.Violations)}"));
    }

    private static string Prefix(int seed) => "9" + (seed % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);

    private static string Code(int seed, int pair, int unit) => Prefix(seed) + (pair * 2 + unit).ToString("D13", System.Globalization.CultureInfo.InvariantCulture);
}
