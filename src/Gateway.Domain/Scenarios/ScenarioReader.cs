using System.Globalization;
using Newtonsoft.Json.Linq;

namespace Gateway.Domain;

/// <summary>
/// Maps a scenario object onto the domain types. Money is a string or a number, read exactly
/// (load the JSON with FloatParseHandling.Decimal). <c>filed: true</c> stands for a filing valid for the
/// treatment region on the service date.
/// </summary>
public static class ScenarioReader
{
    public static Scenario Read(JObject o)
    {
        var id = o.TryGetValue("id", out var idToken) && idToken.Type is JTokenType.String or JTokenType.Integer ? idToken.ToString() : "?";
        var r = new R(id);
        if (id == "?") throw r.Error(o, "id", "a scenario id (string) is required");
        r.Known(o, ScenarioFields);
        var treatment = r.Region(o, "treatmentRegion");
        var m = r.Obj(o, "member");
        var e = r.Obj(o, "encounter");
        var encounter = r.Encounter(e, treatment);
        var member = r.Member(m, treatment, encounter.AdmissionDate, encounter.DischargeDate, encounter.SpecialDiseaseCode);
        var acc = o.TryGetValue("accumulators", out var a) && a.Type == JTokenType.Object
            ? r.Accumulators((JObject)a, encounter.ServiceDate.Year)
            : AnnualAccumulators.Empty(encounter.ServiceDate.Year);
        return new Scenario(id, member, encounter, acc);
    }

    // A misspelt field ("retierd") would otherwise be read as its default and give wrong figures without a word.
    // Annotations (why, description, notes, expected) travel with a scenario and are not evaluated.
    private static readonly HashSet<string> ScenarioFields = ["id", "treatmentRegion", "member", "encounter", "accumulators", "why", "description", "notes", "expected"];
    private static readonly HashSet<string> MemberFields =
        ["memberId", "homeRegion", "insuranceType", "birthDate", "retired", "filed", "filings", "continuousYears", "majorIllnessEnrolled",
         "assistanceCategory", "accountBalance", "specialDiseases", "status"];
    // The registry's own forms (MemberDto, docs/messages.md "Member registry"), so an export can be fed as it is.
    private static readonly HashSet<string> DiseaseFields = ["code", "validFrom", "validTo"];
    private static readonly HashSet<string> FilingFields = ["treatmentRegion", "validFrom", "validTo"];
    private static readonly HashSet<string> EncounterFields =
        ["hospitalCode", "encounterType", "hospitalLevel", "admissionDate", "dischargeDate", "visitDate", "diagnoses",
         "specialDiseaseCode", "emergency", "useAccount", "referral", "lines"];
    private static readonly HashSet<string> ReferralFields = ["type", "referringSettlementId", "referringDeductiblePaid"];
    private static readonly HashSet<string> LineFields = ["lineNo", "itemCode", "name", "quantity", "unitPrice", "amount"];
    private static readonly HashSet<string> AccumulatorFields =
        ["admissions", "basicPaid", "supplementaryPaid", "majorQualifying", "majorPaid", "assistanceQualifying", "assistancePaid",
         "fundsPaid", "specialDeductiblePaid"];

    private sealed class R(string id)
    {
        public void Known(JObject o, HashSet<string> names)
        {
            foreach (var p in o.Properties())
            {
                if (!names.Contains(p.Name))
                    throw Error(o, p.Name, $"is not a field of this object (expected: {string.Join(", ", names)})");
            }
        }

        public ScenarioFormatException Error(JToken at, string? name, string problem)
        {
            var path = at.Path + (name is null ? "" : (string.IsNullOrEmpty(at.Path) ? "" : ".") + name);
            return new ScenarioFormatException(id, "$" + (path.Length == 0 ? "" : "." + path), problem);
        }

        private JToken Req(JObject o, string name) =>
            o.TryGetValue(name, out var t) && t.Type != JTokenType.Null ? t : throw Error(o, name, "is required");

        public JObject Obj(JObject o, string name) => Req(o, name) as JObject ?? throw Error(o, name, "an object is expected");

        private string Str(JObject o, string name)
        {
            var t = Req(o, name);
            return t.Type == JTokenType.String ? (string)t! : throw Error(o, name, "a string is expected");
        }

        private string? OptStr(JObject o, string name) =>
            o.TryGetValue(name, out var t) && t.Type != JTokenType.Null ? (t.Type == JTokenType.String ? (string)t! : throw Error(o, name, "a string is expected")) : null;

