using System.Globalization;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Gateway.Domain;

/// <summary>A rule pack that cannot be used: names the file, the JSON path in it and what is wrong.</summary>
public sealed class RulePackFormatException(string file, string path, string problem)
    : Exception($"{file}: {path}: {problem}")
{
    public string File { get; } = file;
    public string JsonPath { get; } = path;
    public string Problem { get; } = problem;
}

/// <summary>
/// Parses and validates a rule pack (see docs/rules.md). Unknown properties are errors: a typo in a
/// pack must not silently fall back to a default. Money and ratios are decimal strings or numbers;
/// ratios are fractions (0.85 = 85%).
/// </summary>
public static class RulePackLoader
{
    public static RulePack Load(string json, string file)
    {
        JObject root;
        try
        {
            using var reader = new JsonTextReader(new StringReader(json)) { FloatParseHandling = FloatParseHandling.Decimal, DateParseHandling = DateParseHandling.None };
            root = JObject.Load(reader, new JsonLoadSettings { DuplicatePropertyNameHandling = DuplicatePropertyNameHandling.Error });
        }
        catch (JsonReaderException e)
        {
            throw new RulePackFormatException(file, "$" + (string.IsNullOrEmpty(e.Path) ? "" : "." + e.Path), $"not valid JSON ({e.Message})");
        }
        return new Reader(file).Pack(root);
    }

    private sealed class Reader(string file)
    {
        private RulePackFormatException Error(JToken at, string problem) => new(file, "$" + (string.IsNullOrEmpty(at.Path) ? "" : "." + at.Path), problem);

        private RulePackFormatException Missing(JObject o, string name) =>
            new(file, "$" + (string.IsNullOrEmpty(o.Path) ? "" : "." + o.Path) + "." + name, "is required");

        private void Only(JObject o, params string[] names)
        {
            foreach (var p in o.Properties())
            {
                if (Array.IndexOf(names, p.Name) < 0) throw Error(p, $"unknown property '{p.Name}' (expected one of: {string.Join(", ", names)})");
            }
        }

        private JToken Req(JObject o, string name) => o.TryGetValue(name, out var t) ? t : throw Missing(o, name);

        private JObject Obj(JToken t) => t as JObject ?? throw Error(t, "an object is expected");

        private JObject? OptObj(JObject o, string name) =>
            o.TryGetValue(name, out var t) && t.Type != JTokenType.Null ? Obj(t) : null;

        private string Str(JToken t) => t.Type == JTokenType.String && !string.IsNullOrWhiteSpace((string?)t) ? (string)t! : throw Error(t, "a non-empty string is expected");

        private decimal Dec(JToken t, decimal min = 0m, decimal max = decimal.MaxValue)
        {
            decimal v;
            if (t.Type is JTokenType.Float or JTokenType.Integer) v = t.Value<decimal>();
            else if (t.Type == JTokenType.String && decimal.TryParse((string)t!, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var d)) v = d;
            else throw Error(t, "a decimal number (or a string holding one) is expected");
            if (v < min || v > max) throw Error(t, $"must be between {min} and {max}");
            return v;
        }

        private decimal Money_(JToken t) => decimal.Round(Dec(t), 2) == Dec(t) ? Dec(t) : throw Error(t, "an amount has at most two decimals");

        private decimal? OptMoney(JObject o, string name) => o.TryGetValue(name, out var t) && t.Type != JTokenType.Null ? Money_(t) : null;

        private decimal Ratio(JToken t) => Dec(t, 0m, 1m);

