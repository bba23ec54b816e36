using Gateway.Contracts;
using Gateway.Domain;

namespace Gateway.Storage;

/// <summary>One invariant checked, with what broke it.</summary>
public sealed record InvariantResult(string Name, int Checked, IReadOnlyList<string> Violations)
{
    public bool Holds => Violations.Count == 0;
}

/// <summary>
/// The invariants anyone can check against a store (gateway-cli verify): every journal balances; positions equal the
/// sum of journals; nets sum to zero; every completed settlement has exactly one journal (plus its reversal if
/// cancelled) and no journal lacks its settlement; accumulators equal the sum of the applied settlements' deltas; every
/// applied marker belongs to a completed or cancelled settlement (a failed settlement's effect at home is nil).
/// </summary>
public sealed class StoreVerifier(GatewayStorage storage, IReadOnlyList<RegionCode> regions)
{
    private const int MaxListed = 20;

    /// <summary>Settlements the last <see cref="VerifyAsync"/> found pending: in flight, not violations.</summary>
    public int Pending { get; private set; }

    /// <summary>The settlements pending now (one pass over the settlement rows).</summary>
    public async Task<int> CountPendingAsync(CancellationToken ct)
    {
        var n = 0;
        await foreach (var s in new SettlementStore(storage).AllAsync(ct).ConfigureAwait(false))
            if (s.Status == SettlementStatus.Pending) n++;
        return n;
    }

    /// <summary>
    /// A verify of a store that may be live: the invariants are read in several passes (journals, settlements, markers,
    /// accumulators), so a settlement moving on between two passes can look like a violation. A violation is therefore
    /// reported only if a second pass <paramref name="recheckAfter"/> later finds it again; what the second pass no longer
    /// finds was in flight, and is counted in <see cref="Transient"/>.
    /// </summary>
    public async Task<IReadOnlyList<InvariantResult>> VerifyConfirmedAsync(TimeSpan recheckAfter, CancellationToken ct, Func<Task>? betweenPasses = null)
    {
        var first = await VerifyAsync(ct).ConfigureAwait(false);
        Transient = 0;
        if (first.All(r => r.Holds)) return first;
        await Task.Delay(recheckAfter, ct).ConfigureAwait(false);
        if (betweenPasses is not null) await betweenPasses().ConfigureAwait(false); // the pipeline moving on meanwhile (tests)
        var second = await VerifyAsync(ct).ConfigureAwait(false);
        var confirmed = new List<InvariantResult>();
        for (var i = 0; i < second.Count; i++)
        {
            var seen = first[i].Violations.ToHashSet(StringComparer.Ordinal);
            var kept = second[i].Violations.Where(seen.Contains).ToList();
            Transient += first[i].Violations.Count - kept.Count;
            confirmed.Add(second[i] with { Violations = kept });
        }
        return confirmed;
    }

    /// <summary>Differences of the first pass that the second no longer found (writes in flight), after <see cref="VerifyConfirmedAsync"/>.</summary>
    public int Transient { get; private set; }