        private bool Bool(JObject o, string name, bool? fallback = null)
        {
            if (!o.TryGetValue(name, out var t) || t.Type == JTokenType.Null)
                return fallback ?? throw Error(o, name, "is required");
            return t.Type == JTokenType.Boolean ? (bool)t : throw Error(o, name, "true or false is expected");
        }

        public decimal Dec(JObject o, string name, decimal? fallback = null)
        {
            if (!o.TryGetValue(name, out var t) || t.Type == JTokenType.Null)
                return fallback ?? throw Error(o, name, "is required");
            if (t.Type is JTokenType.Float or JTokenType.Integer) return t.Value<decimal>();
            if (t.Type == JTokenType.String && decimal.TryParse((string)t!, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var d)) return d;
            throw Error(o, name, "a decimal number (or a string holding one) is expected");
        }

        private int Int(JObject o, string name, int? fallback = null)
        {
            var d = Dec(o, name, fallback);
            return d == decimal.Truncate(d) && d is >= int.MinValue and <= int.MaxValue ? (int)d : throw Error(o, name, "a whole number is expected");
        }

        private DateOnly Date(JObject o, string name) =>
            DateOnly.TryParseExact(Str(o, name), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
                ? d : throw Error(o, name, "a date yyyy-MM-dd is expected");

        public RegionCode Region(JObject o, string name) =>
            RegionCode.TryParse(Str(o, name), out var c) ? c : throw Error(o, name, "a six-digit region code is expected");

        private T Enum<T>(JObject o, string name, TryParse<T> parse, string expected, T? fallback = null) where T : struct
        {
            var s = fallback is null ? Str(o, name) : OptStr(o, name);
            if (s is null) return fallback!.Value;
            return parse(s, out var v) ? v : throw Error(o, name, $"one of {expected} is expected");
        }

        private delegate bool TryParse<T>(string? s, out T value);

        public Encounter Encounter(JObject e, RegionCode treatment)
        {
            Known(e, EncounterFields);
            var type = Enum<EncounterType>(e, "encounterType", DomainNames.TryParseEncounterType, "inpatient, specialOutpatient");
            DateOnly admission, discharge;
            if (type == EncounterType.SpecialOutpatient && e.ContainsKey("visitDate"))
            {
                admission = discharge = Date(e, "visitDate");
            }
            else
            {
                admission = Date(e, "admissionDate");
                discharge = Date(e, "dischargeDate");
            }
            var levelNumber = Int(e, "hospitalLevel");
            if (levelNumber is < 1 or > 3) throw Error(e, "hospitalLevel", "1, 2 or 3 is expected");
            var diagnoses = new List<string>();
            if (Req(e, "diagnoses") is not JArray dx) throw Error(e, "diagnoses", "an array of ICD-10 codes is expected");
            foreach (var d in dx) diagnoses.Add(d.Type == JTokenType.String ? (string)d! : throw Error(d, null, "an ICD-10 code string is expected"));
            Referral? referral = null;
            if (e.TryGetValue("referral", out var rt) && rt.Type == JTokenType.Object)
            {
                var ro = (JObject)rt;
                Known(ro, ReferralFields);
                referral = new Referral(Enum<ReferralType>(ro, "type", DomainNames.TryParseReferralType, "upward, downward"),
                    OptStr(ro, "referringSettlementId"),
                    ro.TryGetValue("referringDeductiblePaid", out var p) && p.Type != JTokenType.Null ? Dec(ro, "referringDeductiblePaid") : null);
            }
            if (Req(e, "lines") is not JArray lines) throw Error(e, "lines", "an array of lines is expected");
            var list = new List<EncounterLine>(lines.Count);
            for (var i = 0; i < lines.Count; i++)
            {
                if (lines[i] is not JObject l) throw Error(lines[i], null, "a line object is expected");
                Known(l, LineFields);
                list.Add(new EncounterLine(l.ContainsKey("lineNo") ? Int(l, "lineNo") : i + 1, Str(l, "itemCode"), OptStr(l, "name"),
                    Dec(l, "quantity"), Dec(l, "unitPrice"), Dec(l, "amount")));
            }
            return new Encounter(OptStr(e, "hospitalCode") ?? "WHATIF", treatment, (HospitalLevel)levelNumber, type, admission, discharge,
                diagnoses, OptStr(e, "specialDiseaseCode"), Bool(e, "emergency", false), Bool(e, "useAccount", false), referral, list);
        }

        public MemberProfile Member(JObject m, RegionCode treatment, DateOnly admission, DateOnly discharge, string? specialDisease)
        {
            Known(m, MemberFields);
            var filed = Bool(m, "filed", false);
            IReadOnlyList<Filing> filings = filed ? [new Filing(treatment, admission, discharge)] : [];
            if (m.TryGetValue("filings", out var ft) && ft.Type != JTokenType.Null)
            {
                if (filed) throw Error(m, "filings", "give either filed: true or the member's filings, not both");
                if (ft is not JArray fa) throw Error(m, "filings", "an array of filings {treatmentRegion, validFrom, validTo} is expected");
                var list = new List<Filing>(fa.Count);
                foreach (var f in fa)
                {
                    if (f is not JObject fo) throw Error(f, null, "a filing object {treatmentRegion, validFrom, validTo} is expected");
                    Known(fo, FilingFields);
                    var (from, to) = Validity(fo);
                    list.Add(new Filing(Region(fo, "treatmentRegion"), from, to));
                }
                filings = list;
            }
            var diseases = new List<SpecialDiseaseRegistration>();
            if (m.TryGetValue("specialDiseases", out var sd) && sd.Type != JTokenType.Null)
            {
                if (sd is not JArray arr) throw Error(m, "specialDiseases", "an array of disease codes or registrations {code, validFrom, validTo} is expected");
                foreach (var d in arr)
                {
                    if (d.Type == JTokenType.String) diseases.Add(new SpecialDiseaseRegistration(DiseaseCode(d, (string)d!), DateOnly.MinValue, null));
                    else if (d is JObject o)
                    {
                        Known(o, DiseaseFields);
                        var (from, to) = Validity(o);
                        diseases.Add(new SpecialDiseaseRegistration(DiseaseCode(o["code"] ?? o, Str(o, "code")), from, to));
                    }
                    else throw Error(d, null, "a disease code string or a registration {code, validFrom, validTo} is expected");
                }
            }
            return new MemberProfile(
                OptStr(m, "memberId") ?? id,
                Region(m, "homeRegion"),
                Enum<InsuranceType>(m, "insuranceType", DomainNames.TryParseInsuranceType, "employee, resident"),
                Bool(m, "retired", false),
                Date(m, "birthDate"),
                Int(m, "continuousYears", 1),
                Enum<AssistanceCategory>(m, "assistanceCategory", DomainNames.TryParseAssistanceCategory, "none, destitute, minimumLiving, povertyRegistered, lowIncome", AssistanceCategory.None),
                Bool(m, "majorIllnessEnrolled", false),
                diseases,
                filings,
                Dec(m, "accountBalance", 0m),
                Enum<MemberStatus>(m, "status", DomainNames.TryParseMemberStatus, "active, suspended", MemberStatus.Active));
        }

        /// <summary>A special-disease code as the API takes it: 1–20 of letters, digits, '.', '-'.</summary>
        private string DiseaseCode(JToken at, string code) =>
            code.Length is >= 1 and <= 20 && code.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-')
                ? code : throw Error(at, null, "a special-disease code (1–20 letters, digits, '.', '-') is expected");

        /// <summary>validFrom (required) and validTo (optional, null = open), inclusive, not reversed.</summary>
        private (DateOnly From, DateOnly? To) Validity(JObject o)
        {
            var from = Date(o, "validFrom");
            DateOnly? to = o.TryGetValue("validTo", out var t) && t.Type != JTokenType.Null ? Date(o, "validTo") : null;
            if (to < from) throw Error(o, "validTo", "is before validFrom");
            return (from, to);
        }

        public AnnualAccumulators Accumulators(JObject a, int year)
        {
            Known(a, AccumulatorFields);
            var diseases = new Dictionary<string, decimal>(StringComparer.Ordinal);
            if (a.TryGetValue("specialDeductiblePaid", out var sd) && sd is JObject so)
            {
                foreach (var p in so.Properties()) diseases[p.Name] = Dec(so, p.Name);
            }
            return new AnnualAccumulators(year, Int(a, "admissions", 0), Dec(a, "basicPaid", 0m), Dec(a, "supplementaryPaid", 0m),
                Dec(a, "majorQualifying", 0m), Dec(a, "majorPaid", 0m), Dec(a, "assistanceQualifying", 0m), Dec(a, "assistancePaid", 0m),
                Dec(a, "fundsPaid", 0m), diseases);
        }
    }
}
