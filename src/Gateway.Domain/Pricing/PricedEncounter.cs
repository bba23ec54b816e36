namespace Gateway.Domain;

/// <summary>How the treatment-region catalog treated one line.</summary>
public enum LinePricing
{
    /// <summary>Class A (甲): fully in scope.</summary>
    ClassA,
    /// <summary>Class B (乙): a pre-self-pay share first.</summary>
    ClassB,
    /// <summary>Class C (丙): not covered, all self-paid.</summary>
    ClassC,
    /// <summary>Not in the catalog on the service date: all self-paid.</summary>
    NotInCatalog,
}

/// <summary>One priced line: amount = fullSelfPay + overLimitSelfPay + preSelfPay + inScope, exactly.</summary>
public readonly record struct PricedLine(
    int LineNo,
    string ItemCode,
    LinePricing Pricing,
    decimal Amount,
    decimal FullSelfPay,
    decimal OverLimitSelfPay,
    decimal PreSelfPay,
    decimal InScope,
    decimal? PriceCeiling,
    decimal PreSelfPayRatio);

/// <summary>
/// An encounter priced with the treatment region's catalog (the part the treatment region decides).
/// </summary>
/// <remarks>
/// The encounter totals are computed when it is priced; the per-line breakdown (<see cref="Lines"/>) is needed only to
/// explain or forward the pricing, so <see cref="CatalogPricer.Price"/> does not build it there: the first read of
/// <see cref="Lines"/> prices the billed lines again with the same code, the same (immutable) catalog and the same
/// service date, and keeps the array. The lines are exactly those an eager pricing would have given; if they do not
/// add up to the totals (the catalog's dictionary or the billed-line list was changed after pricing, which neither
/// may be), reading them throws rather than explaining a different pricing.
/// </remarks>
public sealed record PricedEncounter
{
    private PricedLine[]? _lines;
    // Where the lines come from when they were not given: the billed lines, the catalog and the date they were priced with.
    private readonly IReadOnlyList<EncounterLine>? _billed;
    private readonly Catalog? _catalog;
    private readonly DateOnly _date;

    public PricedEncounter(
        Encounter Encounter,
        PricedLine[] Lines,
        decimal Total,
        decimal FullSelfPay,
        decimal OverLimitSelfPay,
        decimal PreSelfPay,
        decimal InScope,
        string CatalogVersion)
    {
        this.Encounter = Encounter;
        this.Lines = Lines;
        this.Total = Total;
        this.FullSelfPay = FullSelfPay;
        this.OverLimitSelfPay = OverLimitSelfPay;
        this.PreSelfPay = PreSelfPay;
        this.InScope = InScope;
        this.CatalogVersion = CatalogVersion;
    }

    /// <summary>Priced by <see cref="CatalogPricer"/>: the lines are built on first read from the billed lines.</summary>
    internal PricedEncounter(Encounter encounter, Catalog catalog, DateOnly date,
        decimal total, decimal fullSelfPay, decimal overLimitSelfPay, decimal preSelfPay, decimal inScope)
    {
        Encounter = encounter;
        _billed = encounter.Lines;
        _catalog = catalog;
        _date = date;
        Total = total;
        FullSelfPay = fullSelfPay;
        OverLimitSelfPay = overLimitSelfPay;
        PreSelfPay = preSelfPay;
        InScope = inScope;
        CatalogVersion = catalog.Version;
    }

    public Encounter Encounter { get; init; }

    /// <summary>The priced lines, in the order billed (built on first read when priced by <see cref="CatalogPricer"/>).</summary>
    public PricedLine[] Lines
    {
        get => _lines ?? BuildLines();
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            _lines = value;
            _billed = null;
            _catalog = null;
        }
    }

    public decimal Total { get; init; }

    public decimal FullSelfPay { get; init; }

    public decimal OverLimitSelfPay { get; init; }

    public decimal PreSelfPay { get; init; }

    public decimal InScope { get; init; }

    public string CatalogVersion { get; init; }

    public void Deconstruct(out Encounter Encounter, out PricedLine[] Lines, out decimal Total, out decimal FullSelfPay, out decimal OverLimitSelfPay,
        out decimal PreSelfPay, out decimal InScope, out string CatalogVersion)
    {
        Encounter = this.Encounter;
        Lines = this.Lines;
        Total = this.Total;
        FullSelfPay = this.FullSelfPay;
        OverLimitSelfPay = this.OverLimitSelfPay;
        PreSelfPay = this.PreSelfPay;
        InScope = this.InScope;
        CatalogVersion = this.CatalogVersion;
    }

    /// <summary>Equal when the encounter, the totals, the catalog version and every priced line are equal.</summary>
    public bool Equals(PricedEncounter? other) =>
        ReferenceEquals(this, other)
        || other is not null
        && EqualityComparer<Encounter>.Default.Equals(Encounter, other.Encounter)
        && Total == other.Total && FullSelfPay == other.FullSelfPay && OverLimitSelfPay == other.OverLimitSelfPay
        && PreSelfPay == other.PreSelfPay && InScope == other.InScope
        && string.Equals(CatalogVersion, other.CatalogVersion, StringComparison.Ordinal)
        && Lines.AsSpan().SequenceEqual(other.Lines);

    public override int GetHashCode() => HashCode.Combine(Encounter, Total, InScope, CatalogVersion);

    private PricedLine[] BuildLines()
    {
        var billed = _billed!;
        var lines = new PricedLine[billed.Count];
        decimal full = 0m, over = 0m, pre = 0m, inScope = 0m;
        for (var i = 0; i < lines.Length; i++)
        {
            var p = CatalogPricer.PriceLine(_catalog!, billed[i], _date);
            lines[i] = p;
            full += p.FullSelfPay;
            over += p.OverLimitSelfPay;
            pre += p.PreSelfPay;
            inScope += p.InScope;
        }
        if (full != FullSelfPay || over != OverLimitSelfPay || pre != PreSelfPay || inScope != InScope)
        {
            throw new InvalidOperationException(
                $"The lines priced again with catalog {_catalog!.Version} do not add up to the totals priced before: the catalog or the billed lines were changed after pricing.");
        }
        return Interlocked.CompareExchange(ref _lines, lines, null) ?? lines;
    }
}
