namespace Gateway.Domain;

/// <summary>One billed line as the hospital sends it.</summary>
public sealed record EncounterLine(int LineNo, string ItemCode, string? Name, decimal Quantity, decimal UnitPrice, decimal Amount)
{
    /// <summary>Traceability codes (追溯码, spec §10.1): one per unit of a drug or material line; empty when none were scanned.</summary>
    public IReadOnlyList<string> TraceCodes { get; init; } = [];
}

/// <summary>
/// A referral (转诊). Upward continues the deductible: only what the referring settlement did not pay is due.
/// <see cref="ReferringDeductiblePaid"/> is null when the referring settlement is unknown (the full deductible is due).
/// </summary>
public sealed record Referral(ReferralType Type, string? ReferringSettlementId, decimal? ReferringDeductiblePaid);

/// <summary>
/// An encounter as the hospital sends it (spec §2). For special outpatient the visit date is both
/// <see cref="AdmissionDate"/> and <see cref="DischargeDate"/>.
/// </summary>
public sealed record Encounter(
    string HospitalCode,
    RegionCode TreatmentRegion,
    HospitalLevel HospitalLevel,
    EncounterType EncounterType,
    DateOnly AdmissionDate,
    DateOnly DischargeDate,
    IReadOnlyList<string> Diagnoses,
    string? SpecialDiseaseCode,
    bool Emergency,
    bool UseAccount,
    Referral? Referral,
    IReadOnlyList<EncounterLine> Lines)
{
    /// <summary>The service date: discharge (inpatient) or visit date; it picks the catalog, the pack and the accumulator year.</summary>
    public DateOnly ServiceDate => DischargeDate;

    public string? PrimaryDiagnosis => Diagnoses.Count > 0 ? Diagnoses[0] : null;
}