        private DateOnly Date(JToken t) =>
            t.Type == JTokenType.String && DateOnly.TryParseExact((string)t!, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
                ? d : throw Error(t, "a date yyyy-MM-dd is expected");

        private static readonly string[] Types = ["employee", "resident"];
        private static readonly string[] Levels = ["level1", "level2", "level3"];

        /// <summary>{ "employee": { "level1": x, "level2": y, "level3": z }, "resident": {…} } → flat [type × 3 + level − 1].</summary>
        private decimal[] ByTypeAndLevel(JToken t, Func<JToken, decimal> value)
        {
            var o = Obj(t);
            Only(o, Types);
            var result = new decimal[6];
            for (var i = 0; i < 2; i++)
            {
                var byLevel = Obj(Req(o, Types[i]));
                Only(byLevel, Levels);
                for (var l = 0; l < 3; l++) result[i * 3 + l] = value(Req(byLevel, Levels[l]));
            }
            return result;
        }

        private decimal?[] ByType(JToken t)
        {
            var o = Obj(t);
            Only(o, Types);
            return [OptMoney(o, "employee"), OptMoney(o, "resident")];
        }

        public RulePack Pack(JObject root)
        {
            Only(root, "$schema", "packId", "region", "regionName", "version", "effectiveFrom", "effectiveTo", "notes", "deductible", "basicFund",
                "supplementaryFund", "majorIllness", "assistance", "combinedAnnualCap", "personalAccount", "filing");
            var regionToken = Req(root, "region");
            if (!RegionCode.TryParse(Str(regionToken), out var region)) throw Error(regionToken, "a six-digit region code is expected");
            var from = Date(Req(root, "effectiveFrom"));
            DateOnly? to = root.TryGetValue("effectiveTo", out var toToken) && toToken.Type != JTokenType.Null ? Date(toToken) : null;
            if (to < from) throw Error(toToken!, "effectiveTo is before effectiveFrom");

            var account = OptObj(root, "personalAccount");
            var allowed = false;
            if (account is not null)
            {
                Only(account, "allowed", "nationalField", "fundPayType");
                allowed = Req(account, "allowed").Type == JTokenType.Boolean ? (bool)account["allowed"]! : throw Error(account["allowed"]!, "true or false is expected");
            }

            return new RulePack
            {
                PackId = Str(Req(root, "packId")),
                Region = region,
                RegionName = Str(Req(root, "regionName")),
                Version = Str(Req(root, "version")),
                EffectiveFrom = from,
                EffectiveTo = to,
                Deductible = Deductible(Obj(Req(root, "deductible"))),
                Basic = Basic(Obj(Req(root, "basicFund"))),
                Supplementary = OptObj(root, "supplementaryFund") is { } s ? Supplementary(s) : null,
                MajorIllness = OptObj(root, "majorIllness") is { } m ? Major(m) : null,
                Assistance = OptObj(root, "assistance") is { } a ? Assistance(a) : null,
                CombinedAnnualCap = OptObj(root, "combinedAnnualCap") is { } c ? ByType(c) : null,
                PersonalAccountAllowed = allowed,
                Filing = OptObj(root, "filing") is { } f ? Filing(f) : null,
                National = new NationalReporting(
                    NationalOf(Obj(Req(root, "basicFund")), NationalReporting.DefaultBasicFund, NationalReporting.FundFields),
                    OptObj(root, "supplementaryFund") is { } sn ? NationalOf(sn, NationalReporting.DefaultSupplementaryFund, NationalReporting.FundFields) : NationalReporting.DefaultSupplementaryFund,
                    OptObj(root, "majorIllness") is { } mn ? NationalOf(mn, NationalReporting.DefaultMajorIllness, NationalReporting.FundFields) : NationalReporting.DefaultMajorIllness,
                    OptObj(root, "assistance") is { } an ? NationalOf(an, NationalReporting.DefaultAssistance, NationalReporting.FundFields) : NationalReporting.DefaultAssistance,
                    account is not null ? NationalOf(account, NationalReporting.DefaultPersonalAccount, ["acct_pay"]) : NationalReporting.DefaultPersonalAccount),
            };
        }

        /// <summary>
        /// A layer's <c>nationalField</c> and <c>fundPayType</c>: each a string (both insurance types) or
        /// <c>{ "employee": …, "resident": … }</c>; absent = the default. A field must be one of <paramref name="fields"/>, a
        /// fund_pay_type six digits.
        /// </summary>
        private NationalLayer NationalOf(JObject layer, NationalLayer fallback, IReadOnlyList<string> fields)
        {
            (string Employee, string Resident) Read(string name, string employeeDefault, string residentDefault, Func<JToken, string> check)
            {
                if (!layer.TryGetValue(name, out var t) || t.Type == JTokenType.Null) return (employeeDefault, residentDefault);
                if (t.Type == JTokenType.String) { var v = check(t); return (v, v); }
                var o = Obj(t);
                Only(o, Types);
                return (check(Req(o, "employee")), check(Req(o, "resident")));
            }
            string Field(JToken t) => fields.Contains(Str(t), StringComparer.Ordinal) ? (string)t! : throw Error(t, $"a national setlinfo field is expected: one of {string.Join(", ", fields)}");
            string PayType(JToken t) => Str(t) is { Length: 6 } v && v.All(char.IsAsciiDigit) ? v : throw Error(t, "a fund_pay_type of six digits is expected (e.g. 310100)");
            var (ef, rf) = Read("nationalField", fallback.EmployeeField, fallback.ResidentField, Field);
            var (ep, rp) = Read("fundPayType", fallback.EmployeeFundPayType, fallback.ResidentFundPayType, PayType);
            return new NationalLayer(ef, rf, ep, rp);
        }

        private bool Bool(JToken t) => t.Type == JTokenType.Boolean ? (bool)t : throw Error(t, "true or false is expected");

        private int Int(JToken t, int min, int max) =>
            t is JValue { Type: JTokenType.Integer, Value: long v } && v >= min && v <= max ? (int)v : throw Error(t, $"a whole number between {min} and {max} is expected");

        private JArray Arr(JToken t, bool nonEmpty = true) =>
            t is JArray a && (!nonEmpty || a.Count > 0) ? a : throw Error(t, nonEmpty ? "a non-empty array is expected" : "an array is expected");

        /// <summary>Codes: distinct, 1–64 of letters, digits, '.', '_', '-' (as item and disease codes are on the API).</summary>
        private HashSet<string> Codes(JToken t, int maxCount = 10_000)
        {
            var arr = Arr(t);
            if (arr.Count > maxCount) throw Error(t, $"at most {maxCount} codes");
            var set = new HashSet<string>(StringComparer.Ordinal);
            foreach (var c in arr)
            {
                var code = Str(c);
                if (code.Length > 64 || !code.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '.' or '_' or '-'))
                    throw Error(c, "a code of 1–64 letters, digits, '.', '_' or '-' is expected");
                if (!set.Add(code)) throw Error(c, $"'{code}' is listed twice");
            }
            return set;
        }

