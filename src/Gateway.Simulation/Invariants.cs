using System.Text.RegularExpressions;
using Azure.Data.Tables;
using Gateway.Storage;

namespace Gateway.Simulation;

/// <summary>
/// What must hold after every step, read from storage (never through the processes): journals balance; positions equal
/// journals; accumulators equal the sum of applied deltas; one journal per completed settlement and its reversal if
/// cancelled; nothing applied at home for a failed settlement; the split of every completed settlement adds up; nothing
/// pending past its timeout once a sweep has run. While work is in flight two differences are expected, each only while
/// the work that resolves it is owed in storage: a completed settlement whose journal is not posted yet (its <c>~post|</c>
/// marker exists), and a failed settlement still applied at home (its <c>~void|</c> marker exists). At the end (strict)
/// nothing is owed, nothing is pending, and every completed or cancelled settlement is applied (or cancelled) at home.
/// </summary>
public static partial class Invariants
{
    [GeneratedRegex(@"^(?<id>\S+) is (completed|cancelled) with journals")]
    private static partial Regex UnpostedRe();

    [GeneratedRegex(@"settlement (?<id>\S+) is applied at home but failed at the gateway")]
    private static partial Regex UnvoidedRe();

    public static async Task<List<string>> CheckAsync(GatewayStorage storage, IReadOnlyList<RegionCode> regions, DateTimeOffset now, LifecyclePolicy policy,
        DateTimeOffset? lastCleanSweep, bool strict, CancellationToken ct)
    {
        var violations = new List<string>();
        var owed = new HashSet<string>(StringComparer.Ordinal);
        var settlementsTable = storage.Table(GatewayStorage.SettlementsTable);
        await foreach (var e in settlementsTable.QueryAsync<TableEntity>($"RowKey ge '{SettlementStore.PostPrefix}' and RowKey lt '{SettlementStore.WaitPrefix}~'", select: ["PartitionKey", "RowKey"], cancellationToken: ct).ConfigureAwait(false))
        {
            if (e.RowKey == SettlementStore.WaitBackfilled) continue;
            var bar = e.RowKey.IndexOf('|');
            owed.Add(e.RowKey[..(bar + 1)] + Keys.SettlementKey(e.PartitionKey, e.RowKey[(bar + 1)..]));
        }

        foreach (var result in await new StoreVerifier(storage, regions).VerifyAsync(ct).ConfigureAwait(false))
        {
            foreach (var v in result.Violations)
            {
                if (!strict && UnpostedRe().Match(v) is { Success: true } u && owed.Contains(SettlementStore.PostPrefix + u.Groups["id"].Value)) continue;
                if (!strict && UnvoidedRe().Match(v) is { Success: true } f && owed.Contains(SettlementStore.VoidPrefix + f.Groups["id"].Value)) continue;
                violations.Add($"{result.Name}: {v}");
            }
        }

        var statuses = new Dictionary<string, SettlementRecord>(StringComparer.Ordinal);
        await foreach (var s in new SettlementStore(storage).AllAsync(ct).ConfigureAwait(false))
        {
            statuses[s.SettlementId] = s;
            if (s.Status == SettlementStatus.Completed && s.Outcome is not null)
            {
                var split = Gateway.Contracts.GatewayJson.Deserialize<Gateway.Contracts.SettlementOutcomeDto>(s.Outcome).Split;
                if (split.FundTotal + split.AccountPay + split.CashPay != split.Total)
                    violations.Add($"money: {s.SettlementId} pays {split.FundTotal} + {split.AccountPay} + {split.CashPay} ≠ {split.Total}");
            }
            if (s.Status == SettlementStatus.Pending && lastCleanSweep is { } swept && swept > s.SubmittedAt + policy.Timeout)
                violations.Add($"pending past its timeout: {s.SettlementId} submitted {s.SubmittedAt:O}, still pending after the sweep of {swept:O}");
            if (strict && s.Status == SettlementStatus.Pending) violations.Add($"still pending at the end: {s.SettlementId}");
        }
        await CheckTraceCodesAsync(storage, statuses, owed, strict, violations, ct).ConfigureAwait(false);
        if (!strict) return violations;

        foreach (var o in owed) violations.Add($"still owed at the end: {o}");
        var markers = new Dictionary<string, AppliedMarker>(StringComparer.Ordinal);
        await foreach (var (_, marker) in new MemberStore(storage).AllMarkersAsync(ct).ConfigureAwait(false)) markers[marker.SettlementKey] = marker;
        foreach (var (id, s) in statuses)
        {
            var marker = markers.GetValueOrDefault(id);
            var expected = s.Status switch
            {
                SettlementStatus.Completed => AppliedStatus.Applied,
                SettlementStatus.Cancelled => AppliedStatus.Cancelled,
                _ => null,
            };
            if (expected is not null && marker?.Status != expected)
                violations.Add($"home and gateway disagree: {id} is {s.Status.Name()} at the gateway but {marker?.Status ?? "absent"} at home");
            if (s.Status is SettlementStatus.Failed or SettlementStatus.Rejected && marker?.Status is AppliedStatus.Applied or AppliedStatus.Cancelled)
                violations.Add($"home and gateway disagree: {id} is {s.Status.Name()} at the gateway but {marker.Status} at home");
        }
        return violations;
    }

    /// <summary>
    /// Traceability codes (spec §10.1): no code is carried by two live (pending or completed) settlements; every live settlement
    /// holds each of its codes; a settlement that left live holds none, except while its release is owed (<c>~rels|</c>). At the
    /// end, every hold's holder is recorded with the request that holds it and live.
    /// </summary>
    private static async Task CheckTraceCodesAsync(GatewayStorage storage, Dictionary<string, SettlementRecord> statuses, HashSet<string> owed, bool strict,
        List<string> violations, CancellationToken ct)
    {
        var holds = new Dictionary<string, TraceHold>(StringComparer.Ordinal);
        await foreach (var h in new TraceCodeStore(storage).AllAsync(ct).ConfigureAwait(false)) holds[h.Code] = h;
        var carriers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var s in statuses.Values.OrderBy(s => s.SettlementId, StringComparer.Ordinal))
        {
            if (s.Status is not (SettlementStatus.Pending or SettlementStatus.Completed)) continue;
            foreach (var code in s.TraceCodes)
            {
                if (carriers.TryGetValue(code, out var other)) violations.Add($"trace codes: {code} is carried by two live settlements, {other} and {s.SettlementId}");
                else carriers[code] = s.SettlementId;
                if (holds.GetValueOrDefault(code) is not { } h || h.Holder != s.SettlementId)
                    violations.Add($"trace codes: {code} of live settlement {s.SettlementId} is held by {holds.GetValueOrDefault(code)?.Holder ?? "nobody"}");
            }
        }
        foreach (var h in holds.Values)
        {
            var holder = statuses.GetValueOrDefault(h.Holder);
            if (holder is { Status: SettlementStatus.Rejected or SettlementStatus.Failed or SettlementStatus.Cancelled } && holder.RequestHash == h.RequestHash
                && !owed.Contains(SettlementStore.ReleasePrefix + h.Holder))
                violations.Add($"trace codes: {h.Code} is still held by {h.Holder}, {holder.Status.Name()}, with no release owed");
            if (strict && (holder is null || holder.RequestHash != h.RequestHash || holder.Status is not (SettlementStatus.Pending or SettlementStatus.Completed)))
                violations.Add($"trace codes: {h.Code} is held at the end by {h.Holder}, {holder?.Status.Name() ?? "never recorded"}");
        }
    }
}
