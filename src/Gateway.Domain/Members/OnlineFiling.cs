namespace Gateway.Domain;

/// <summary>
/// 秒备案 (spec §9.5): a treating hospital files a cross-region filing (备案) for a patient of another region, for the
/// hospital's own treatment region. The home region decides: the member must be known and covered, and its pack must allow
/// online filing; the filing is then valid from the day it was filed for the pack's number of days (inclusive).
/// </summary>
public static class OnlineFiling
{
    /// <summary>The filing to record, or the typed refusal. <paramref name="member"/> null = not in the registry.</summary>
    public static (Filing? Filing, Rejection? Refusal) Decide(RulePackSet packs, RegionCode home, RegionCode treatment, MemberProfile? member, DateOnly filedOn)
    {
        if (member is null)
            return (null, new Rejection(RejectionCode.UnknownMember, "The member is not insured in the home region."));
        if (member.HomeRegion != home)
            return (null, new Rejection(RejectionCode.UnknownMember, $"The member is not insured in region {home}."));
        if (member.Status == MemberStatus.Suspended)
            return (null, new Rejection(RejectionCode.CoverageSuspended, "The member's coverage is suspended."));
        if (home == treatment)
            return (null, new Rejection(RejectionCode.NotCrossRegion, "The hospital is in the member's own home region: no filing is needed."));
        var pack = packs.Find(home, filedOn);
        if (pack is null)
            return (null, new Rejection(packs.Knows(home) ? RejectionCode.RulePackMissing : RejectionCode.UnknownHomeRegion,
                packs.Knows(home) ? $"No rule pack of region {home} is effective on {filedOn:yyyy-MM-dd}." : $"Region {home} is not a known home region."));
        if (pack.Filing?.OnlineValidityDays is not { } days)
            return (null, new Rejection(RejectionCode.OnlineFilingNotAllowed, $"Region {home} ({pack.PackId} v{pack.Version}) does not take filings from hospitals online."));
        return (new Filing(treatment, filedOn, filedOn.AddDays(days - 1)), null);
    }
}
