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
/// TigerBeetle-style: a seeded run in which the handler fails storage writes (before they are sent, or after they
/// succeeded: a process dying between two writes) and the local host redelivers messages at random. Whatever
/// happened, every accepted settlement ends completed exactly once or rejected with a reason, and the store verifies.
/// Replay a failure with GATEWAY_FAULT_SEED=&lt;seed&gt;.
/// </summary>
public sealed class FaultInjectionTests(ITestOutputHelper output)
{
    private const int Settlements = 1000;

    private static readonly (string Hospital, string Home, string Member)[] Combos =
    [
        ("H440300001", "511300", "M511300001"), ("H440300002", "441900", "M441900001"), ("H511300001", "440300", "M440300001"),
        ("H350200001", "511300", "M511300002"), ("H441900001", "350200", "M350200002"), ("H440300003", "350200", "M350200001"),
        ("H511300002", "441900", "M441900002"), ("H350200002", "440300", "M440300002"), ("H441900002", "511300", "M511300004"), // suspended: rejected
    ];

    [Fact]
    public async Task A_thousand_settlements_under_injected_faults_lose_nothing_and_double_nothing()
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
            ["RedispatchAfterSeconds"] = "3",
            ["SweepSchedule"] = "*/2 * * * * *",
        });
        var template = File.ReadAllText(Path.Combine(RepoPaths.Root, "data", "demo", "settlement-A.json"));
        var outcomes = new ConcurrentDictionary<string, (string Hospital, JObject Body)>();
        var errors = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, Settlements), new ParallelOptions { MaxDegreeOfParallelism = 24 }, async (i, _) =>
        {
            var (hospital, home, member) = Combos[i % Combos.Length];
            var id = $"f{seed}-{i}";
            var body = JObject.Parse(template.Replace("__ID__", id, StringComparison.Ordinal));
            body["member"]!["homeRegion"] = home;
            body["member"]!["memberId"] = member;
            var client = g.Hospital(hospital);
            JObject? final = null;
            for (var attempt = 0; attempt < 40 && final is null; attempt++)
            {
                try
                {
                    using var r = attempt == 0 || final is null && attempt % 2 == 1
                        ? await client.SubmitAsync(body.ToString(), 10)      // the hospital retries with the same id and body
                        : await client.GetAsync(id, 10);
                    var text = await r.Content.ReadAsStringAsync();
                    if ((int)r.StatusCode >= 500 || r.StatusCode == HttpStatusCode.NotFound) continue;
                    var json = JObject.Parse(text);
                    var status = (string?)json["status"] ?? (r.StatusCode == HttpStatusCode.UnprocessableEntity ? "rejected" : null);
                    if (status is "completed" or "rejected" or "failed") final = json;
                }
                catch (HttpRequestException) { }
                catch (TaskCanceledException) { }
            }
            if (final is null) errors.Add($"{id}: never reached a final status");
            else outcomes[id] = (hospital, final);
        });
        var injected = g.Log.Split('\n').Count(l => l.Contains("FAULT-INJECTED", StringComparison.Ordinal));
        var duplicates = g.Log.Split('\n').Count(l => l.Contains("duplicate delivery injected", StringComparison.Ordinal));
        output.WriteLine($"settled {outcomes.Count}, faults injected {injected}, duplicate deliveries {duplicates}");
        Assert.True(errors.IsEmpty, $"seed {seed}: " + string.Join("; ", errors.Take(10)));
        Assert.True(injected >= 200, $"seed {seed}: only {injected} faults were injected");

        var queues = new QueueServiceClient(g.Azurite.ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
        await WaitForQuietAsync(queues);

        // Every settlement ends completed (exactly once) or rejected with a reason; never failed, never pending.
        var store = new SettlementStore(new GatewayStorage(g.Azurite.ConnectionString));
        var all = new List<SettlementRecord>();
        await foreach (var r in store.AllAsync(CancellationToken.None)) all.Add(r);
        Assert.Equal(Settlements, all.Count);
        Assert.All(all, r => Assert.True(r.Status is SettlementStatus.Completed or SettlementStatus.Rejected, $"seed {seed}: {r.SettlementId} is {r.Status} ({r.FailureReason})"));
        Assert.All(all.Where(r => r.Status == SettlementStatus.Rejected), r => Assert.False(string.IsNullOrEmpty(r.RejectionCode)));
        Assert.Equal(Settlements / Combos.Length + (Settlements % Combos.Length > 8 ? 1 : 0), all.Count(r => r.Status == SettlementStatus.Rejected));

        // Accumulators equal the sum of their settlements' deltas; journals balance; positions equal journals; one journal each.
        var results = await new StoreVerifier(new GatewayStorage(g.Azurite.ConnectionString), RulePackSet.Default.Regions.ToList()).VerifyAsync(CancellationToken.None);
        Assert.All(results, r => Assert.True(r.Holds, $"seed {seed}: {r.Name}: {string.Join("; ", r.Violations)}"));

        // And the answers the hospitals got agree with the store: the same split, once.
        var completed = all.Where(r => r.Status == SettlementStatus.Completed).ToDictionary(r => r.HospitalSettlementId);
        foreach (var (id, (_, body)) in outcomes.Where(o => (string?)o.Value.Body["status"] == "completed"))
            Assert.Equal(completed[id].CashPay, decimal.Parse((string)body["split"]!["cashPay"]!, System.Globalization.CultureInfo.InvariantCulture));
    }

    private static async Task WaitForQuietAsync(QueueServiceClient queues)
    {
        var names = new[] { "eval-requests-440300", "eval-requests-441900", "eval-requests-511300", "eval-requests-350200", "eval-replies" };
        var quiet = 0;
        for (var i = 0; i < 600 && quiet < 10; i++)
        {
            var busy = false;
            foreach (var n in names) if ((await queues.GetQueueClient(n).GetPropertiesAsync()).Value.ApproximateMessagesCount > 0) busy = true;
            quiet = busy ? 0 : quiet + 1;
            await Task.Delay(200);
        }
    }
}
