using Gateway.Contracts;
using Gateway.Domain;
using Gateway.Handler.Problems;
using Gateway.Handler.Reference;
using Gateway.Storage;

namespace Gateway.Handler.Intake;

/// <summary>Turns a hospital's request into a domain encounter, or the complete list of field errors.</summary>
public static class SettlementRequestValidator
{
    public const int MaxLines = 2_000;

    public static (Encounter? Encounter, List<FieldError> Errors) Validate(SettlementRequest r, Hospital hospital)
    {
        var errors = new List<FieldError>();
        if (!Keys.IsValidId(r.HospitalSettlementId)) errors.Add(new("/hospitalSettlementId", "Required: 1–64 characters of [A-Za-z0-9_-]."));
        if (r.Member is null) errors.Add(new("/member", "Required."));
        else
        {
            if (!RegionCode.TryParse(r.Member.HomeRegion, out _)) errors.Add(new("/member/homeRegion", "Required: a six-digit region code."));
            if (!Keys.IsValidId(r.Member.MemberId)) errors.Add(new("/member/memberId", "Required: 1–64 characters of [A-Za-z0-9_-]."));
        }
        if (r.CallbackUrl is not null && (!Uri.TryCreate(r.CallbackUrl, UriKind.Absolute, out var cb) || cb.Scheme is not ("https" or "http")))
            errors.Add(new("/callbackUrl", "Must be an absolute http(s) URL."));
        var e = r.Encounter;
        if (e is null)
        {
            errors.Add(new("/encounter", "Required."));
            return (null, errors);
        }
        if (!DomainNames.TryParseEncounterType(e.EncounterType, out var type))
            errors.Add(new("/encounter/encounterType", "Required: inpatient or specialOutpatient."));
        DateOnly admission = default, discharge = default;
        if (type == EncounterType.SpecialOutpatient)
        {
            var visit = e.VisitDate ?? e.AdmissionDate;
            if (visit is null) errors.Add(new("/encounter/visitDate", "Required for a special-outpatient visit."));
            else admission = discharge = visit.Value;
            if (string.IsNullOrWhiteSpace(e.SpecialDiseaseCode)) errors.Add(new("/encounter/specialDiseaseCode", "Required for a special-outpatient visit."));
        }
        else
        {
            if (e.AdmissionDate is null) errors.Add(new("/encounter/admissionDate", "Required."));
            if (e.DischargeDate is null) errors.Add(new("/encounter/dischargeDate", "Required."));
            admission = e.AdmissionDate ?? default;
            discharge = e.DischargeDate ?? default;
        }
        if (e.Diagnoses is null || e.Diagnoses.Count == 0) errors.Add(new("/encounter/diagnoses", "At least one ICD-10 code; the first is the primary diagnosis."));
        else
        {
            for (var i = 0; i < e.Diagnoses.Count; i++)
            {
                var d = e.Diagnoses[i];
                if (d is null || d.Length is < 3 or > 16 || !char.IsAsciiLetter(d[0])) errors.Add(new($"/encounter/diagnoses/{i}", "An ICD-10 code such as I21.9."));
            }
        }
        Referral? referral = null;
        if (e.Referral is not null)
        {
            if (!DomainNames.TryParseReferralType(e.Referral.Type, out var rt)) errors.Add(new("/encounter/referral/type", "upward or downward."));
            if (e.Referral.ReferringSettlementId is { } rid && !Keys.TrySplitSettlementKey(rid, out _, out _))
                errors.Add(new("/encounter/referral/referringSettlementId", "A gateway settlement id: hospitalCode~hospitalSettlementId."));
            referral = new Referral(rt, e.Referral.ReferringSettlementId, null);
        }
        var lines = new List<EncounterLine>();
        if (e.Lines is null || e.Lines.Count == 0) errors.Add(new("/encounter/lines", "At least one line."));
        else if (e.Lines.Count > MaxLines) errors.Add(new("/encounter/lines", $"At most {MaxLines} lines per settlement."));
        else
        {
            for (var i = 0; i < e.Lines.Count; i++)
            {
                var l = e.Lines[i];
                var at = $"/encounter/lines/{i}";
                if (l is null) { errors.Add(new(at, "A line object.")); continue; }
                if (string.IsNullOrWhiteSpace(l.ItemCode) || l.ItemCode.Length > 64) errors.Add(new(at + "/itemCode", "Required: the catalog item code (≤ 64 characters)."));
                if (l.Quantity is null) errors.Add(new(at + "/quantity", "Required."));
                if (l.UnitPrice is null) errors.Add(new(at + "/unitPrice", "Required."));
                if (l.Amount is null) errors.Add(new(at + "/amount", "Required."));
                if (l.Name is { Length: > 200 }) errors.Add(new(at + "/name", "At most 200 characters."));
                lines.Add(new EncounterLine(l.LineNo ?? i + 1, l.ItemCode ?? "", l.Name, l.Quantity ?? 0, l.UnitPrice ?? 0, l.Amount ?? 0));
            }
        }
        if (errors.Count > 0) return (null, errors);
        return (new Encounter(hospital.Code, hospital.Region, hospital.Level, type, admission, discharge, e.Diagnoses!, e.SpecialDiseaseCode,
            e.Emergency, e.UseAccount, referral, lines), errors);
    }
}
