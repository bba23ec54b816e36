using System.Globalization;
using System.Reflection;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Gateway.Domain;

/// <summary>The five kinds of audit rule (spec §10.2).</summary>
public enum AuditKind { MaxQuantityPerDay, AgeRange, MaxLengthOfStay, Readmission, VisitFrequency }

public enum AuditOutcome { Block, Flag }

/// <summary>
/// One audit rule (docs/audit.md). Parameters by kind: <c>maxQuantityPerDay</c> an item code or a catalog category and
/// <see cref="Max"/>; <c>ageRange</c> an item code and [<see cref="MinAge"/>, <see cref="MaxAge"/>]; <c>maxLengthOfStay</c>
/// <see cref="Days"/>; <c>readmission</c> <see cref="Days"/>; <c>visitFrequency</c> <see cref="Max"/> settlements within <see cref="Days"/>.
/// </summary>
public sealed record AuditRule(string Id, AuditKind Kind, AuditOutcome Outcome, string? ItemCode = null, ItemCategory? Category = null,
    decimal? Max = null, int? MinAge = null, int? MaxAge = null, int? Days = null)
{
    /// <summary>Checked where the member is known (the home side): age, readmission, visit frequency.</summary>
    public bool AtHome => Kind is AuditKind.AgeRange or AuditKind.Readmission or AuditKind.VisitFrequency;
}

/// <summary>One file of audit rules: the national file (<see cref="Region"/> null) or a treatment region's, effective-dated.</summary>
public sealed record AuditRuleFile(RegionCode? Region, string Version, DateOnly EffectiveFrom, DateOnly? EffectiveTo, IReadOnlyList<AuditRule> Rules, string File)
{
    public bool IsEffectiveOn(DateOnly d) => d >= EffectiveFrom && (EffectiveTo is null || d <= EffectiveTo);
}

/// <summary>A rule that fired: its id, kind and outcome, the bill's line numbers it concerns (none for a stay-wide rule), and why.</summary>
public sealed record AuditFinding(string RuleId, string Kind, string Outcome, IReadOnlyList<int> Lines, string Text)
{
    public bool Blocks => Outcome == "block";
}

public static class AuditNames
{
    public static string Of(AuditKind k) => k switch
    {
        AuditKind.MaxQuantityPerDay => "maxQuantityPerDay",
        AuditKind.AgeRange => "ageRange",
        AuditKind.MaxLengthOfStay => "maxLengthOfStay",
        AuditKind.Readmission => "readmission",
        AuditKind.VisitFrequency => "visitFrequency",
        _ => throw new ArgumentOutOfRangeException(nameof(k)),
    };

    public static string Of(AuditOutcome o) => o == AuditOutcome.Block ? "block" : "flag";
}

/// <summary>An audit file that cannot be used: names the file, the JSON path in it and what is wrong (like rule packs).</summary>
public sealed class AuditRuleFormatException(string file, string path, string problem) : Exception($"{file}: {path}: {problem}")
{
    public string File { get; } = file;
    public string JsonPath { get; } = path;
    public string Problem { get; } = problem;
}