    public async Task<IReadOnlyList<InvariantResult>> VerifyAsync(CancellationToken ct)
    {
        var ledger = new LedgerStore(storage, regions, TimeProvider.System);
        var journals = new List<JournalEntry>();
        var unbalanced = new List<string>();
        var mismatched = new List<string>();
        var rows = 0;
        await foreach (var (key, j, problem) in ledger.AllJournalRowsAsync(ct).ConfigureAwait(false))
        {
            rows++;
            if (j is null) { unbalanced.Add($"{key}: {problem}"); continue; }
            journals.Add(j);
            if (!j.IsBalanced) unbalanced.Add($"{j.SettlementKey}/{j.Sequence}");
            if (LinesDisagreeWithFunds(j) is { } why) mismatched.Add($"{j.SettlementKey}/{j.Sequence}: {why}");
        }

        var counters = new Dictionary<(ClearingPeriod, RegionCode, RegionCode), PairPosition>();
        await foreach (var (_, p) in ledger.AllCountersAsync(ct).ConfigureAwait(false))
        {
            var k = (p.Period, p.Home, p.Treatment);
            counters[k] = counters.TryGetValue(k, out var c) ? PairPosition.Sum([c, p], p.Period, p.Home, p.Treatment) : p;
        }
        var fromJournals = PairPosition.FromJournals(journals).ToDictionary(p => (p.Period, p.Home, p.Treatment));
        var positionViolations = new List<string>();
        foreach (var k in counters.Keys.Union(fromJournals.Keys))
        {
            var a = counters.GetValueOrDefault(k) ?? PairPosition.Empty(k.Item1, k.Item2, k.Item3);
            var b = fromJournals.GetValueOrDefault(k) ?? PairPosition.Empty(k.Item1, k.Item2, k.Item3);
            if (a.Funds != b.Funds || a.Postings != b.Postings || a.Reversals != b.Reversals)
                positionViolations.Add($"{k.Item1} {k.Item2}→{k.Item3}: counters {a.Total:0.00} ({a.Postings}/{a.Reversals}) ≠ journals {b.Total:0.00} ({b.Postings}/{b.Reversals})");
        }

        var netViolations = new List<string>();
        foreach (var g in counters.Values.GroupBy(p => p.Period))
        {
            try
            {
                var sum = Netting.Compute(g).Sum;
                if (sum != 0m) netViolations.Add($"{g.Key}: nets sum to {sum}");
            }
            catch (InvalidOperationException e) { netViolations.Add($"{g.Key}: {e.Message}"); }
        }

        var byKey = journals.GroupBy(j => j.SettlementKey).ToDictionary(g => g.Key, g => g.Select(j => j.Sequence).OrderBy(s => s).ToList());
        var settlementViolations = new List<string>();
        var settled = 0;
        var statuses = new Dictionary<string, SettlementStatus>(StringComparer.Ordinal);
        var pending = 0;
        await foreach (var s in new SettlementStore(storage).AllAsync(ct).ConfigureAwait(false))
        {
            statuses[s.SettlementId] = s.Status;
            if (s.Status == SettlementStatus.Pending) pending++;
            var all = byKey.GetValueOrDefault(s.SettlementId) ?? [];
            // A review's refusal (sequence 2) adjusts a completed settlement's posting, once.
            var seqs = all.Where(q => q != JournalEntry.AdjustmentSequence).ToList();
            if (all.Count(q => q == JournalEntry.AdjustmentSequence) is var adjustments and > 0 && (adjustments > 1 || s.Status != SettlementStatus.Completed))
                settlementViolations.Add($"{s.SettlementId} is {s.Status.Name()} with {adjustments} review adjustment(s)");
            var expected = s.Status switch
            {
                SettlementStatus.Completed => [0],
                SettlementStatus.Cancelled => [0, 1],
                _ => new List<int>(),
            };
            if (s.Status is SettlementStatus.Completed or SettlementStatus.Cancelled) settled++;
            if (!seqs.SequenceEqual(expected)) settlementViolations.Add($"{s.SettlementId} is {s.Status.Name()} with journals [{string.Join(",", seqs)}]");
        }
        foreach (var key in byKey.Keys.Where(k => !statuses.ContainsKey(k))) settlementViolations.Add($"journal for unknown settlement {key}");

        var members = new MemberStore(storage);
        var sums = new Dictionary<(string, int), AnnualAccumulators>();
        var markerViolations = new List<string>();
        var appliedMarkers = 0;
        await foreach (var (partition, marker) in members.AllMarkersAsync(ct).ConfigureAwait(false))
        {
            if (marker.Status != AppliedStatus.Applied) continue;
            // Applied at home ⇒ completed (or cancelled) at the gateway; pending is a reply in flight. Failed is final: its
            // marker must be voided (reversed, or a tombstone) or absent, never applied.
            appliedMarkers++;
            SettlementStatus? status = statuses.TryGetValue(marker.SettlementKey, out var known) ? known : null;
            if (status is not (SettlementStatus.Completed or SettlementStatus.Cancelled or SettlementStatus.Pending))
                markerViolations.Add($"{partition}: settlement {marker.SettlementKey} is applied at home but {status?.Name() ?? "unknown"} at the gateway");
            if (marker.DeltaJson.Length == 0) continue;
            var delta = GatewayJson.Deserialize<AccumulatorDeltaDto>(marker.DeltaJson).ToDomain();
            var k = (partition, delta.Year);
            sums[k] = (sums.GetValueOrDefault(k) ?? AnnualAccumulators.Empty(delta.Year)).Apply(delta);
        }
        var accumulatorViolations = new List<string>();
        var accumulatorRows = 0;
        await foreach (var (partition, acc) in members.AllAccumulatorsAsync(ct).ConfigureAwait(false))
        {
            accumulatorRows++;
            var expected = sums.GetValueOrDefault((partition, acc.Year)) ?? AnnualAccumulators.Empty(acc.Year);
            if (!expected.SameAs(acc)) accumulatorViolations.Add($"{partition} {acc.Year}: stored basic {acc.BasicPaid:0.00}/admissions {acc.Admissions}, settlements sum to {expected.BasicPaid:0.00}/{expected.Admissions}");
            sums.Remove((partition, acc.Year));
        }
        foreach (var ((partition, year), _) in sums) accumulatorViolations.Add($"{partition} {year}: applied settlements but no accumulator row");
        Pending = pending;

        return
        [
            new("every journal balances (Σ debit = Σ credit)", rows, Cap(unbalanced)),
            new("every journal's lines carry its fund amounts (each fund account, and the advance payable = their total)", journals.Count, Cap(mismatched)),
            new("positions equal the sum of journals", counters.Count, Cap(positionViolations)),
            new("region nets sum to zero in every period", counters.Values.Select(p => p.Period).Distinct().Count(), Cap(netViolations)),
            new("every completed settlement has exactly one journal (plus its reversal if cancelled)", settled, Cap(settlementViolations)),
            new("accumulators equal the sum of their settlements' deltas", accumulatorRows, Cap(accumulatorViolations)),
            new("every applied marker belongs to a completed or cancelled settlement (a failed one has none: voided or absent)", appliedMarkers, Cap(markerViolations)),
        ];
    }

