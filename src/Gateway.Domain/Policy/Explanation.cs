using System.Globalization;

namespace Gateway.Domain;

/// <summary>One step of an explanation: a stable code, the line it concerns (if any), the amount, and a sentence.</summary>
public sealed record ExplanationStep(string Code, int? LineNo, decimal Amount, string Text);

internal static class Explanation
{
    private static string M(decimal v) => v.ToString("#,##0.00", CultureInfo.InvariantCulture);

    private static string P(decimal r) => (r * 100m).ToString("0.##", CultureInfo.InvariantCulture) + "%";

    public static IReadOnlyList<ExplanationStep> Build(SettlementResult r)
    {
        var steps = new List<ExplanationStep>(r.Priced.Lines.Length + 12);
        foreach (var l in r.Priced.Lines)
        {
            var text = l.Pricing switch
            {
                LinePricing.NotInCatalog => $"{l.ItemCode}: not in the treatment region's catalog on the service date; {M(l.Amount)} is full self-pay (全自费).",
                LinePricing.ClassC => $"{l.ItemCode}: class C (丙), not covered; {M(l.Amount)} is full self-pay (全自费).",
                _ => $"{l.ItemCode}: class {(l.Pricing == LinePricing.ClassA ? "A (甲)" : "B (乙)")}"
                     + (l.OverLimitSelfPay > 0 ? $"; price above the ceiling {M(l.PriceCeiling ?? 0)}: {M(l.OverLimitSelfPay)} over-limit self-pay (超限价自费)" : "")
                     + (l.PreSelfPay > 0 ? $"; pre-self-pay {P(l.PreSelfPayRatio)}: {M(l.PreSelfPay)} (先行自付)" : "")
                     + $"; {M(l.InScope)} in scope (政策范围内).",
            };
            steps.Add(new ExplanationStep("line." + l.Pricing switch
            {
                LinePricing.ClassA => "classA",
                LinePricing.ClassB => "classB",
                LinePricing.ClassC => "classC",
                _ => "notInCatalog",
            }, l.LineNo, l.Amount, text));
        }
        var s = r.Split;
        var n = r.Notes;
        steps.Add(new ExplanationStep("total", null, s.Total,
            $"Total {M(s.Total)} = full self-pay {M(s.FullSelfPay)} + over-limit {M(s.OverLimitSelfPay)} + pre-self-pay {M(s.PreSelfPay)} + in scope {M(s.InScope)}; catalog {r.CatalogVersion}."));
        var ded = $"Deductible (起付线) due {M(r.DeductibleDue)}";
        if (n.HasFlag(SettlementNotes.SecondAdmission)) ded += " (second or later admission this year: the pack's factor applies)";
        if (n.HasFlag(SettlementNotes.UpwardReferral)) ded += n.HasFlag(SettlementNotes.ReferringSettlementUnknown)
            ? " (upward referral, but the referring settlement is unknown: the full deductible is due)"
            : " (upward referral: only the difference to the deductible already paid is due)";
        if (n.HasFlag(SettlementNotes.DownwardReferral)) ded += " (downward referral: no new deductible)";
        steps.Add(new ExplanationStep("deductible", null, s.Deductible, ded + $"; applied {M(s.Deductible)}."));
        var ratio = $"Basic fund (统筹基金) ratio {P(r.Ratio)}";
        if (n.HasFlag(SettlementNotes.RetireeUplift)) ratio += ", including the retiree uplift";
        if (n.HasFlag(SettlementNotes.SpecialDiseaseReplaced)) ratio += $", replaced by the special-disease rule '{r.SpecialDiseaseRule}'";
        if (n.HasFlag(SettlementNotes.SpecialDiseaseAdded)) ratio += $", raised by the special-disease rule '{r.SpecialDiseaseRule}'";
        if (n.HasFlag(SettlementNotes.Unfiled)) ratio += ", lowered because the member has no filing (备案) for the treatment region";
        if (n.HasFlag(SettlementNotes.EmergencyCountsAsFiled)) ratio += " (emergency: counts as filed)";
        if (n.HasFlag(SettlementNotes.WithinProvinceNoFilingNeeded)) ratio += " (no filing, but none is needed inside the home province: 省内就医免备案)";
        steps.Add(new ExplanationStep("basicFund", null, s.BasicFund,
            ratio + $": ({M(s.InScope)} − {M(s.Deductible)}) × {P(r.Ratio)} = {M(s.BasicFund + s.CapShortfall)}"
            + (s.CapShortfall > 0 ? $"; the annual cap allows {M(s.BasicFund)} (short {M(s.CapShortfall)})." : ".")));
        if (s.SupplementaryFund > 0 || s.CapShortfall > 0)
            steps.Add(new ExplanationStep("supplementaryFund", null, s.SupplementaryFund, $"Supplementary fund (补充) pays {M(s.SupplementaryFund)} of the cap shortfall {M(s.CapShortfall)}."));
        var major = $"Major-illness insurance (大病保险) pays {M(s.MajorIllnessFund)}";
        if (n.HasFlag(SettlementNotes.MajorIllnessNotEnrolled)) major += ": the member is not enrolled";
        else if (n.HasFlag(SettlementNotes.MajorIllnessNotThisEncounterType)) major += ": not for this encounter type";
        else
        {
            major += $" on a qualifying burden of {M(r.Delta.MajorQualifying)} (cumulative this year {M(r.Before.MajorQualifying + r.Delta.MajorQualifying)}, threshold {M(r.MajorIllnessThreshold)})";
            if (n.HasFlag(SettlementNotes.MajorIllnessCategoryTerms)) major += "; the member's assistance category has its own terms";
            if (r.OutOfCatalogLines.Count > 0)
                major += $"; {M(r.MajorIllnessOutOfCatalog)} of it on the listed out-of-catalog items of line{(r.OutOfCatalogLines.Count == 1 ? "" : "s")} "
                         + string.Join(", ", r.OutOfCatalogLines) + $" at {P(r.OutOfCatalogRatio)}";
        }
        if (n.HasFlag(SettlementNotes.MajorIllnessCapReached)) major += "; its annual cap is reached";
        steps.Add(new ExplanationStep("majorIllnessFund", null, s.MajorIllnessFund, major + "."));
        if (r.OutOfCatalogLines.Count > 0)
        {
            foreach (var l in r.Priced.Lines)
            {
                if (!r.OutOfCatalogLines.Contains(l.LineNo)) continue;
                steps.Add(new ExplanationStep("majorIllnessFund.outOfCatalog", l.LineNo, l.FullSelfPay,
                    $"{l.ItemCode}: outside the catalog, listed by the major-illness insurance (重疾补充): {M(l.FullSelfPay)} paid at {P(r.OutOfCatalogRatio)}."));
            }
        }
        steps.Add(new ExplanationStep("assistanceFund", null, s.AssistanceFund,
            $"Medical assistance (医疗救助) pays {M(s.AssistanceFund)}" + (r.Delta.AssistanceQualifying > 0 ? $" on a burden of {M(r.Delta.AssistanceQualifying)}" : "")
            + (r.BurdenCeilingPaid > 0 ? $", of which {M(r.BurdenCeilingPaid)} by the personal-burden ceiling" : "")
            + (n.HasFlag(SettlementNotes.AssistanceCapReached) ? "; its annual cap is reached." : ".")));
        if (n.HasFlag(SettlementNotes.BurdenCeilingApplies))
        {
            var personal = s.InScope - s.BasicFund - s.SupplementaryFund - (s.MajorIllnessFund - r.MajorIllnessOutOfCatalog) - s.AssistanceFund;
            steps.Add(new ExplanationStep("assistanceFund.burdenCeiling", null, r.BurdenCeilingPaid,
                $"Personal-burden ceiling (个人负担封顶) {P(r.BurdenCeilingShare)} of the in-scope {M(s.InScope)}: the assistance fund adds {M(r.BurdenCeilingPaid)}; "
                + $"the personal in-scope share is {M(personal)}"
                + (n.HasFlag(SettlementNotes.BurdenCeilingCapBound) ? " (a cap limited the top-up)." : ".")));
        }
        if (n.HasFlag(SettlementNotes.CombinedCapReached))
            steps.Add(new ExplanationStep("combinedCap", null, s.FundTotal, "The combined annual cap (综合保障额度) limited the fund layers."));
        steps.Add(new ExplanationStep("accountPay", null, s.AccountPay, n.HasFlag(SettlementNotes.AccountUsed)
            ? $"Personal account (个人账户) pays {M(s.AccountPay)}."
            : n.HasFlag(SettlementNotes.AccountNotAllowed) ? "The personal account is not available to this member under the pack." : "The personal account was not requested."));
        steps.Add(new ExplanationStep("cashPay", null, s.CashPay,
            $"Cash at the counter (个人现金) {M(s.CashPay)} = {M(s.Total)} − funds {M(s.FundTotal)} − account {M(s.AccountPay)}; pack {r.PackId} v{r.PackVersion}."));
        return steps;
    }
}
