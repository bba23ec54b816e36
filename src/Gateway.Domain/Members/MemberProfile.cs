namespace Gateway.Domain;

/// <summary>A registered special disease (门诊慢特病登记) valid between two dates (inclusive).</summary>
public sealed record SpecialDiseaseRegistration(string DiseaseCode, DateOnly ValidFrom, DateOnly? ValidTo)
{
    public bool IsValidOn(DateOnly date) => date >= ValidFrom && (ValidTo is null || date <= ValidTo);
}

/// <summary>A cross-region filing (异地就医备案) for one treatment region.</summary>
public sealed record Filing(RegionCode TreatmentRegion, DateOnly ValidFrom, DateOnly? ValidTo)
{
    public bool Covers(RegionCode region, DateOnly date) =>
        region == TreatmentRegion && date >= ValidFrom && (ValidTo is null || date <= ValidTo);
}

/// <summary>The member as the home region holds them (spec §2).</summary>
public sealed record MemberProfile(
    string MemberId,
    RegionCode HomeRegion,
    InsuranceType InsuranceType,
    bool Retired,
    DateOnly BirthDate,
    int ContinuousYears,
    AssistanceCategory AssistanceCategory,
    bool MajorIllnessEnrolled,
    IReadOnlyList<SpecialDiseaseRegistration> SpecialDiseases,
    IReadOnlyList<Filing> Filings,
    decimal AccountBalance,
    MemberStatus Status)
{
    public bool IsFiledFor(RegionCode treatmentRegion, DateOnly date)
    {
        var filings = Filings;
        for (var i = 0; i < filings.Count; i++) if (filings[i].Covers(treatmentRegion, date)) return true;
        return false;
    }

    public bool HasSpecialDisease(string? code, DateOnly date)
    {
        if (code is null) return false;
        foreach (var r in SpecialDiseases) if (r.DiseaseCode == code && r.IsValidOn(date)) return true;
        return false;
    }

    /// <summary>Age in whole years on <paramref name="date"/>.</summary>
    public int AgeOn(DateOnly date)
    {
        var age = date.Year - BirthDate.Year;
        if (date < BirthDate.AddYears(age)) age--;
        return age;
    }
}
