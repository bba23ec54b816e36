using Gateway.Domain;
using Gateway.Handler.Reference;

namespace Gateway.Integration.Tests;

/// <summary>Treatment-region catalogs by service date: the one in force prices the bill; gaps and overlaps are caught.</summary>
public sealed class CatalogRegistryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("catalogs-").FullName;
    private static readonly RegionCode Shenzhen = RegionCode.Parse("440300");

    private void Write(string file, string version, string? from, string? to, string d001Class) =>
        File.WriteAllText(Path.Combine(_dir, file),
            $$"""{ "region": "440300", "version": "{{version}}", "effectiveFrom": {{Q(from)}}, "effectiveTo": {{Q(to)}}, "items": { "D001": { "class": "{{d001Class}}" } } }""");

    private static string Q(string? s) => s is null ? "null" : $"\"{s}\"";

    [Fact]
    public void The_catalog_in_force_on_the_service_date_is_used_and_a_gap_has_none()
    {
        Write("440300-2025.json", "440300-2025", "2025-01-01", "2025-12-31", "B");
        Write("440300-2026.json", "440300-2026", "2026-03-01", null, "A");
        var registry = CatalogRegistry.Load(_dir);
        Assert.Equal("440300-2025", registry.For(Shenzhen, new DateOnly(2025, 12, 31))!.Version);   // last day, inclusive
        Assert.Equal("440300-2026", registry.For(Shenzhen, new DateOnly(2026, 3, 1))!.Version);    // first day, inclusive
        Assert.Equal("440300-2026", registry.For(Shenzhen, new DateOnly(2030, 1, 1))!.Version);    // open-ended
        Assert.Null(registry.For(Shenzhen, new DateOnly(2026, 2, 15)));                            // between the two
        Assert.Null(registry.For(Shenzhen, new DateOnly(2024, 12, 31)));                           // before the first
        Assert.Null(registry.For(RegionCode.Parse("511300"), new DateOnly(2026, 5, 1)));           // no catalog at all
        Assert.True(registry.Knows(Shenzhen));
    }

    [Fact]
    public void Two_catalogs_of_one_region_in_force_at_once_are_refused_at_load_naming_both()
    {
        Write("a.json", "440300-A", "2025-01-01", null, "A");
        Write("b.json", "440300-B", "2026-01-01", "2026-12-31", "A");
        var e = Assert.Throws<CatalogFormatException>(() => CatalogRegistry.Load(_dir));
        Assert.Contains("a.json", e.Message + e.Source_, StringComparison.Ordinal);
        Assert.Contains("440300-A", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_catalog_that_ends_before_it_starts_or_has_a_bad_date_is_refused_with_its_path()
    {
        Write("x.json", "440300-X", "2026-01-01", "2025-12-31", "A");
        Assert.Equal("$.effectiveTo", Assert.Throws<CatalogFormatException>(() => CatalogRegistry.Load(_dir)).JsonPath);
        Write("x.json", "440300-X", "01/01/2026", null, "A");
        Assert.Equal("$.effectiveFrom", Assert.Throws<CatalogFormatException>(() => CatalogRegistry.Load(_dir)).JsonPath);
    }

    [Fact]
    public void The_shipped_catalogs_load_and_each_region_has_one_in_force_for_the_demo_dates()
    {
        var registry = CatalogRegistry.Load(Path.Combine(Gateway.TestSupport.RepoPaths.Root, "data", "catalogs"));
        foreach (var region in new[] { "440300", "441900", "511300", "350200" })
            Assert.NotNull(registry.For(RegionCode.Parse(region), new DateOnly(2026, 5, 9)));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
