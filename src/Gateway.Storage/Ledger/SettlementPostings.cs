using Azure.Data.Tables;
using Gateway.Contracts;
using Gateway.Domain;

namespace Gateway.Storage;

/// <summary>
/// The ledger side of the lifecycle's <see cref="Work.Post"/> and <see cref="Work.RepairPostings"/>: a completed settlement
/// posts one balanced journal entry; a cancelled one also posts its exact reversal. The anchors (completion and cancellation
/// instants) are stored on the settlement, so a replay finds the same entries and posts nothing twice. The index rows of
/// each entry (by settlement, by hospital and period) are written by the transition that owes the posting
/// (<see cref="Work.OwePosting"/>, in the settlement's transaction, for the anchor's period: <see cref="IndexRows"/>); the
/// posting writes them again only when it lands in a later period (the anchor's period closed first).
/// </summary>
public sealed class SettlementPostings(LedgerStore ledger, GatewayStorage storage)
{
    private readonly TableClient _ledgerTable = storage.Table(GatewayStorage.LedgerTable);

    /// <summary>The ledger index rows written with the transition that owes <paramref name="entry"/>.</summary>
    internal static IReadOnlyList<TableEntity> IndexRows(SettlementRecord s, Posting entry) =>
        LedgerStore.IndexAtAnchor(s.SettlementId, (int)entry, RegionCode.Parse(s.HomeRegion), RegionCode.Parse(s.TreatmentRegion), Anchor(s, entry));

    /// <summary>Where an entry is posted unless its period closed first: the completion (journal) or the cancellation (reversal).</summary>
    public static DateTimeOffset Anchor(SettlementRecord s, Posting entry) =>
        entry == Posting.Journal ? s.CompletedAt ?? s.SubmittedAt : s.CancelledAt ?? s.CompletedAt ?? s.SubmittedAt;

    /// <summary>
    /// Posts <paramref name="entry"/> of a completed (journal) or cancelled (journal and reversal) settlement, idempotently;
    /// the period it landed in, or null when the settlement's state implies no such entry.
    /// </summary>
    public async Task<ClearingPeriod?> PostAsync(SettlementRecord s, Posting entry, CancellationToken ct)
    {
        if (!s.Status.IsPosted() || s.Outcome is null || (entry == Posting.Reversal && s.Status != SettlementStatus.Cancelled)) return null;
        if (entry == Posting.Reversal)
            return (await ledger.ReverseAsync(s.SettlementId, Anchor(s, Posting.Reversal), ct, indexedAtAnchor: true).ConfigureAwait(false)).Period;
        var split = GatewayJson.Deserialize<SettlementOutcomeDto>(s.Outcome).Split;
        var posting = new LedgerPosting(s.SettlementId, s.HospitalCode, RegionCode.Parse(s.HomeRegion), RegionCode.Parse(s.TreatmentRegion),
            new FundAmounts(split.BasicFund, split.SupplementaryFund, split.MajorIllnessFund, split.AssistanceFund, split.AccountPay), split.Total, split.CashPay);
        // Every posted settlement reached its status through a transition that owed the posting: its index rows at the anchor exist.
        return (await ledger.PostAsync(posting, Anchor(s, Posting.Journal), ct, indexedAtAnchor: true).ConfigureAwait(false)).Period;
    }

    /// <summary>
    /// The sweep's repair: a point read of the journal row(s) where the anchors put them settles the common case (posted,
    /// nothing to do) in one round-trip; otherwise the postings are made (idempotent: they also find an entry that went to a
    /// later period). True when something was posted.
    /// </summary>
    public async Task<bool> RepairAsync(SettlementRecord s, CancellationToken ct)
    {
        if (!s.Status.IsPosted() || s.Outcome is null) return false;
        var posted = await AtAnchorAsync(s, Posting.Journal, ct).ConfigureAwait(false)
                     && (s.Status != SettlementStatus.Cancelled || await AtAnchorAsync(s, Posting.Reversal, ct).ConfigureAwait(false));
        if (posted) return false;
        await PostAsync(s, Posting.Journal, ct).ConfigureAwait(false);
        await PostAsync(s, Posting.Reversal, ct).ConfigureAwait(false);
        return true;
    }

    private async Task<bool> AtAnchorAsync(SettlementRecord s, Posting entry, CancellationToken ct)
    {
        var partition = LedgerRows.Partition(ClearingPeriod.Of(Anchor(s, entry)), RegionCode.Parse(s.HomeRegion), RegionCode.Parse(s.TreatmentRegion), LedgerRows.Shard(s.SettlementId));
        var row = await _ledgerTable.GetEntityIfExistsAsync<TableEntity>(partition, LedgerRows.JournalRow(s.SettlementId, (int)entry), ["PartitionKey"], ct).ConfigureAwait(false);
        return row.HasValue;
    }
}
