using System.Text;
using BenchmarkDotNet.Attributes;
using Gateway.Domain;

namespace Gateway.Benchmarks;

/// <summary>
/// Issue 4's target: a 20-line encounter priced against a 300,000-item catalog and evaluated with a full pack
/// (every layer on: Dongguan has major illness and assistance; the member is a retired destitute employee using the account).
/// </summary>
[MemoryDiagnoser]
public class EngineBenchmarks
{
    private Catalog _catalog = null!;
    private Encounter _encounter = null!;
    private MemberProfile _member = null!;
    private AnnualAccumulators _before = null!;
    private RulePack _pack = null!;

    public static Dictionary<string, CatalogItem> SyntheticItems(int count)
    {
        var items = new Dictionary<string, CatalogItem>(count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var cls = (i % 10) switch { < 6 => CatalogClass.A, < 9 => CatalogClass.B, _ => CatalogClass.C };
            items[$"X{i:D7}"] = new CatalogItem(cls, cls == CatalogClass.B ? 0.10m : 0m, i % 7 == 0 ? 100m : null, null, null, ItemCategory.Drug);
        }
        return items;
    }

    [GlobalSetup]
    public void Setup()
    {
        var treatment = RegionCode.Parse("440300");
        _catalog = new Catalog(treatment, "bench", SyntheticItems(300_000));
        var lines = Enumerable.Range(0, 20).Select(i => new EncounterLine(i + 1, $"X{i * 14_999:D7}", null, 3m, 123.45m, 370.35m)).ToList();
        _encounter = new Encounter("H1", treatment, HospitalLevel.Level2, EncounterType.Inpatient, new DateOnly(2026, 5, 1), new DateOnly(2026, 5, 9),
            ["C34.9"], null, false, true, new Referral(ReferralType.Upward, "H2~R", 150m), lines);
        _member = new MemberProfile("M1", RegionCode.Parse("441900"), InsuranceType.Employee, true, new DateOnly(1958, 6, 15), 30, AssistanceCategory.Destitute,
            true, [], [new Filing(treatment, new DateOnly(2026, 1, 1), null)], 1000m, MemberStatus.Active);
        _before = new AnnualAccumulators(2026, 1, 20_000m, 0m, 60_000m, 0m, 5_000m, 0m, 20_000m, new Dictionary<string, decimal>());
        _pack = RulePackSet.Default.Get(_member.HomeRegion, _encounter.ServiceDate);
    }

    [Benchmark(Description = "price 20 lines (300k catalog) + evaluate all layers")]
    public SettlementResult Settle() => PolicyEngine.Evaluate(_pack, CatalogPricer.Price(_catalog, _encounter), _member, _before);

    /// <summary>What a caller that wants the explanation pays: the priced lines are built, and the text written, on demand.</summary>
    [Benchmark(Description = "price + evaluate + explain line by line (on demand)")]
    public int SettleAndExplain() => Settle().Explain().Count;

    [Benchmark(Description = "evaluate only (pre-priced)")]
    public SettlementResult EvaluateOnly() => PolicyEngine.Evaluate(_pack, _priced ??= CatalogPricer.Price(_catalog, _encounter), _member, _before);

    private PricedEncounter? _priced;
}

/// <summary>Loading a 300,000-item catalog from its JSON form.</summary>
[MemoryDiagnoser]
public class CatalogLoadBenchmarks
{
    private string _json = "";

    [GlobalSetup]
    public void Setup()
    {
        var sb = new StringBuilder("{\"region\":\"440300\",\"version\":\"bench\",\"items\":{");
        for (var i = 0; i < 300_000; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append($"\"X{i:D7}\":");
            sb.Append((i % 10) switch
            {
                < 6 => "{\"class\":\"A\",\"category\":\"drug\"}",
                < 9 => "{\"class\":\"B\",\"preSelfPayRatio\":\"0.10\",\"priceCeiling\":\"120.00\",\"category\":\"drug\"}",
                _ => "{\"class\":\"C\",\"category\":\"service\"}",
            });
        }
        _json = sb.Append("}}").ToString();
    }

    [Benchmark(Description = "load 300,000 catalog items from JSON")]
    public Catalog Load() => CatalogLoader.Load(new StringReader(_json), "bench");
}
