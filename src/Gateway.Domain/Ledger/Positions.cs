namespace Gateway.Domain;

/// <summary>
/// What a home region owes a treatment region in a period (the positions matrix cell), per fund, with the
/// number of settlements posted and reversed. Kept incrementally from journals; never recomputed by scanning them.
/// </summary>
public sealed record PairPosition(ClearingPeriod Period, RegionCode Home, RegionCode Treatment, FundAmounts Funds, int Postings, int Reversals)
{
    public decimal Total => Funds.Total;

    /// <summary>Settlements that stand (posted and not reversed in the period).</summary>
    public int NetCount => Postings - Reversals;

    public PairPosition Add(JournalEntry e) => this with
    {
        Funds = Funds + e.Funds,
        Postings = Postings + (e.Sequence == 0 ? 1 : 0), // a review's adjustment moves money, not counts
        Reversals = Reversals + (e.IsReversal ? 1 : 0),
    };

    public static PairPosition Empty(ClearingPeriod period, RegionCode home, RegionCode treatment) => new(period, home, treatment, FundAmounts.Zero, 0, 0);

    /// <summary>Positions computed from journals: the definition the incremental counters must equal (verify).</summary>
    public static IReadOnlyList<PairPosition> FromJournals(IEnumerable<JournalEntry> journals) =>
        journals.GroupBy(j => (j.Period, j.Home, j.Treatment))
            .Select(g => g.Aggregate(Empty(g.Key.Period, g.Key.Home, g.Key.Treatment), (p, e) => p.Add(e)))
            .ToList();

    public static PairPosition Sum(IEnumerable<PairPosition> shards, ClearingPeriod period, RegionCode home, RegionCode treatment) =>
        shards.Aggregate(Empty(period, home, treatment), (a, s) => a with { Funds = a.Funds + s.Funds, Postings = a.Postings + s.Postings, Reversals = a.Reversals + s.Reversals });
}
