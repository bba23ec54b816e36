using Gateway.Domain;

namespace Gateway.Contracts;

/// <summary>A member of a home region's registry as imported (JSON; the CSV import maps onto the same fields).</summary>
public sealed record MemberDto
{
    public string? MemberId { get; init; }
    public string? HomeRegion { get; init; }
    public string? InsuranceType { get; init; }
    public bool Retired { get; init; }
    public DateOnly? BirthDate { get; init; }
    public int ContinuousYears { get; init; }
    public string? AssistanceCategory { get; init; }
    public bool MajorIllnessEnrolled { get; init; }
    public List<SpecialDiseaseDto>? SpecialDiseases { get; init; }
    public List<FilingDto>? Filings { get; init; }
    public decimal AccountBalance { get; init; }
    public string? Status { get; init; }
    /// <summary>Certificate type (national psn_cert_type, e.g. 01 resident ID card): with <see cref="CertNo"/>, optional.</summary>
    public string? CertType { get; init; }
    /// <summary>Certificate number: kept only as a keyed hash (and masked), never in clear.</summary>
    public string? CertNo { get; init; }
    /// <summary>Name: kept only masked.</summary>
    public string? Name { get; init; }
    /// <summary>Gender, national gend: 1 male, 2 female, 9 unknown.</summary>
    public string? Gender { get; init; }

    /// <summary>The domain profile, or the list of problems (field path and what is wrong).</summary>
    public (MemberProfile? Member, List<(string Path, string Problem)> Errors) ToDomain()
    {
        var errors = new List<(string, string)>();
        if (string.IsNullOrWhiteSpace(MemberId) || MemberId.Length > 64 || MemberId.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
            errors.Add(("memberId", "1–64 characters of [A-Za-z0-9_-]"));
        if (!RegionCode.TryParse(HomeRegion, out var region)) errors.Add(("homeRegion", "a six-digit region code"));
        if (!DomainNames.TryParseInsuranceType(InsuranceType, out var type)) errors.Add(("insuranceType", "employee or resident"));
        if (BirthDate is null) errors.Add(("birthDate", "required (yyyy-MM-dd)"));
        if (ContinuousYears is < 0 or > 120) errors.Add(("continuousYears", "0–120"));
        var assistance = Domain.AssistanceCategory.None;
        if (AssistanceCategory is not null && !DomainNames.TryParseAssistanceCategory(AssistanceCategory, out assistance))
            errors.Add(("assistanceCategory", "none, destitute, minimumLiving, povertyRegistered or lowIncome"));
        var status = MemberStatus.Active;
        if (Status is not null && !DomainNames.TryParseMemberStatus(Status, out status)) errors.Add(("status", "active or suspended"));
        if (AccountBalance < 0) errors.Add(("accountBalance", "must not be negative"));
        var diseases = new List<SpecialDiseaseRegistration>();
        for (var i = 0; i < (SpecialDiseases?.Count ?? 0); i++)
        {
            var d = SpecialDiseases![i];
            if (string.IsNullOrWhiteSpace(d.Code) || d.ValidFrom is null) errors.Add(($"specialDiseases[{i}]", "code and validFrom are required"));
            else diseases.Add(new SpecialDiseaseRegistration(d.Code, d.ValidFrom.Value, d.ValidTo));
        }
        var filings = new List<Filing>();
        for (var i = 0; i < (Filings?.Count ?? 0); i++)
        {
            var f = Filings![i];
            if (!RegionCode.TryParse(f.TreatmentRegion, out var tr) || f.ValidFrom is null) errors.Add(($"filings[{i}]", "treatmentRegion and validFrom are required"));
            else filings.Add(new Filing(tr, f.ValidFrom.Value, f.ValidTo));
        }
        if (CertNo is not null && (CertNo.Trim().Length is < 4 or > 30 || CertNo.Any(c => !char.IsAsciiLetterOrDigit(c)))) errors.Add(("certNo", "4–30 letters or digits"));
        if (CertType is not null && (CertType.Length is < 2 or > 6 || !CertType.All(char.IsAsciiDigit))) errors.Add(("certType", "the national certificate type, 2–6 digits (01 resident ID card)"));
        if (CertNo is null && (CertType is not null || Name is not null)) errors.Add(("certNo", "required with certType or name"));
        if (Name is { Length: 0 or > 50 }) errors.Add(("name", "1–50 characters"));
        if (Gender is not null && Gender is not ("1" or "2" or "9")) errors.Add(("gender", "1, 2 or 9"));
        if (errors.Count > 0) return (null, errors);
        return (new MemberProfile(MemberId!, region, type, Retired, BirthDate!.Value, ContinuousYears, assistance, MajorIllnessEnrolled,
            diseases, filings, AccountBalance, status), errors);
    }
}

public sealed record SpecialDiseaseDto
{
    public string? Code { get; init; }
    public DateOnly? ValidFrom { get; init; }
    public DateOnly? ValidTo { get; init; }
}

public sealed record FilingDto
{
    public string? TreatmentRegion { get; init; }
    public DateOnly? ValidFrom { get; init; }
    public DateOnly? ValidTo { get; init; }
}