/// <summary>Parses and validates an audit file (docs/audit.md). Unknown properties, kinds and outcomes are errors.</summary>
public static class AuditRuleLoader
{
    public static AuditRuleFile Load(string json, string file)
    {
        JObject root;
        try
        {
            using var reader = new JsonTextReader(new StringReader(json)) { FloatParseHandling = FloatParseHandling.Decimal, DateParseHandling = DateParseHandling.None };
            root = JObject.Load(reader, new JsonLoadSettings { DuplicatePropertyNameHandling = DuplicatePropertyNameHandling.Error });
        }
        catch (JsonReaderException e)
        {
            throw new AuditRuleFormatException(file, "$" + (string.IsNullOrEmpty(e.Path) ? "" : "." + e.Path), $"not valid JSON ({e.Message})");
        }
        AuditRuleFormatException Error(JToken at, string problem) => new(file, "$" + (string.IsNullOrEmpty(at.Path) ? "" : "." + at.Path), problem);
        JToken Req(JObject o, string name) => o.TryGetValue(name, out var t) && t.Type != JTokenType.Null ? t
            : throw new AuditRuleFormatException(file, "$" + (string.IsNullOrEmpty(o.Path) ? "" : "." + o.Path) + "." + name, "is required");
        void Only(JObject o, params string[] names)
        {
            foreach (var p in o.Properties())
                if (Array.IndexOf(names, p.Name) < 0) throw Error(p, $"unknown property '{p.Name}' (expected one of: {string.Join(", ", names)})");
        }
        string Str(JToken t) => t.Type == JTokenType.String && !string.IsNullOrWhiteSpace((string?)t) ? (string)t! : throw Error(t, "a non-empty string is expected");
        DateOnly Date(JToken t) => DateOnly.TryParseExact(Str(t), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : throw Error(t, "a date yyyy-MM-dd is expected");
        int Int(JToken t, int min) => t.Type == JTokenType.Integer && (long)t >= min && (long)t <= 36_500 ? (int)t : throw Error(t, $"a whole number from {min} is expected");
        decimal Dec(JToken t) => t.Type is JTokenType.Integer or JTokenType.Float && (decimal)t > 0 ? (decimal)t
            : t.Type == JTokenType.String && decimal.TryParse((string)t!, NumberStyles.Number, CultureInfo.InvariantCulture, out var d) && d > 0 ? d : throw Error(t, "a positive number is expected");

        Only(root, "region", "version", "effectiveFrom", "effectiveTo", "rules");
        RegionCode? region = null;
        var regionToken = Req(root, "region");
        var regionText = Str(regionToken);
        if (regionText != "national")
        {
            if (!RegionCode.TryParse(regionText, out var r)) throw Error(regionToken, "a six-digit region code, or \"national\", is expected");
            region = r;
        }
        var version = Str(Req(root, "version"));
        var from = Date(Req(root, "effectiveFrom"));
        DateOnly? to = root.TryGetValue("effectiveTo", out var toToken) && toToken.Type != JTokenType.Null ? Date(toToken) : null;
        if (to < from) throw Error(toToken!, "effectiveTo is before effectiveFrom");
        var rulesToken = Req(root, "rules") as JArray ?? throw Error(root["rules"]!, "an array is expected");
        var rules = new List<AuditRule>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in rulesToken)
        {
            var o = t as JObject ?? throw Error(t, "an object is expected");
            var idToken = Req(o, "id");
            var id = Str(idToken);
            if (!ids.Add(id)) throw Error(idToken, $"rule id '{id}' is used twice");
            var kindToken = Req(o, "kind");
            AuditKind kind = Str(kindToken) switch
            {
                "maxQuantityPerDay" => AuditKind.MaxQuantityPerDay,
                "ageRange" => AuditKind.AgeRange,
                "maxLengthOfStay" => AuditKind.MaxLengthOfStay,
                "readmission" => AuditKind.Readmission,
                "visitFrequency" => AuditKind.VisitFrequency,
                _ => throw Error(kindToken, "one of maxQuantityPerDay, ageRange, maxLengthOfStay, readmission, visitFrequency is expected"),
            };
            var outcomeToken = Req(o, "outcome");
            var outcome = Str(outcomeToken) switch
            {
                "block" => AuditOutcome.Block,
                "flag" => AuditOutcome.Flag,
                _ => throw Error(outcomeToken, "block or flag is expected"),
            };
            AuditRule rule;
            switch (kind)
            {
                case AuditKind.MaxQuantityPerDay:
                    Only(o, "id", "kind", "outcome", "itemCode", "category", "max", "description");
                    var item = o.TryGetValue("itemCode", out var it) ? Str(it) : null;
                    ItemCategory? category = o.TryGetValue("category", out var ct) ? Str(ct) switch
                    {
                        "drug" => ItemCategory.Drug,
                        "service" => ItemCategory.Service,
                        "material" => ItemCategory.Material,
                        _ => throw Error(ct, "drug, service or material is expected"),
                    } : null;
                    if ((item is null) == (category is null)) throw Error(o, "exactly one of itemCode and category is expected");
                    rule = new AuditRule(id, kind, outcome, item, category, Max: Dec(Req(o, "max")));
                    break;
                case AuditKind.AgeRange:
                    Only(o, "id", "kind", "outcome", "itemCode", "minAge", "maxAge", "description");
                    var min = Int(Req(o, "minAge"), 0);
                    var max = Int(Req(o, "maxAge"), 0);
                    if (max < min) throw Error(o["maxAge"]!, "maxAge is below minAge");
                    rule = new AuditRule(id, kind, outcome, Str(Req(o, "itemCode")), MinAge: min, MaxAge: max);
                    break;
                case AuditKind.MaxLengthOfStay or AuditKind.Readmission:
                    Only(o, "id", "kind", "outcome", "days", "description");
                    rule = new AuditRule(id, kind, outcome, Days: Int(Req(o, "days"), 1));
                    break;
                default:
                    Only(o, "id", "kind", "outcome", "max", "days", "description");
                    rule = new AuditRule(id, kind, outcome, Max: Int(Req(o, "max"), 1), Days: Int(Req(o, "days"), 1));
                    break;
            }
            rules.Add(rule);
        }
        return new AuditRuleFile(region, version, from, to, rules, file);
    }
}

