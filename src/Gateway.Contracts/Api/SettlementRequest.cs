namespace Gateway.Contracts;

/// <summary>
/// What a hospital submits (POST /api/v1/settlements). The hospital and its treatment region and level come
/// from the signing key, never from the body. Money is a string or a number; both are read exactly.
/// </summary>
public sealed record SettlementRequest
{
    /// <summary>The hospital's own settlement id: the idempotency key ([A-Za-z0-9_-], 1–64).</summary>
    public string? HospitalSettlementId { get; init; }
    public MemberReference? Member { get; init; }
    public EncounterDto? Encounter { get; init; }
    /// <summary>预结算: return the split and write nothing.</summary>
    public bool Trial { get; init; }
    /// <summary>Optional https URL the signed result is POSTed to on completion.</summary>
    public string? CallbackUrl { get; init; }
}

/// <summary>Who the patient is: their home region and member id there.</summary>
public sealed record MemberReference
{
    public string? HomeRegion { get; init; }
    public string? MemberId { get; init; }
}

public sealed record EncounterDto
{
    public string? EncounterType { get; init; }
    public DateOnly? AdmissionDate { get; init; }
    public DateOnly? DischargeDate { get; init; }
    /// <summary>Special outpatient: the visit date (instead of admission/discharge).</summary>
    public DateOnly? VisitDate { get; init; }
    public List<string>? Diagnoses { get; init; }
    public string? SpecialDiseaseCode { get; init; }
    public bool Emergency { get; init; }
    public bool UseAccount { get; init; }
    public ReferralDto? Referral { get; init; }
    public List<LineDto>? Lines { get; init; }
}

public sealed record ReferralDto
{
    public string? Type { get; init; }
    /// <summary>The gateway settlement id of the referring settlement (hospitalCode~hospitalSettlementId).</summary>
    public string? ReferringSettlementId { get; init; }
}

public sealed record LineDto
{
    public int? LineNo { get; init; }
    public string? ItemCode { get; init; }
    public string? Name { get; init; }
    public decimal? Quantity { get; init; }
    public decimal? UnitPrice { get; init; }
    public decimal? Amount { get; init; }
    /// <summary>Traceability codes (追溯码) of a drug or material line: one 20-digit code per unit (spec §10.1).</summary>
    public List<string>? TraceCodes { get; init; }
}