        private EncounterType[] EncounterTypesOf(JToken t)
        {
            var arr = Arr(t);
            var types = new List<EncounterType>();
            foreach (var x in arr)
            {
                if (x.Type != JTokenType.String || !DomainNames.TryParseEncounterType((string?)x, out var et)) throw Error(x, "inpatient or specialOutpatient expected");
                if (types.Contains(et)) throw Error(x, "listed twice");
                types.Add(et);
            }
            return types.ToArray();
        }

        private AssistanceCategory Category(JToken at, string? name)
        {
            if (!DomainNames.TryParseAssistanceCategory(name, out var c) || c == AssistanceCategory.None)
                throw Error(at, "category must be destitute, minimumLiving, povertyRegistered or lowIncome");
            return c;
        }

        private FilingRules Filing(JObject o)
        {
            Only(o, "exemptWithinProvince", "online");
            int? days = null;
            if (OptObj(o, "online") is { } online)
            {
                Only(online, "allowed", "validityDays");
                if (Bool(Req(online, "allowed")))
                    days = Int(Req(online, "validityDays"), 1, 3660);
                else if (online.TryGetValue("validityDays", out var vd) && vd.Type != JTokenType.Null)
                    throw Error(vd, "validityDays is given only when online filing is allowed");
            }
            return new FilingRules
            {
                ExemptWithinProvince = o.TryGetValue("exemptWithinProvince", out var ex) && ex.Type != JTokenType.Null && Bool(ex),
                OnlineValidityDays = days,
            };
        }

        private DeductibleRules Deductible(JObject o)
        {
            Only(o, "inpatient", "secondAdmissionFactor", "specialOutpatientAnnual");
            var annualDefault = 0m;
            var byDisease = new Dictionary<string, decimal>(StringComparer.Ordinal);
            if (OptObj(o, "specialOutpatientAnnual") is { } so)
            {
                Only(so, "default", "byDisease");
                if (so.TryGetValue("default", out var d)) annualDefault = Money_(d);
                if (OptObj(so, "byDisease") is { } bd) foreach (var p in bd.Properties()) byDisease[p.Name] = Money_(p.Value);
            }
            return new DeductibleRules
            {
                Inpatient = ByTypeAndLevel(Req(o, "inpatient"), Money_),
                SecondAdmissionFactor = o.TryGetValue("secondAdmissionFactor", out var f) ? Dec(f, 0m, 10m) : 1m,
                SpecialOutpatientAnnualDefault = annualDefault,
                SpecialOutpatientAnnualByDisease = byDisease,
            };
        }