/// <summary>The audit files in force: the national one plus the treatment region's, found by service date. Immutable.</summary>
public sealed class AuditRuleSet
{
    private readonly List<AuditRuleFile> _files;

    public AuditRuleSet(IEnumerable<AuditRuleFile> files)
    {
        _files = [.. files];
        foreach (var g in _files.GroupBy(f => f.Region))
        {
            var list = g.OrderBy(f => f.EffectiveFrom).ToList();
            for (var i = 1; i < list.Count; i++)
                if (list[i - 1].EffectiveTo is null || list[i - 1].EffectiveTo >= list[i].EffectiveFrom)
                    throw new AuditRuleFormatException(list[i].File, "$.effectiveFrom", $"overlaps {list[i - 1].File} ({g.Key?.Value ?? "national"})");
        }
    }

    public static AuditRuleSet Empty { get; } = new([]);

    public IReadOnlyList<AuditRuleFile> Files => _files;

    /// <summary>The rules that apply to a bill of <paramref name="treatment"/> on <paramref name="date"/>: national first, then the region's.</summary>
    public IReadOnlyList<AuditRule> For(RegionCode treatment, DateOnly date) =>
        [.. _files.Where(f => f.Region is null && f.IsEffectiveOn(date)).SelectMany(f => f.Rules),
         .. _files.Where(f => f.Region == treatment && f.IsEffectiveOn(date)).SelectMany(f => f.Rules)];

    /// <summary>The seed files shipped with the engine (audit/*.json, embedded).</summary>
    public static AuditRuleSet Default { get; } = LoadEmbedded();

    private static AuditRuleSet LoadEmbedded()
    {
        var asm = typeof(AuditRuleSet).Assembly;
        var files = new List<AuditRuleFile>();
        foreach (var name in asm.GetManifestResourceNames().Where(n => n.StartsWith("audit/", StringComparison.Ordinal)).Order())
        {
            using var stream = asm.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            files.Add(AuditRuleLoader.Load(reader.ReadToEnd(), name));
        }
        return new AuditRuleSet(files);
    }

    public static AuditRuleSet LoadDirectory(string directory) =>
        new(Directory.EnumerateFiles(directory, "*.json").Order().Select(f => AuditRuleLoader.Load(File.ReadAllText(f), f)));
}

/// <summary>One earlier settlement of the member, as the home side knows it (readmission, visit frequency).</summary>
public sealed record MemberVisit(string SettlementKey, DateOnly Admission, DateOnly Discharge, string? PrimaryDiagnosis);

/// <summary>
/// The audit checks (spec §10.2): pure. <see cref="AtGateway"/> runs what the bill alone decides (quantity per day, length of
/// stay) at intake; <see cref="AtHome"/> what needs the member (age, readmission, visit frequency) at the home region, with the
/// member's own settlements. Every rule that fires is returned, in rule order.
/// </summary>
public static class AuditEngine
{
    /// <summary>Days of stay: discharge − admission, at least 1.</summary>
    public static int StayDays(Encounter e) => Math.Max(1, e.DischargeDate.DayNumber - e.AdmissionDate.DayNumber);

