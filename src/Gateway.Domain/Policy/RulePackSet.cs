using System.Reflection;

namespace Gateway.Domain;

/// <summary>The packs a home region has published, found by (region, service date). Immutable.</summary>
public sealed class RulePackSet
{
    private readonly Dictionary<RegionCode, RulePack[]> _byRegion;

    public RulePackSet(IEnumerable<RulePack> packs)
    {
        _byRegion = packs.GroupBy(p => p.Region).ToDictionary(g => g.Key, g => g.OrderByDescending(p => p.EffectiveFrom).ToArray());
        foreach (var (region, list) in _byRegion)
        {
            for (var i = 1; i < list.Length; i++)
            {
                if (list[i].EffectiveTo is null || list[i].EffectiveTo >= list[i - 1].EffectiveFrom)
                    throw new InvalidOperationException($"Packs {list[i].PackId} and {list[i - 1].PackId} of region {region} overlap in time.");
            }
        }
    }

    public IEnumerable<RegionCode> Regions => _byRegion.Keys;

    public IEnumerable<RulePack> All => _byRegion.Values.SelectMany(p => p);

    public bool Knows(RegionCode region) => _byRegion.ContainsKey(region);

    public RulePack? Find(RegionCode region, DateOnly date)
    {
        if (!_byRegion.TryGetValue(region, out var list)) return null;
        foreach (var p in list) if (p.IsEffectiveOn(date)) return p;
        return null;
    }

    public RulePack Get(RegionCode region, DateOnly date) =>
        Find(region, date) ?? throw new RejectedException(new Rejection(
            _byRegion.ContainsKey(region) ? RejectionCode.RulePackMissing : RejectionCode.UnknownHomeRegion,
            _byRegion.ContainsKey(region) ? $"No rule pack of region {region} is effective on {date:yyyy-MM-dd}." : $"Region {region} is not a known home region."));

    /// <summary>The seed regions' packs shipped with the engine (packs/*.json, embedded).</summary>
    public static RulePackSet Default { get; } = LoadEmbedded();

    private static RulePackSet LoadEmbedded()
    {
        var asm = typeof(RulePackSet).Assembly;
        var packs = new List<RulePack>();
        foreach (var name in asm.GetManifestResourceNames().Where(n => n.StartsWith("packs/", StringComparison.Ordinal)).Order())
        {
            using var stream = asm.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            packs.Add(RulePackLoader.Load(reader.ReadToEnd(), name));
        }
        return new RulePackSet(packs);
    }

    public static RulePackSet LoadDirectory(string directory) =>
        new(Directory.EnumerateFiles(directory, "*.json").Order().Select(f => RulePackLoader.Load(File.ReadAllText(f), f)));
}