        private BasicFundRules Basic(JObject o)
        {
            Only(o, "inpatientRatio", "specialOutpatientRatio", "retireeUplift", "unfiledPenalty", "specialDiseaseRules", "annualCap", "nationalField", "fundPayType");
            var rules = new List<SpecialDiseaseRule>();
            if (o.TryGetValue("specialDiseaseRules", out var sr) && sr.Type != JTokenType.Null)
            {
                if (sr is not JArray arr) throw Error(sr, "an array is expected");
                foreach (var item in arr) rules.Add(DiseaseRule(Obj(item)));
            }
            decimal?[] capByType = [null, null];
            decimal? perYear = null;
            int minYears = 1, maxYears = 1;
            if (OptObj(o, "annualCap") is { } cap)
            {
                if (cap.ContainsKey("perContinuousYear"))
                {
                    Only(cap, "perContinuousYear", "minYears", "maxYears");
                    perYear = Money_(cap["perContinuousYear"]!);
                    minYears = (int)Dec(Req(cap, "minYears"), 0m, 100m);
                    maxYears = (int)Dec(Req(cap, "maxYears"), minYears, 100m);
                }
                else capByType = ByType(cap);
            }
            return new BasicFundRules
            {
                InpatientRatio = ByTypeAndLevel(Req(o, "inpatientRatio"), Ratio),
                SpecialOutpatientRatio = o.TryGetValue("specialOutpatientRatio", out var so) && so.Type != JTokenType.Null ? ByTypeAndLevel(so, Ratio) : null,
                RetireeUplift = o.TryGetValue("retireeUplift", out var ru) ? Ratio(ru) : 0m,
                UnfiledPenalty = o.TryGetValue("unfiledPenalty", out var up) ? Ratio(up) : 0m,
                SpecialDiseaseRules = rules.OrderBy(r => r.Mode == SpecialDiseaseMode.Replace ? 0 : 1).ToArray(),
                AnnualCapByType = capByType,
                CapPerContinuousYear = perYear,
                CapMinYears = minYears,
                CapMaxYears = maxYears,
            };
        }

        private SpecialDiseaseRule DiseaseRule(JObject o)
        {
            Only(o, "name", "icd10", "maxAgeExclusive", "mode", "ratio");
            var icd = Req(o, "icd10") as JArray ?? throw Error(o["icd10"]!, "an array of ICD-10 ranges such as \"Q20-Q26\" is expected");
            var ranges = new List<IcdRange>();
            foreach (var r in icd)
            {
                var s = Str(r).Split('-');
                if (s.Length is < 1 or > 2 || s.Any(x => x.Length != 3)) throw Error(r, "an ICD-10 category (\"F20\") or range (\"Q20-Q26\") is expected");
                var range = new IcdRange(s[0].ToUpperInvariant(), s[^1].ToUpperInvariant());
                if (string.CompareOrdinal(range.From, range.To) > 0) throw Error(r, "the range is reversed");
                ranges.Add(range);
            }
            var modeToken = Req(o, "mode");
            var mode = Str(modeToken) switch
            {
                "replace" => SpecialDiseaseMode.Replace,
                "add" => SpecialDiseaseMode.Add,
                _ => throw Error(modeToken, "mode must be 'replace' or 'add'"),
            };
            return new SpecialDiseaseRule
            {
                Name = Str(Req(o, "name")),
                Ranges = ranges.ToArray(),
                MaxAgeExclusive = o.TryGetValue("maxAgeExclusive", out var age) && age.Type != JTokenType.Null ? (int)Dec(age, 0m, 200m) : null,
                Mode = mode,
                Ratio = Ratio(Req(o, "ratio")),
            };
        }

        private SupplementaryRules Supplementary(JObject o)
        {
            Only(o, "ratio", "annualCap", "nationalField", "fundPayType");
            return new SupplementaryRules { Ratio = Ratio(Req(o, "ratio")), AnnualCap = OptMoney(o, "annualCap") };
        }

        private MajorIllnessRules Major(JObject o)
        {
            Only(o, "enrolmentRequired", "encounterTypes", "threshold", "segments", "annualCap", "outOfCatalogItems", "byAssistanceCategory", "nationalField", "fundPayType");
            var typesToken = Req(o, "encounterTypes") as JArray ?? throw Error(o["encounterTypes"]!, "an array is expected");
            var types = typesToken.Select(t => DomainNames.TryParseEncounterType((string?)t, out var et) ? et : throw Error(t, "inpatient or specialOutpatient expected")).ToArray();
            return new MajorIllnessRules
            {
                EnrolmentRequired = Req(o, "enrolmentRequired").Type == JTokenType.Boolean ? (bool)o["enrolmentRequired"]! : throw Error(o["enrolmentRequired"]!, "true or false is expected"),
                EncounterTypes = types,
                Threshold = Money_(Req(o, "threshold")),
                Segments = Segments(Req(o, "segments")),
                AnnualCap = OptMoney(o, "annualCap"),
                OutOfCatalog = OptObj(o, "outOfCatalogItems") is { } oc ? OutOfCatalog(oc) : null,
                ByCategory = OptObj(o, "byAssistanceCategory") is { } bc ? MajorByCategory(bc) : null,
            };
        }

