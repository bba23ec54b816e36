using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Gateway.Domain;

/// <summary>One catalog entry of the treatment region (医保目录): class, pre-self-pay ratio, unit-price ceiling, validity.</summary>
public readonly record struct CatalogItem(
    CatalogClass Class,
    decimal PreSelfPayRatio,
    decimal? PriceCeiling,
    DateOnly? ValidFrom,
    DateOnly? ValidTo,
    ItemCategory Category)
{
    public bool IsValidOn(DateOnly date) => (ValidFrom is null || date >= ValidFrom) && (ValidTo is null || date <= ValidTo);
}

/// <summary>
/// A treatment region's catalog: ~300,000 items priced by hash lookup (ordinal comparison).
/// Immutable once built; share one instance across threads.
/// </summary>
public sealed class Catalog
{
    private readonly Dictionary<string, CatalogItem> _items;

    public Catalog(RegionCode region, string version, Dictionary<string, CatalogItem> items)
    {
        Region = region;
        Version = version;
        _items = items;
    }

    public RegionCode Region { get; }

    public string Version { get; }

    public int Count => _items.Count;

    public bool TryFind(string itemCode, DateOnly date, out CatalogItem item) =>
        _items.TryGetValue(itemCode, out item) && item.IsValidOn(date);

    /// <summary>The item valid on <paramref name="date"/>, by reference (no copy), or a null reference.</summary>
    internal ref readonly CatalogItem Find(string itemCode, DateOnly date)
    {
        ref readonly var item = ref CollectionsMarshal.GetValueRefOrNullRef(_items, itemCode);
        return ref Unsafe.IsNullRef(in item) || !item.IsValidOn(date) ? ref Unsafe.NullRef<CatalogItem>() : ref item;
    }

    public IEnumerable<KeyValuePair<string, CatalogItem>> Items => _items;
}
