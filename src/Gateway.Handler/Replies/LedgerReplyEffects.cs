using Gateway.Contracts;
using Gateway.Domain;
using Gateway.Handler.Hosting;
using Gateway.Storage;

namespace Gateway.Handler.Replies;

/// <summary>
/// A completed settlement posts one balanced journal entry; a cancelled one also posts its exact reversal. The
/// anchors (completion and cancellation instants) are stored on the settlement, so a replay finds the same
/// entries and posts nothing twice.
/// </summary>
public sealed class LedgerReplyEffects(LedgerStore ledger) : IReplyEffects
{
    public async Task ApplyAsync(SettlementRecord s, EvaluationReplyMessage reply, InvocationResult result, CancellationToken ct)
    {
        if (s.Status is not (SettlementStatus.Completed or SettlementStatus.Cancelled) || s.Outcome is null) return;
        var split = GatewayJson.Deserialize<SettlementOutcomeDto>(s.Outcome).Split;
        var posting = new LedgerPosting(s.SettlementId, s.HospitalCode, RegionCode.Parse(s.HomeRegion), RegionCode.Parse(s.TreatmentRegion),
            new FundAmounts(split.BasicFund, split.SupplementaryFund, split.MajorIllnessFund, split.AssistanceFund, split.AccountPay), split.Total, split.CashPay);
        var entry = await ledger.PostAsync(posting, s.CompletedAt ?? s.SubmittedAt, ct).ConfigureAwait(false);
        result.Logs.Add($"ledger: {s.SettlementId} posted in {entry.Period}");
        if (s.Status == SettlementStatus.Cancelled)
        {
            var reversal = await ledger.ReverseAsync(s.SettlementId, s.CancelledAt ?? s.CompletedAt ?? s.SubmittedAt, ct).ConfigureAwait(false);
            result.Logs.Add($"ledger: {s.SettlementId} reversed in {reversal.Period}");
        }
    }
}
