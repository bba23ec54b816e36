using Azure.Data.Tables;
using Gateway.Contracts;
using Gateway.Domain;
using Gateway.Handler.Hosting;
using Gateway.Storage;

namespace Gateway.Handler.Replies;

/// <summary>
/// A completed settlement posts one balanced journal entry; a cancelled one also posts its exact reversal. The
/// anchors (completion and cancellation instants) are stored on the settlement, so a replay finds the same
/// entries and posts nothing twice. The index rows of each entry (by settlement, by hospital and period) are written
/// by the transition itself, in the settlement's transaction, for the anchor's period: the posting writes them again
/// only when it lands in a later period (the anchor's period closed first).
/// </summary>
public sealed class LedgerReplyEffects(LedgerStore ledger, GatewayStorage storage) : IReplyEffects
{
    private readonly TableClient _ledgerTable = storage.Table(GatewayStorage.LedgerTable);

    public IReadOnlyList<TableEntity> WrittenWithTransition(SettlementRecord before, SettlementRecord after)
    {
        if (after.Status == SettlementStatus.Completed && before.Status != SettlementStatus.Completed && after.Outcome is not null)
            return LedgerStore.IndexAtAnchor(after.SettlementId, 0, RegionCode.Parse(after.HomeRegion), RegionCode.Parse(after.TreatmentRegion), PostingAnchor(after));
        if (after.Status == SettlementStatus.Cancelled && before.Status != SettlementStatus.Cancelled)
            return LedgerStore.IndexAtAnchor(after.SettlementId, 1, RegionCode.Parse(after.HomeRegion), RegionCode.Parse(after.TreatmentRegion), ReversalAnchor(after));
        return [];
    }

    private static DateTimeOffset PostingAnchor(SettlementRecord s) => s.CompletedAt ?? s.SubmittedAt;

    private static DateTimeOffset ReversalAnchor(SettlementRecord s) => s.CancelledAt ?? s.CompletedAt ?? s.SubmittedAt;

    public Task ApplyAsync(SettlementRecord s, EvaluationReplyMessage reply, InvocationResult result, CancellationToken ct) => PostAsync(s, result, ct);

    /// <summary>
    /// A point read of the journal row(s) where the anchor puts them settles the common case (posted, nothing to do) in one
    /// round-trip; otherwise the posting is made (idempotent: it also finds an entry that went to a later period).
    /// </summary>
    public async Task RepairAsync(SettlementRecord s, InvocationResult result, CancellationToken ct)
    {
        if (s.Status is not (SettlementStatus.Completed or SettlementStatus.Cancelled) || s.Outcome is null) return;
        var posted = await JournalAtAnchorAsync(s, 0, PostingAnchor(s), ct).ConfigureAwait(false)
                     && (s.Status != SettlementStatus.Cancelled || await JournalAtAnchorAsync(s, 1, ReversalAnchor(s), ct).ConfigureAwait(false));
        if (posted) return;
        await PostAsync(s, result, ct).ConfigureAwait(false);
        result.Logs.Add($"ledger: {s.SettlementId} repaired by the sweep");
    }

    private async Task<bool> JournalAtAnchorAsync(SettlementRecord s, int sequence, DateTimeOffset anchor, CancellationToken ct)
    {
        var partition = LedgerRows.Partition(ClearingPeriod.Of(anchor), RegionCode.Parse(s.HomeRegion), RegionCode.Parse(s.TreatmentRegion), LedgerRows.Shard(s.SettlementId));
        var row = await _ledgerTable.GetEntityIfExistsAsync<TableEntity>(partition, LedgerRows.JournalRow(s.SettlementId, sequence), ["PartitionKey"], ct).ConfigureAwait(false);
        return row.HasValue;
    }

    private async Task PostAsync(SettlementRecord s, InvocationResult result, CancellationToken ct)
    {
        if (s.Status is not (SettlementStatus.Completed or SettlementStatus.Cancelled) || s.Outcome is null) return;
        var split = GatewayJson.Deserialize<SettlementOutcomeDto>(s.Outcome).Split;
        var posting = new LedgerPosting(s.SettlementId, s.HospitalCode, RegionCode.Parse(s.HomeRegion), RegionCode.Parse(s.TreatmentRegion),
            new FundAmounts(split.BasicFund, split.SupplementaryFund, split.MajorIllnessFund, split.AssistanceFund, split.AccountPay), split.Total, split.CashPay);
        // Every completed (or cancelled) settlement reached that status through WrittenWithTransition: its index rows at the anchor exist.
        var entry = await ledger.PostAsync(posting, PostingAnchor(s), ct, indexedAtAnchor: true).ConfigureAwait(false);
        result.Logs.Add($"ledger: {s.SettlementId} posted in {entry.Period}");
        if (s.Status == SettlementStatus.Cancelled)
        {
            var reversal = await ledger.ReverseAsync(s.SettlementId, ReversalAnchor(s), ct, indexedAtAnchor: true).ConfigureAwait(false);
            result.Logs.Add($"ledger: {s.SettlementId} reversed in {reversal.Period}");
        }
    }
}
