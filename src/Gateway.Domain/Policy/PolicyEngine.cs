namespace Gateway.Domain;

/// <summary>
/// The home region's policy (spec §3, layers 1–8, in that order). Pure: the same inputs always give the
/// same split, to the cent. Each product is rounded once; everything else is exact addition.
/// </summary>
public static class PolicyEngine
{
    /// <summary>Throws <see cref="RejectedException"/> for member/encounter combinations that must be rejected.</summary>
    public static SettlementResult Evaluate(RulePack pack, PricedEncounter priced, MemberProfile member, AnnualAccumulators before)
    {
        var e = priced.Encounter;
        var date = e.ServiceDate;
        if (member.HomeRegion != pack.Region)
            throw Reject(RejectionCode.RulePackMissing, $"Pack {pack.PackId} is for region {pack.Region}, the member's home region is {member.HomeRegion}.");
        if (!pack.IsEffectiveOn(date))
            throw Reject(RejectionCode.RulePackMissing, $"Pack {pack.PackId} v{pack.Version} is not effective on {date:yyyy-MM-dd}.");
        if (member.Status == MemberStatus.Suspended)
            throw Reject(RejectionCode.CoverageSuspended, "The member's coverage is suspended.");
        if (member.HomeRegion == e.TreatmentRegion)
            throw Reject(RejectionCode.NotCrossRegion, "The hospital is in the member's own home region: this is not a cross-region settlement.");
        if (e.EncounterType == EncounterType.SpecialOutpatient && !member.HasSpecialDisease(e.SpecialDiseaseCode, date))
            throw Reject(RejectionCode.SpecialDiseaseNotRegistered, $"The member has no valid registration for special disease '{e.SpecialDiseaseCode}' on {date:yyyy-MM-dd}.");
        if (before.Year != date.Year)
            throw new ArgumentException($"Accumulators of {before.Year} given for a service date in {date.Year}.", nameof(before));

        var notes = SettlementNotes.None;
        var typeLevel = RulePack.Index(member.InsuranceType, e.HospitalLevel);
        var inScope = priced.InScope;
        var total = priced.Total;

        // 1. Deductible (起付线).
        decimal due;
        string? disease = null;
        if (e.EncounterType == EncounterType.Inpatient)
        {
            due = pack.Deductible.Inpatient[typeLevel];
            if (before.Admissions >= 1 && pack.Deductible.SecondAdmissionFactor != 1m)
            {
                due = Money.Round(due * pack.Deductible.SecondAdmissionFactor);
                notes |= SettlementNotes.SecondAdmission;
            }
            else if (before.Admissions >= 1) notes |= SettlementNotes.SecondAdmission;
        }
        else
        {
            disease = e.SpecialDiseaseCode;
            due = Money.NonNegative(pack.Deductible.SpecialOutpatientAnnual(disease) - before.SpecialDeductiblePaidFor(disease));
        }
        if (e.Referral is { } referral)
        {
            if (referral.Type == ReferralType.Downward)
            {
                due = 0m;
                notes |= SettlementNotes.DownwardReferral;
            }
            else
            {
                notes |= SettlementNotes.UpwardReferral;
                if (referral.ReferringDeductiblePaid is { } paid) due = Money.NonNegative(due - paid);
                else notes |= SettlementNotes.ReferringSettlementUnknown;
            }
        }
        var deductible = Money.Min(inScope, due);

        // 2. Basic fund (统筹基金): ratio, then the special-disease rule, then the unfiled penalty, clamped.
        var ratios = e.EncounterType == EncounterType.SpecialOutpatient && pack.Basic.SpecialOutpatientRatio is { } so ? so : pack.Basic.InpatientRatio;
        var ratio = ratios[typeLevel];
        if (member.Retired && member.InsuranceType == InsuranceType.Employee && pack.Basic.RetireeUplift != 0m)
        {
            ratio += pack.Basic.RetireeUplift;
            notes |= SettlementNotes.RetireeUplift;
        }
        string? ruleName = null;
        var rules = pack.Basic.SpecialDiseaseRules;
        var age = rules.Length > 0 ? member.AgeOn(e.AdmissionDate) : 0; // only the rules look at the age
        foreach (var rule in rules) // replacements are ordered first: a replacement wins over an addition
        {
            if (!rule.Matches(e.PrimaryDiagnosis, age)) continue;
            ruleName = rule.Name;
            if (rule.Mode == SpecialDiseaseMode.Replace)
            {
                ratio = rule.Ratio;
                notes |= SettlementNotes.SpecialDiseaseReplaced;
            }
            else
            {
                ratio += rule.Ratio;
                notes |= SettlementNotes.SpecialDiseaseAdded;
            }
            break;
        }
        if (!member.IsFiledFor(e.TreatmentRegion, date))
        {
            if (e.Emergency) notes |= SettlementNotes.EmergencyCountsAsFiled;
            else if (pack.Filing is { ExemptWithinProvince: true } && e.TreatmentRegion.SameProvinceAs(member.HomeRegion))
                notes |= SettlementNotes.WithinProvinceNoFilingNeeded; // §9.4 省内就医免备案
            else
            {
                ratio -= pack.Basic.UnfiledPenalty;
                notes |= SettlementNotes.Unfiled;
            }
        }
        ratio = ratio < 0m ? 0m : ratio > 1m ? 1m : ratio;

        // Without a combined cap nothing is limited by it (combinedLeft stays unused): no arithmetic on it then.
        var combinedCap = pack.CombinedAnnualCap?[RulePack.Index(member.InsuranceType)];
        var combined = combinedCap.HasValue;
        var combinedLeft = combinedCap is { } cc ? Money.NonNegative(cc - before.FundsPaid) : decimal.MaxValue;

        var wanted = Money.Round((inScope - deductible) * ratio);
        var basic = wanted;
        if (pack.Basic.AnnualCap(member) is { } bc)
        {
            basic = Money.Min(wanted, Money.NonNegative(bc - before.BasicPaid)); // on a tie Min gives the cap left, as before (same value, maybe another scale)
            if (basic < wanted) notes |= SettlementNotes.BasicCapReached;
        }
        if (combined)
        {
            if (basic > combinedLeft) { basic = combinedLeft; notes |= SettlementNotes.CombinedCapReached; }
            combinedLeft -= basic;
        }
        var shortfall = wanted - basic;

        // 3. Supplementary fund (补充, e.g. 地补): the part of the shortfall its ratio covers, within its cap.
        var supplementary = 0m;
        if (pack.Supplementary is { } sup && shortfall > 0m)
        {
            supplementary = Money.Round(shortfall * sup.Ratio);
            var supLeft = sup.AnnualCap is { } sc ? Money.NonNegative(sc - before.SupplementaryPaid) : decimal.MaxValue;
            if (supplementary > supLeft) { supplementary = supLeft; notes |= SettlementNotes.SupplementaryCapReached; }
            if (combined)
            {
                if (supplementary > combinedLeft) { supplementary = combinedLeft; notes |= SettlementNotes.CombinedCapReached; }
                combinedLeft -= supplementary;
            }
        }

        // 4. Major-illness insurance (大病保险): annual and cumulative over the in-scope personal burden, with the member's
        // category terms (§9.2), plus the listed out-of-catalog items (§9.1), the two together within the caps.
        var major = 0m;
        var majorInScope = 0m;
        var majorOutOfCatalog = 0m;
        var majorQualifying = 0m;
        var majorThreshold = 0m;
        int[]? outOfCatalogLines = null;
        if (pack.MajorIllness is { } mi)
        {
            if (mi.EnrolmentRequired && !member.MajorIllnessEnrolled) notes |= SettlementNotes.MajorIllnessNotEnrolled;
            else if (!mi.Covers(e.EncounterType)) notes |= SettlementNotes.MajorIllnessNotThisEncounterType;
            else
            {
                var threshold = mi.Threshold;
                var segments = mi.Segments;
                var capped = mi.AnnualCap is not null;
                if (mi.TermsFor(member.AssistanceCategory) is { } ct)
                {
                    threshold = Money.Round(threshold * ct.ThresholdFactor);
                    if (ct.RatioPoints != 0m) segments = Raised(segments, ct.RatioPoints);
                    if (ct.NoCap) capped = false;
                    notes |= SettlementNotes.MajorIllnessCategoryTerms;
                }
                majorThreshold = threshold;
                majorQualifying = Money.NonNegative(inScope - basic - supplementary);
                var inScopePart = Money.Round(Cumulative(segments, threshold, before.MajorQualifying + majorQualifying)
                                              - Cumulative(segments, threshold, before.MajorQualifying));
                var outPart = 0m;
                if (mi.OutOfCatalog is { } oc && priced.FullSelfPay > 0m)
                {
                    var o = 0m;
                    List<int>? paidLines = null;
                    foreach (var l in priced.Lines)
                    {
                        if (!oc.Lists(l)) continue;
                        o += l.FullSelfPay;
                        (paidLines ??= []).Add(l.LineNo);
                    }
                    if (paidLines is not null)
                    {
                        outPart = Money.Round(o * oc.Ratio);
                        outOfCatalogLines = paidLines.ToArray();
                    }
                }
                major = inScopePart + outPart;
                var left = capped ? Money.NonNegative(mi.AnnualCap!.Value - before.MajorPaid) : decimal.MaxValue;
                if (major > left) { major = left; notes |= SettlementNotes.MajorIllnessCapReached; }
                if (combined)
                {
                    if (major > combinedLeft) { major = combinedLeft; notes |= SettlementNotes.CombinedCapReached; }
                    combinedLeft -= major;
                }
                // A cap takes from the out-of-catalog part first: the in-scope payment came first ("on top of" it).
                majorInScope = Money.Min(inScopePart, major);
                majorOutOfCatalog = major - majorInScope;
            }
        }

        // 5. Medical assistance (医疗救助) by category, then the personal-burden ceiling (§9.3).
        var assistance = 0m;
        var assistanceQualifying = 0m;
        var ceilingPaid = 0m;
        if (pack.Assistance is { } ar)
        {
            var left = ar.AnnualCap is { } ac ? Money.NonNegative(ac - before.AssistancePaid) : decimal.MaxValue;
            if (ar.Categories[(int)member.AssistanceCategory] is { } terms)
            {
                // In scope: the out-of-catalog payment paid no in-scope amount, so it does not lower the in-scope burden.
                var fundsSoFar = ar.Base == AssistanceBase.InScope ? basic + supplementary + majorInScope : basic + supplementary + major;
                assistanceQualifying = Money.NonNegative((ar.Base == AssistanceBase.InScope ? inScope : total) - fundsSoFar);
                var q = before.AssistanceQualifying;
                assistance = Money.Round(terms.Ratio * (Money.NonNegative(q + assistanceQualifying - terms.Threshold) - Money.NonNegative(q - terms.Threshold)));
                if (assistance > left) { assistance = left; notes |= SettlementNotes.AssistanceCapReached; }
                if (combined && assistance > combinedLeft) { assistance = combinedLeft; notes |= SettlementNotes.CombinedCapReached; }
                left -= assistance;
                if (combined) combinedLeft -= assistance;
            }
            if (ar.BurdenCeiling is { } ceiling && ceiling.AppliesTo(member.AssistanceCategory, e.EncounterType, e.SpecialDiseaseCode))
            {
                var personal = inScope - (basic + supplementary + majorInScope + assistance);
                var most = Money.Round(inScope * ceiling.MaxShare);
                notes |= SettlementNotes.BurdenCeilingApplies;
                if (personal > most)
                {
                    ceilingPaid = personal - most;
                    if (ceilingPaid > left) { ceilingPaid = left; notes |= SettlementNotes.AssistanceCapReached | SettlementNotes.BurdenCeilingCapBound; }
                    if (combined && ceilingPaid > combinedLeft) { ceilingPaid = combinedLeft; notes |= SettlementNotes.CombinedCapReached | SettlementNotes.BurdenCeilingCapBound; }
                    assistance += ceilingPaid;
                }
            }
        }

        // 7. Personal account (个人账户).
        var funds = basic + supplementary + major + assistance;
        var account = 0m;
        if (e.UseAccount)
        {
            if (pack.PersonalAccountAllowed && member.InsuranceType == InsuranceType.Employee)
            {
                account = Money.Min(Money.NonNegative(member.AccountBalance), total - funds);
                notes |= SettlementNotes.AccountUsed;
            }
            else notes |= SettlementNotes.AccountNotAllowed;
        }

        // 8. Cash.
        var cash = total - funds - account;
        var split = new SettlementSplit(total, priced.FullSelfPay, priced.OverLimitSelfPay, priced.PreSelfPay, inScope, deductible,
            basic, supplementary, major, assistance, account, cash, shortfall);
        var delta = new AccumulatorDelta(date.Year, e.EncounterType == EncounterType.Inpatient ? 1 : 0, basic, supplementary,
            majorQualifying, major, assistanceQualifying, assistance, funds, disease, disease is null ? 0m : deductible, account);
        return new SettlementResult(split, ratio, due, delta, before, pack.PackId, pack.Version, priced.CatalogVersion, notes, ruleName, priced)
        {
            MajorIllnessThreshold = majorThreshold,
            MajorIllnessOutOfCatalog = majorOutOfCatalog,
            OutOfCatalogLines = outOfCatalogLines ?? [],
            OutOfCatalogRatio = pack.MajorIllness?.OutOfCatalog?.Ratio ?? 0m,
            BurdenCeilingPaid = ceilingPaid,
            BurdenCeilingShare = pack.Assistance?.BurdenCeiling?.MaxShare ?? 0m,
        };
    }

    /// <summary>The segments with <paramref name="points"/> added to every ratio, at most 100% (§9.2).</summary>
    private static Segment[] Raised(Segment[] segments, decimal points)
    {
        var raised = new Segment[segments.Length];
        for (var i = 0; i < segments.Length; i++)
        {
            var s = segments[i];
            raised[i] = s with { Ratio = Money.Min(1m, s.Ratio + points) };
        }
        return raised;
    }

    /// <summary>f(x) = Σ ratioᵢ × |[0, max(0, x − T)] ∩ segmentᵢ|: the cumulative benefit on x (spec §3.4).</summary>
    internal static decimal Cumulative(Segment[] segments, decimal threshold, decimal x)
    {
        var above = x - threshold;
        if (above <= 0m) return 0m;
        var sum = 0m;
        foreach (var s in segments)
        {
            if (above <= s.From) break;
            var upper = s.To is { } to && to < above ? to : above;
            sum += (upper - s.From) * s.Ratio;
        }
        return sum;
    }

    private static RejectedException Reject(RejectionCode code, string detail) => new(new Rejection(code, detail));
}
