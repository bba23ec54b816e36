using Gateway.Domain;

namespace Gateway.Handler.Reference;

/// <summary>The treatment regions' catalogs (data/catalogs/{region}.json), loaded once and shared.</summary>
public sealed class CatalogRegistry(IReadOnlyDictionary<RegionCode, Catalog> catalogs)
{
    public Catalog? For(RegionCode region) => catalogs.GetValueOrDefault(region);

    public IEnumerable<Catalog> All => catalogs.Values;

    public static CatalogRegistry Load(string directory)
    {
        var result = new Dictionary<RegionCode, Catalog>();
        foreach (var file in Directory.EnumerateFiles(directory, "*.json").Order())
        {
            using var reader = File.OpenText(file);
            var catalog = CatalogLoader.Load(reader, file);
            result[catalog.Region] = catalog;
        }
        return new CatalogRegistry(result);
    }
}
