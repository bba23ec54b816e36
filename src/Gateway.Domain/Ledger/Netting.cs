namespace Gateway.Domain;

/// <summary>A region's net in a period: positive = it is owed (it advanced more than it owes), negative = it pays.</summary>
public sealed record RegionNet(RegionCode Region, decimal Receivable, decimal Payable)
{
    public decimal Net => Receivable - Payable;
}

/// <summary>A transfer that settles the period, through the central clearing account (清算中心).</summary>
public sealed record PaymentInstruction(string From, string To, decimal Amount);

/// <summary>Two regions' mutual debts set off against each other.</summary>
public sealed record BilateralNet(RegionCode A, RegionCode B, decimal AOwesB, decimal BOwesA)
{
    public decimal Net => AOwesB - BOwesA;
}

public sealed record NettingResult(IReadOnlyList<RegionNet> Regions, IReadOnlyList<PaymentInstruction> Instructions, IReadOnlyList<BilateralNet> Bilateral)
{
    public decimal Sum => Regions.Sum(r => r.Net);
}

/// <summary>
/// Multilateral netting: each region's net (they sum to zero, asserted), settled by payments into and out of the
/// central clearing account; and the bilateral view.
/// </summary>
public static class Netting
{
    public const string CentralAccount = "central-clearing";

    public static NettingResult Compute(IEnumerable<PairPosition> positions)
    {
        var list = positions.ToList();
        var regions = list.SelectMany(p => new[] { p.Home, p.Treatment }).Distinct().OrderBy(r => r.Value, StringComparer.Ordinal).ToList();
        var nets = regions.Select(r => new RegionNet(r,
            list.Where(p => p.Treatment == r).Sum(p => p.Total),
            list.Where(p => p.Home == r).Sum(p => p.Total))).ToList();
        if (nets.Sum(n => n.Net) != 0m) throw new InvalidOperationException("Region nets do not sum to zero.");
        var instructions = new List<PaymentInstruction>();
        foreach (var n in nets.Where(n => n.Net < 0)) instructions.Add(new PaymentInstruction(n.Region.Value, CentralAccount, -n.Net));
        foreach (var n in nets.Where(n => n.Net > 0)) instructions.Add(new PaymentInstruction(CentralAccount, n.Region.Value, n.Net));
        var bilateral = new List<BilateralNet>();
        for (var i = 0; i < regions.Count; i++)
        {
            for (var j = i + 1; j < regions.Count; j++)
            {
                var a = regions[i];
                var b = regions[j];
                var ab = list.Where(p => p.Home == a && p.Treatment == b).Sum(p => p.Total);
                var ba = list.Where(p => p.Home == b && p.Treatment == a).Sum(p => p.Total);
                if (ab != 0m || ba != 0m) bilateral.Add(new BilateralNet(a, b, ab, ba));
            }
        }
        return new NettingResult(nets, instructions, bilateral);
    }
}