    public static IReadOnlyList<AuditFinding> AtGateway(IReadOnlyList<AuditRule> rules, Encounter e, Catalog? catalog)
    {
        var found = new List<AuditFinding>();
        var days = StayDays(e);
        foreach (var r in rules.Where(r => !r.AtHome))
        {
            switch (r.Kind)
            {
                case AuditKind.MaxQuantityPerDay:
                    var lines = e.Lines.Where(l => r.ItemCode is not null ? l.ItemCode == r.ItemCode
                        : catalog is not null && catalog.TryFind(l.ItemCode, e.ServiceDate, out var item) && item.Category == r.Category).ToList();
                    var quantity = lines.Sum(l => l.Quantity);
                    if (lines.Count > 0 && quantity > r.Max!.Value * days)
                        found.Add(Finding(r, lines.Select(l => l.LineNo), $"{r.ItemCode ?? r.Category!.Value.ToString().ToLowerInvariant()}: {quantity:0.####} units over {days} day(s) of stay, more than {r.Max:0.####} a day."));
                    break;
                case AuditKind.MaxLengthOfStay:
                    if (days > r.Days) found.Add(Finding(r, [], $"A stay of {days} days, more than {r.Days}."));
                    break;
            }
        }
        return found;
    }

    public static IReadOnlyList<AuditFinding> AtHome(IReadOnlyList<AuditRule> rules, Encounter e, MemberProfile member, IReadOnlyList<MemberVisit> history)
    {
        var found = new List<AuditFinding>();
        foreach (var r in rules.Where(r => r.AtHome))
        {
            switch (r.Kind)
            {
                case AuditKind.AgeRange:
                    var age = AgeOn(member.BirthDate, e.ServiceDate);
                    var lines = e.Lines.Where(l => l.ItemCode == r.ItemCode).ToList();
                    if (lines.Count > 0 && (age < r.MinAge || age > r.MaxAge))
                        found.Add(Finding(r, lines.Select(l => l.LineNo), $"{r.ItemCode} is for members aged {r.MinAge}–{r.MaxAge}; the member is {age} on {e.ServiceDate:yyyy-MM-dd}."));
                    break;
                case AuditKind.Readmission when e.PrimaryDiagnosis is { Length: >= 3 } dx:
                    var earlier = history.Where(v => v.PrimaryDiagnosis is { Length: >= 3 } p && string.CompareOrdinal(p, 0, dx, 0, 3) == 0
                                                     && v.Discharge <= e.AdmissionDate && e.AdmissionDate.DayNumber - v.Discharge.DayNumber <= r.Days)
                        .OrderByDescending(v => v.Discharge).FirstOrDefault();
                    if (earlier is not null)
                        found.Add(Finding(r, [], $"Admitted {e.AdmissionDate.DayNumber - earlier.Discharge.DayNumber} day(s) after a discharge on {earlier.Discharge:yyyy-MM-dd} with the same diagnosis group {dx[..3]} (within {r.Days} days: 分解住院?)."));
                    break;
                case AuditKind.VisitFrequency:
                    var within = history.Count(v => v.Discharge <= e.ServiceDate && e.ServiceDate.DayNumber - v.Discharge.DayNumber < r.Days) + 1;
                    if (within > r.Max)
                        found.Add(Finding(r, [], $"{within} settlements of the member within {r.Days} days, more than {r.Max}."));
                    break;
            }
        }
        return found;
    }

    public static int AgeOn(DateOnly birth, DateOnly on)
    {
        var age = on.Year - birth.Year;
        if (on < birth.AddYears(age)) age--;
        return age;
    }

    /// <summary>The text of an <c>audit-blocked</c> rejection: every blocking rule with its lines.</summary>
    public static string BlockedDetail(IEnumerable<AuditFinding> findings) =>
        "Blocked by audit: " + string.Join("; ", findings.Where(f => f.Blocks).Select(f => $"rule {f.RuleId} ({f.Kind}){(f.Lines.Count > 0 ? " on line(s) " + string.Join(", ", f.Lines) : "")}: {f.Text}"));

    private static AuditFinding Finding(AuditRule r, IEnumerable<int> lines, string text) => new(r.Id, AuditNames.Of(r.Kind), AuditNames.Of(r.Outcome), [.. lines], text);
}
