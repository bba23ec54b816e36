using System.Text.RegularExpressions;
using Gateway.Contracts;
using Gateway.Domain;
using Gateway.Handler.Problems;
using Gateway.Handler.Reference;
using Gateway.Handler.Security;
using Gateway.Storage;

namespace Gateway.Handler.Intake;

/// <summary>
/// Turns a hospital's request into a domain encounter, or the complete list of field errors. What it accepts is exactly
/// what the rest of the pipeline can carry: every string has a length limit and a form, every array a count limit, every
/// date is plausible and the encounter type has exactly its own dates, amounts have two decimals and quantities four. So
/// nothing a hospital sends can fail later in storage or at the home region (docs/security.md).
/// </summary>
public static partial class SettlementRequestValidator
{
    public const int MaxLines = 2_000;
    public const int MaxDiagnoses = 20;
    public const int MaxLineNo = 99_999;
    public const int MaxName = 200;
    public const int MaxCallbackUrl = 2_048;

    /// <summary>ICD-10, national extension included: a letter, two digits, optionally a dot and 1–8 more (I21.9, E11.900x001).</summary>
    [GeneratedRegex(@"^[A-Z][0-9]{2}(\.[0-9A-Za-z]{1,8})?$", RegexOptions.CultureInvariant)]
    private static partial Regex Icd10();

    /// <summary>Special-disease (门特) codes: 1–20 of letters, digits, dot, hyphen.</summary>
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9.\-]{0,19}$", RegexOptions.CultureInvariant)]
    private static partial Regex DiseaseCode();

    /// <summary>Catalog item codes: 1–64 of letters, digits, dot, underscore, hyphen.</summary>
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex ItemCode();

    public const int MaxTraceCodesPerLine = 1_000;

    /// <summary>A drug traceability code (追溯码): 20 digits (the national code length).</summary>
    [GeneratedRegex(@"^[0-9]{20}$", RegexOptions.CultureInvariant)]
    private static partial Regex TraceCode();

    public static (Encounter? Encounter, List<FieldError> Errors) Validate(SettlementRequest r, Hospital hospital, CallbackPolicy? callbacks = null)
    {
        var errors = new List<FieldError>();
        if (!Keys.IsValidId(r.HospitalSettlementId)) errors.Add(new("/hospitalSettlementId", "Required: 1–64 characters of [A-Za-z0-9_-]."));
        if (r.Member is null) errors.Add(new("/member", "Required."));
        else
        {
            if (!RegionCode.TryParse(r.Member.HomeRegion, out _)) errors.Add(new("/member/homeRegion", "Required: a six-digit region code."));
            if (!Keys.IsValidId(r.Member.MemberId)) errors.Add(new("/member/memberId", "Required: 1–64 characters of [A-Za-z0-9_-]."));
        }
        if (r.CallbackUrl is not null && (callbacks ?? CallbackPolicy.Strict).Check(r.CallbackUrl, hospital) is { } callbackError) errors.Add(new("/callbackUrl", callbackError));
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
            // A visit has one date: visitDate, and neither admission nor discharge date (never one silently dropped).
            if (e.VisitDate is null) errors.Add(new("/encounter/visitDate", "Required for a special-outpatient visit."));
            if (e.AdmissionDate is not null) errors.Add(new("/encounter/admissionDate", "A special-outpatient visit has one date, visitDate; send no admissionDate."));
            if (e.DischargeDate is not null) errors.Add(new("/encounter/dischargeDate", "A special-outpatient visit has one date, visitDate; send no dischargeDate."));
            admission = discharge = e.VisitDate ?? default;
            if (e.SpecialDiseaseCode is null) errors.Add(new("/encounter/specialDiseaseCode", "Required for a special-outpatient visit."));
        }
        else if (type == EncounterType.Inpatient)
        {
            if (e.AdmissionDate is null) errors.Add(new("/encounter/admissionDate", "Required."));
            if (e.DischargeDate is null) errors.Add(new("/encounter/dischargeDate", "Required."));
            if (e.VisitDate is not null) errors.Add(new("/encounter/visitDate", "An inpatient stay has admissionDate and dischargeDate; send no visitDate."));
            admission = e.AdmissionDate ?? default;
            discharge = e.DischargeDate ?? default;
        }
        if (e.SpecialDiseaseCode is { } sd && !DiseaseCode().IsMatch(sd))
            errors.Add(new("/encounter/specialDiseaseCode", "A special-disease code: 1–20 characters of letters, digits, '.', '-'."));
        if (e.Diagnoses is null || e.Diagnoses.Count == 0) errors.Add(new("/encounter/diagnoses", "At least one ICD-10 code; the first is the primary diagnosis."));
        else if (e.Diagnoses.Count > MaxDiagnoses) errors.Add(new("/encounter/diagnoses", $"At most {MaxDiagnoses} diagnoses."));
        else
        {
            for (var i = 0; i < e.Diagnoses.Count; i++)
            {
                var d = e.Diagnoses[i];
                if (d is null || !Icd10().IsMatch(d)) errors.Add(new($"/encounter/diagnoses/{i}", "An ICD-10 code such as I21.9 (a capital letter, two digits, optionally '.' and up to 8 more)."));
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
                if (l.LineNo is { } no && no is < 1 or > MaxLineNo) errors.Add(new(at + "/lineNo", $"A line number from 1 to {MaxLineNo}."));
                if (l.ItemCode is null || !ItemCode().IsMatch(l.ItemCode)) errors.Add(new(at + "/itemCode", "Required: the catalog item code (1–64 of letters, digits, '.', '_', '-')."));
                if (l.Name is { Length: > MaxName }) errors.Add(new(at + "/name", $"At most {MaxName} characters."));
                // Signs, sizes and precision of the figures are the domain's checks (typed rejections, spec §5).
                if (l.Quantity is null) errors.Add(new(at + "/quantity", "Required."));
                if (l.UnitPrice is null) errors.Add(new(at + "/unitPrice", "Required."));
                if (l.Amount is null) errors.Add(new(at + "/amount", "Required."));
                if (l.TraceCodes is { } tcs)
                {
                    if (l.Quantity is { } q && (q != decimal.Truncate(q) || q != tcs.Count))
                        errors.Add(new(at + "/traceCodes", "One traceability code per unit: the line's quantity is a whole number equal to the number of codes."));
                    else if (tcs.Count > MaxTraceCodesPerLine) errors.Add(new(at + "/traceCodes", $"At most {MaxTraceCodesPerLine} codes per line."));
                    for (var j = 0; j < tcs.Count && j < MaxTraceCodesPerLine; j++)
                    {
                        if (tcs[j] is null || !TraceCode().IsMatch(tcs[j])) errors.Add(new($"{at}/traceCodes/{j}", "A traceability code: 20 digits."));
                    }
                }
                lines.Add(new EncounterLine(l.LineNo ?? i + 1, l.ItemCode ?? "", l.Name, l.Quantity ?? 0, l.UnitPrice ?? 0, l.Amount ?? 0) { TraceCodes = l.TraceCodes ?? [] });
            }
        }
        if (errors.Count > 0) return (null, errors);
        return (new Encounter(hospital.Code, hospital.Region, hospital.Level, type, admission, discharge, e.Diagnoses!, e.SpecialDiseaseCode,
            e.Emergency, e.UseAccount, referral, lines), errors);
    }
}
