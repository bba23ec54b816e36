using Gateway.Domain;

namespace Gateway.Handler.Reference;

/// <summary>A treatment region's catalog and the dates it is in force (both inclusive; null = open).</summary>
public sealed record DatedCatalog(Catalog Catalog, DateOnly? EffectiveFrom, DateOnly? EffectiveTo, string Source)
{
    public bool InForceOn(DateOnly date) => (EffectiveFrom is not { } f || date >= f) && (EffectiveTo is not { } t || date <= t);

    public bool Overlaps(DatedCatalog o) =>
        (EffectiveFrom ?? DateOnly.MinValue) <= (o.EffectiveTo ?? DateOnly.MaxValue) && (o.EffectiveFrom ?? DateOnly.MinValue) <= (EffectiveTo ?? DateOnly.MaxValue);
}

/// <summary>
/// The treatment regions' catalogs (data/catalogs/*.json), loaded once and shared. A region may publish several
/// catalogs with non-overlapping effective dates; a bill is priced with the one in force on its service date
/// (就医地目录 as of the day of treatment), and none in force is the rejection catalog-missing.
/// </summary>
public sealed class CatalogRegistry
{
    private readonly Dictionary<RegionCode, List<DatedCatalog>> _byRegion;

    public CatalogRegistry(IEnumerable<DatedCatalog> catalogs)
    {
        _byRegion = new Dictionary<RegionCode, List<DatedCatalog>>();
        foreach (var c in catalogs)
        {
            if (!_byRegion.TryGetValue(c.Catalog.Region, out var list)) _byRegion[c.Catalog.Region] = list = [];
            if (list.FirstOrDefault(c.Overlaps) is { } clash)
                throw new CatalogFormatException(c.Source, "$.effectiveFrom",
                    $"region {c.Catalog.Region}: in force at the same time as {Path.GetFileName(clash.Source)} ({clash.Catalog.Version}); catalogs of one region must not overlap");
            list.Add(c);
        }
    }

    /// <summary>The catalog of <paramref name="region"/> in force on <paramref name="serviceDate"/>, or null.</summary>
    public Catalog? For(RegionCode region, DateOnly serviceDate) =>
        _byRegion.TryGetValue(region, out var list) ? list.FirstOrDefault(c => c.InForceOn(serviceDate))?.Catalog : null;

    public bool Knows(RegionCode region) => _byRegion.ContainsKey(region);

    public IEnumerable<Catalog> All => _byRegion.Values.SelectMany(l => l).Select(c => c.Catalog);

    public static CatalogRegistry Load(string directory)
    {
        var result = new List<DatedCatalog>();
        foreach (var file in Directory.EnumerateFiles(directory, "*.json").Order(StringComparer.Ordinal))
        {
            using var reader = File.OpenText(file);
            var (catalog, from, to) = CatalogLoader.LoadDated(reader, file);
            result.Add(new DatedCatalog(catalog, from, to, file));
        }
        return new CatalogRegistry(result);
    }
}
