namespace Gateway.Domain;

/// <summary>What a hospital says it settled (对账): totals, and optionally its settlement ids with amounts.</summary>
public sealed record HospitalTotals(int Count, decimal Total, decimal Fund, decimal Cash, IReadOnlyList<HospitalSettlementLine>? Settlements);

public sealed record HospitalSettlementLine(string HospitalSettlementId, decimal Total, decimal Fund, decimal Cash);

/// <summary>One difference between the hospital's books and the gateway's.</summary>
public sealed record ReconciliationDifference(string Kind, string? HospitalSettlementId, string Detail);

public sealed record ReconciliationResult(bool Matched, HospitalTotals Gateway, IReadOnlyList<ReconciliationDifference> Differences)
{
    public string Status => Matched ? "matched" : "mismatched";
}

/// <summary>Compares a hospital's totals with the gateway's completed settlements: matched, or the exact differences.</summary>
public static class Reconciliation
{
    public static ReconciliationResult Compare(HospitalTotals hospital, IReadOnlyList<HospitalSettlementLine> gateway)
    {
        var ours = new HospitalTotals(gateway.Count, gateway.Sum(g => g.Total), gateway.Sum(g => g.Fund), gateway.Sum(g => g.Cash), null);
        var diffs = new List<ReconciliationDifference>();
        if (hospital.Count != ours.Count) diffs.Add(new("count", null, $"hospital {hospital.Count}, gateway {ours.Count}"));
        if (hospital.Total != ours.Total) diffs.Add(new("total", null, $"hospital {hospital.Total:0.00}, gateway {ours.Total:0.00}"));
        if (hospital.Fund != ours.Fund) diffs.Add(new("fund", null, $"hospital {hospital.Fund:0.00}, gateway {ours.Fund:0.00}"));
        if (hospital.Cash != ours.Cash) diffs.Add(new("cash", null, $"hospital {hospital.Cash:0.00}, gateway {ours.Cash:0.00}"));
        if (hospital.Settlements is { } theirs)
        {
            var mine = gateway.ToDictionary(g => g.HospitalSettlementId, StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var t in theirs)
            {
                seen.Add(t.HospitalSettlementId);
                if (!mine.TryGetValue(t.HospitalSettlementId, out var g))
                    diffs.Add(new("missing-at-gateway", t.HospitalSettlementId, "the hospital lists it; the gateway has no completed settlement with this id in the range"));
                else if (g.Total != t.Total || g.Fund != t.Fund || g.Cash != t.Cash)
                    diffs.Add(new("amount", t.HospitalSettlementId,
                        $"hospital total/fund/cash {t.Total:0.00}/{t.Fund:0.00}/{t.Cash:0.00}, gateway {g.Total:0.00}/{g.Fund:0.00}/{g.Cash:0.00}"));
            }
            foreach (var g in gateway.Where(g => !seen.Contains(g.HospitalSettlementId)).OrderBy(g => g.HospitalSettlementId, StringComparer.Ordinal))
                diffs.Add(new("missing-at-hospital", g.HospitalSettlementId, "the gateway completed it; the hospital does not list it"));
        }
        return new ReconciliationResult(diffs.Count == 0, ours, diffs);
    }
}