        private OutOfCatalogRules OutOfCatalog(JObject o)
        {
            Only(o, "itemCodes", "ratio");
            return new OutOfCatalogRules { ItemCodes = Codes(Req(o, "itemCodes")), Ratio = Ratio(Req(o, "ratio")) };
        }

        private MajorIllnessCategoryTerms?[] MajorByCategory(JObject o)
        {
            var terms = new MajorIllnessCategoryTerms?[Enum.GetValues<AssistanceCategory>().Length];
            foreach (var p in o.Properties())
            {
                var c = Category(p, p.Name);
                var t = Obj(p.Value);
                Only(t, "thresholdFactor", "ratioPoints", "noCap");
                if (!t.HasValues) throw Error(t, "give at least one of thresholdFactor, ratioPoints, noCap");
                terms[(int)c] = new MajorIllnessCategoryTerms(
                    t.TryGetValue("thresholdFactor", out var f) ? Dec(f, 0m, 10m) : 1m,
                    t.TryGetValue("ratioPoints", out var rp) ? Ratio(rp) : 0m,
                    t.TryGetValue("noCap", out var nc) && Bool(nc));
            }
            return terms;
        }

        private Segment[] Segments(JToken t)
        {
            if (t is not JArray arr || arr.Count == 0) throw Error(t, "a non-empty array of segments is expected");
            var result = new Segment[arr.Count];
            for (var i = 0; i < arr.Count; i++)
            {
                var s = Obj(arr[i]);
                Only(s, "from", "to", "ratio");
                var from = Money_(Req(s, "from"));
                decimal? to = s.TryGetValue("to", out var tt) && tt.Type != JTokenType.Null ? Money_(tt) : null;
                var expectedFrom = i == 0 ? 0m : result[i - 1].To;
                if (expectedFrom is null || from != expectedFrom) throw Error(s["from"]!, $"segments must be contiguous from 0 (expected {expectedFrom?.ToString(CultureInfo.InvariantCulture) ?? "no segment after an unbounded one"})");
                if (to <= from) throw Error(tt!, "'to' must be above 'from'");
                result[i] = new Segment(from, to, Ratio(Req(s, "ratio")));
            }
            return result;
        }

        private AssistanceRules Assistance(JObject o)
        {
            Only(o, "base", "categories", "annualCap", "burdenCeiling", "nationalField", "fundPayType");
            var baseToken = Req(o, "base");
            var b = Str(baseToken) switch
            {
                "inScope" => AssistanceBase.InScope,
                "total" => AssistanceBase.Total,
                _ => throw Error(baseToken, "base must be 'inScope' or 'total'"),
            };
            var cats = Obj(Req(o, "categories"));
            var terms = new AssistanceTerms?[Enum.GetValues<AssistanceCategory>().Length];
            foreach (var p in cats.Properties())
            {
                var c = Category(p, p.Name);
                var term = Obj(p.Value);
                Only(term, "threshold", "ratio");
                terms[(int)c] = new AssistanceTerms(Money_(Req(term, "threshold")), Ratio(Req(term, "ratio")));
            }
            return new AssistanceRules
            {
                Base = b, Categories = terms, AnnualCap = OptMoney(o, "annualCap"),
                BurdenCeiling = OptObj(o, "burdenCeiling") is { } bc ? BurdenCeiling(bc) : null,
            };
        }

        private BurdenCeilingRules BurdenCeiling(JObject o)
        {
            Only(o, "categories", "encounterTypes", "specialDiseaseCodes", "maxShare");
            var categories = new List<AssistanceCategory>();
            foreach (var c in Arr(Req(o, "categories")))
            {
                var cat = Category(c, c.Type == JTokenType.String ? (string?)c : null);
                if (categories.Contains(cat)) throw Error(c, "listed twice");
                categories.Add(cat);
            }
            return new BurdenCeilingRules
            {
                Categories = categories.ToArray(),
                EncounterTypes = EncounterTypesOf(Req(o, "encounterTypes")),
                SpecialDiseaseCodes = o.TryGetValue("specialDiseaseCodes", out var sd) && sd.Type != JTokenType.Null ? Codes(sd) : null,
                MaxShare = Ratio(Req(o, "maxShare")),
            };
        }
    }
}