    /// <summary>Net debit on each home fund account = that fund's amount; net credit to the advance payable = the total.</summary>
    private static string? LinesDisagreeWithFunds(JournalEntry j)
    {
        decimal Net(string account) => j.Lines.Where(l => l.Account == account).Sum(l => l.Debit - l.Credit);
        foreach (var fund in Journal.Funds)
        {
            var net = Net(Journal.FundAccount(j.Home, fund));
            if (net != Journal.Of(j.Funds, fund)) return $"{fund}: lines {net:0.00}, fund amount {Journal.Of(j.Funds, fund):0.00}";
        }
        var payable = -Net(Journal.AdvancePayable(j.Treatment));
        if (payable != j.Funds.Total) return $"advance payable: lines {payable:0.00}, total {j.Funds.Total:0.00}";
        var known = Journal.Funds.Select(f => Journal.FundAccount(j.Home, f)).Append(Journal.AdvancePayable(j.Treatment)).ToHashSet(StringComparer.Ordinal);
        var stray = j.Lines.Where(l => !known.Contains(l.Account)).Select(l => l.Account).FirstOrDefault();
        return stray is null ? null : $"line on an account outside this pair: {stray}";
    }

    private static IReadOnlyList<string> Cap(List<string> list) =>
        list.Count <= MaxListed ? list : [.. list.Take(MaxListed), $"… and {list.Count - MaxListed} more"];
}
