using System.Globalization;
using Gateway.Contracts;
using Gateway.Domain;
using Gateway.Handler.Hosting;
using Gateway.Handler.Intake;
using Gateway.Handler.Problems;
using Gateway.Storage;

namespace Gateway.Handler.Clearing;

public sealed record ReviewRequest
{
    public string? Reason { get; init; }
    /// <summary>Refuse: the amount refused (default the whole fund share); accept: none.</summary>
    public decimal? Amount { get; init; }
}

/// <summary>
/// Review after settlement (事后审核, spec §10.3): the flagged settlements of a home region listed for its clearing users, and their
/// decisions. A refusal (拒付) posts the clearing adjustment (LedgerStore.AdjustAsync: balanced, sequence 2) that takes the refused
/// amount out of what the home region owes the treatment region; the patient's counter payment and the member's accumulators are
/// untouched. Every decision is kept (who, when, why) and shows on the settlement for its hospital.
/// </summary>
public sealed class Reviews(ReviewStore reviews, LedgerStore ledger, SettlementStore settlements, TimeProvider clock)
{
    public const int MaxReason = 1000;

    /// <summary>The review item of a completed settlement with flags (null when nothing was flagged).</summary>
    public static ReviewItem? ItemFor(SettlementRecord s)
    {
        var flags = Flags(s);
        if (flags.Count == 0 || s.Outcome is null) return null;
        var split = GatewayJson.Deserialize<SettlementOutcomeDto>(s.Outcome).Split;
        var share = split.BasicFund + split.SupplementaryFund + split.MajorIllnessFund + split.AssistanceFund;
        return new ReviewItem(s.HomeRegion, s.SettlementId, s.TreatmentRegion, s.HospitalCode, s.ServiceDate,
            ClearingPeriod.Of(SettlementPostings.Anchor(s, Posting.Journal)).ToString(), share, GatewayJson.Serialize(flags), ReviewStatus.Flagged, [], false);
    }

    /// <summary>Every flag a settlement carries: those of the intake, then those of the home region.</summary>
    public static List<AuditFindingDto> Flags(SettlementRecord s)
    {
        var list = s.AuditFlags is null ? [] : GatewayJson.Deserialize<List<AuditFindingDto>>(s.AuditFlags);
        if (s.Outcome is not null) list.AddRange(GatewayJson.Deserialize<SettlementOutcomeDto>(s.Outcome).AuditFlags());
        return list;
    }

    public static ReviewItemView Json(ReviewItem r) => new(r.SettlementId, r.HomeRegion, r.TreatmentRegion, r.HospitalCode,
        r.ServiceDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), r.Period, r.FundShare, r.Status,
        GatewayJson.Deserialize<List<AuditFindingDto>>(r.FindingsJson),
        r.Decisions.Select(d => new ReviewDecisionView(d.Decision, d.Amount, d.Reason, d.By, d.At)).ToList());

    /// <summary>The home region's items; a refusal whose adjustment was interrupted is posted now (idempotent).</summary>
    public async Task<List<ReviewItem>> ListAsync(string home, string? status, CancellationToken ct)
    {
        var items = await reviews.ForHomeAsync(home, status, ct).ConfigureAwait(false);
        for (var i = 0; i < items.Count; i++)
            if (items[i] is { Status: ReviewStatus.Refused, Adjusted: false } stuck) items[i] = await PostAdjustmentAsync(stuck, ct).ConfigureAwait(false);
        return items;
    }

    public async Task<IResult> DecideAsync(string home, string settlementId, string action, ReviewRequest body, ClearingUser user, CancellationToken ct)
    {
        if (action is not ("accept" or "refuse")) return ProblemTypes.NotFound($"No action '{action}'.").ToResult();
        var item = await reviews.GetAsync(home, settlementId, ct).ConfigureAwait(false);
        if (item is null) return ProblemTypes.NotFound($"No flagged settlement '{settlementId}' of home region {home}.").ToResult();
        var errors = new List<FieldError>();
        if (string.IsNullOrWhiteSpace(body.Reason)) errors.Add(new("/reason", "A decision gives its reason."));
        else if (body.Reason.Length > MaxReason) errors.Add(new("/reason", $"At most {MaxReason} characters."));
        var amount = action == "refuse" ? body.Amount ?? item.FundShare : 0m;
        if (action == "accept" && body.Amount is not null) errors.Add(new("/amount", "An acceptance refuses nothing: send no amount."));
        if (action == "refuse" && (amount <= 0m || amount > item.FundShare || decimal.Round(amount, 2) != amount))
            errors.Add(new("/amount", $"The amount refused: 0.01 to {item.FundShare:0.00} (the settlement's fund share), two decimals."));
        if (errors.Count > 0) return ProblemTypes.Validation(errors).ToResult();
        if (item.Status != ReviewStatus.Flagged)
            return new Problem("review-decided", 409, "Already decided", $"Settlement {settlementId} was {item.Status} on {item.Decisions.LastOrDefault()?.At:O}; a decision is final.").ToResult();
        if (!Keys.TrySplitSettlementKey(settlementId, out var hospital, out var id) || await settlements.GetAsync(hospital, id, ct).ConfigureAwait(false) is not { Status: SettlementStatus.Completed })
            return new Problem("review-not-completed", 409, "Not a completed settlement", $"Settlement {settlementId} is no longer completed (cancelled): there is nothing to refuse.").ToResult();
        if (!ClearingPeriod.TryParse(item.Period, out var period) || await ledger.IsClosedAsync(period, ct).ConfigureAwait(false))
            return new Problem("period-closed", 409, "The period is closed", $"The settlement's period {item.Period} is closed: it is reviewed only while its period is open.").ToResult();
        var decision = new ReviewDecision(action == "accept" ? "accepted" : "refused", amount, body.Reason!.Trim(), user.Name, clock.GetUtcNow());
        var next = item with { Status = action == "accept" ? ReviewStatus.Accepted : ReviewStatus.Refused, Decisions = [.. item.Decisions, decision], Adjusted = false };
        if (!await reviews.ReplaceAsync(item, next, ct).ConfigureAwait(false))
            return new Problem("review-decided", 409, "Already decided", $"Settlement {settlementId} was decided by someone else meanwhile.").ToResult();
        if (next.Status == ReviewStatus.Refused) next = await PostAdjustmentAsync((await reviews.GetAsync(home, settlementId, ct).ConfigureAwait(false))!, ct).ConfigureAwait(false);
        return GatewayResults.Json(Json(next));
    }

    private async Task<ReviewItem> PostAdjustmentAsync(ReviewItem refused, CancellationToken ct)
    {
        var amount = refused.Decisions.Last(d => d.Decision == "refused").Amount;
        await ledger.AdjustAsync(refused.SettlementId, amount, ct).ConfigureAwait(false);
        var done = refused with { Adjusted = true };
        return await reviews.ReplaceAsync(refused, done, ct).ConfigureAwait(false) ? done : refused;
    }
}

/// <summary>A flagged settlement as its home region's reviewers see it: the rules that fired, the fund share, the status and every decision.</summary>
public sealed record ReviewItemView(string SettlementId, string HomeRegion, string TreatmentRegion, string HospitalCode, string ServiceDate, string Period,
    decimal FundShare, string Status, List<AuditFindingDto> Rules, List<ReviewDecisionView> Decisions);
