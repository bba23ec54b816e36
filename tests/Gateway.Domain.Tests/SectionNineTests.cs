using FsCheck;
using FsCheck.Fluent;
using Newtonsoft.Json.Linq;

namespace Gateway.Domain.Tests;

/// <summary>
/// Spec §9: out-of-catalog items (9.1), major-illness category terms (9.2), the personal-burden ceiling (9.3), no filing
/// inside the province (9.4) and the online-filing block (9.5): the identities, the explanation, and the pack validation.
/// </summary>
public sealed class SectionNineTests
{
    private static readonly Config Config = Config.QuickThrowOnFailure.WithMaxTest(500);

    private static SettlementResult Settle(SettlementCase c, RulePackSet? packs = null) =>
        SettlementEngine.Settle(c.Catalog, packs ?? RulePackSet.Default, c.Encounter, c.Member, c.Before);

    private static RulePack PackOf(SettlementCase c) => RulePackSet.Default.Get(c.Member.HomeRegion, c.Encounter.ServiceDate);

    private static string Seed(string region) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "seed-packs", region + ".json"));

    private static RulePackFormatException Broken(string region, Action<JObject> change)
    {
        var o = JObject.Parse(Seed(region));
        change(o);
        return Assert.Throws<RulePackFormatException>(() => RulePackLoader.Load(o.ToString(), region + "-broken.json"));
    }

    private static SettlementResult Example(string id, RulePackSet? packs = null)
    {
        var ex = WorkedExampleData.All().Single(x => (string)x.Example["id"]! == id).Example;
        var s = ScenarioReader.Read(ex);
        return SettlementEngine.Settle(WorkedExampleData.CatalogFor(s.Encounter.TreatmentRegion), packs ?? RulePackSet.Default, s.Encounter, s.Member, s.Accumulators);
    }

    private static RulePackSet Without(string region, Action<JObject> change)
    {
        var packs = new List<RulePack>();
        foreach (var r in new[] { "350200", "440300", "441900", "511300" })
        {
            var o = JObject.Parse(Seed(r));
            if (r == region) change(o);
            packs.Add(RulePackLoader.Load(o.ToString(), r + ".json"));
        }
        return new RulePackSet(packs);
    }

    // ---- properties ----

    [Fact]
    public void The_ceiling_never_leaves_a_personal_in_scope_share_above_max_share_unless_a_cap_bound()
    {
        static bool Applies(SettlementCase c) =>
            PackOf(c).Assistance?.BurdenCeiling is { } ceiling && ceiling.AppliesTo(c.Member.AssistanceCategory, c.Encounter.EncounterType, c.Encounter.SpecialDiseaseCode);
        var hits = 0;
        bool Holds(SettlementCase c)
        {
            var r = Settle(c);
            var s = r.Split;
            if (!Applies(c)) return r.BurdenCeilingPaid == 0m && !r.Notes.HasFlag(SettlementNotes.BurdenCeilingApplies);
            hits++;
            var ceiling = PackOf(c).Assistance!.BurdenCeiling!;
            var personal = s.InScope - s.BasicFund - s.SupplementaryFund - (s.MajorIllnessFund - r.MajorIllnessOutOfCatalog) - s.AssistanceFund;
            var most = Money.Round(s.InScope * ceiling.MaxShare);
            var capBound = r.Notes.HasFlag(SettlementNotes.BurdenCeilingCapBound);
            return r.BurdenCeilingPaid >= 0m && (personal <= most || capBound)
                // it tops up exactly to the ceiling, never below it
                && (r.BurdenCeilingPaid == 0m || capBound || personal == most);
        }
        // Any case (the ceiling must stay out where it does not apply), then cases where it applies: about one
        // arbitrary case in a hundred is one, too few to rely on in 500.
        Prop.ForAll(SettlementGenerators.Arbitrary, Holds).Check(Config);
        Prop.ForAll(SettlementGenerators.Cases.Where(Applies).ToArbitrary(), Holds).Check(Config.WithMaxTest(200));
        Assert.True(hits >= 200, $"the burden ceiling applied in {hits} generated cases");
    }

    [Fact]
    public void The_out_of_catalog_payment_never_exceeds_its_ratio_of_the_listed_lines()
    {
        var paid = 0;
        Prop.ForAll(SettlementGenerators.Arbitrary, c =>
        {
            var r = Settle(c);
            var oc = PackOf(c).MajorIllness?.OutOfCatalog;
            // The listed lines, priced here from the catalog itself, not from the engine's own line list.
            var listed = c.Encounter.Lines.Where(l => oc is not null && oc.ItemCodes.Contains(l.ItemCode)
                                                      && (!c.Catalog.TryFind(l.ItemCode, c.Encounter.ServiceDate, out var item) || item.Class == CatalogClass.C)).ToList();
            var o = listed.Sum(l => l.Amount);
            if (r.MajorIllnessOutOfCatalog > 0m) paid++;
            return r.MajorIllnessOutOfCatalog >= 0m
                && r.MajorIllnessOutOfCatalog <= (oc is null ? 0m : Money.Round(o * oc.Ratio))
                && r.MajorIllnessOutOfCatalog <= r.Split.MajorIllnessFund
                && r.OutOfCatalogLines.SequenceEqual(r.MajorIllnessOutOfCatalog > 0m || r.OutOfCatalogLines.Count > 0 ? listed.Select(l => l.LineNo) : [])
                // o never adds to the qualifying amount
                && r.Delta.MajorQualifying <= Money.NonNegative(r.Split.InScope - r.Split.BasicFund - r.Split.SupplementaryFund);
        }).Check(Config);
        Assert.True(paid > 0, "no generated case paid an out-of-catalog item");
    }

    [Fact]
    public void Unfiled_inside_the_province_settles_as_filed_where_the_pack_says_so_and_only_there()
    {
        Prop.ForAll(SettlementGenerators.Arbitrary, c =>
        {
            var unfiled = c with { Member = c.Member with { Filings = [] } };
            var filed = c with { Member = c.Member with { Filings = [new Filing(c.Encounter.TreatmentRegion, new DateOnly(2026, 1, 1), null)] } };
            var a = Settle(unfiled);
            var b = Settle(filed);
            var exempt = PackOf(c).Filing is { ExemptWithinProvince: true } && c.Encounter.TreatmentRegion.SameProvinceAs(c.Member.HomeRegion);
            var penalty = PackOf(c).Basic.UnfiledPenalty > 0m && !c.Encounter.Emergency;
            // (an emergency counts as filed before the province is looked at)
            if (exempt) return a.Split == b.Split && a.Notes.HasFlag(SettlementNotes.WithinProvinceNoFilingNeeded) == !c.Encounter.Emergency;
            return !a.Notes.HasFlag(SettlementNotes.WithinProvinceNoFilingNeeded) && (!penalty || a.Ratio <= b.Ratio);
        }).Check(Config);
    }

    // ---- explanation ----

    [Fact]
    public void Example_E_explains_the_out_of_catalog_line_it_paid()
    {
        var r = Example("spec-E");
        Assert.Equal([8], r.OutOfCatalogLines);
        var steps = r.Explain();
        var line = Assert.Single(steps, s => s.Code == "majorIllnessFund.outOfCatalog");
        Assert.Equal(8, line.LineNo);
        Assert.Equal(5000.00m, line.Amount);
        Assert.Contains("ZJ0003", line.Text);
        var major = Assert.Single(steps, s => s.Code == "majorIllnessFund");
        Assert.Contains("3,500.00", major.Text);
        Assert.Contains("line 8", major.Text);
    }

    [Fact]
    public void Example_F_explains_the_ceiling_and_G_the_province()
    {
        var f = Example("spec-F").Explain();
        var ceiling = Assert.Single(f, s => s.Code == "assistanceFund.burdenCeiling");
        Assert.Equal(90.86m, ceiling.Amount);
        Assert.Contains("454.30", ceiling.Text);
        var g = Example("spec-G").Explain();
        Assert.Contains("省内就医免备案", Assert.Single(g, s => s.Code == "basicFund").Text);
    }

    // ---- a pack without a block has none of the rule ----

    [Fact]
    public void Without_the_blocks_the_examples_fall_back_to_the_section_7_rules()
    {
        var e = Example("spec-E", Without("440300", o => ((JObject)o["majorIllness"]!).Remove("outOfCatalogItems")));
        Assert.Equal(633.01m, e.Split.MajorIllnessFund);
        Assert.Empty(e.OutOfCatalogLines);
        var f = Example("spec-F", Without("511300", o => ((JObject)o["assistance"]!).Remove("burdenCeiling")));
        Assert.Equal(1272.04m, f.Split.AssistanceFund);
        var f2 = Example("spec-F2", Without("511300", o => ((JObject)o["majorIllness"]!).Remove("byAssistanceCategory")));
        Assert.Equal(14698.32m, f2.Split.MajorIllnessFund); // threshold 15,000 at 60%
        var g = Example("spec-G", Without("350200", o => o.Remove("filing")));
        Assert.Equal(0.60m, g.Ratio);
        Assert.Equal(2245.80m, g.Split.BasicFund);
    }

    [Fact]
    public void The_ceiling_applies_to_a_listed_category_that_has_no_assistance_terms_of_its_own()
    {
        // Nanchong without povertyRegistered in its assistance table: the ceiling alone pays p − m.
        var packs = Without("511300", o => ((JObject)o["assistance"]!["categories"]!).Remove("povertyRegistered"));
        var r = Example("spec-F", packs);
        // p = 4,543 − 2,725.80 = 1,817.20; m = 454.30: 1,362.90, all by the ceiling
        Assert.Equal(1362.90m, r.Split.AssistanceFund);
        Assert.Equal(1362.90m, r.BurdenCeilingPaid);
        Assert.Equal(0m, r.Delta.AssistanceQualifying);
        Assert.Equal(1362.90m, r.Delta.AssistancePaid);
    }

    [Fact]
    public void The_seed_packs_carry_the_section_9_defaults()
    {
        var d = new DateOnly(2026, 6, 1);
        var sz = RulePackSet.Default.Get(RegionCode.Parse("440300"), d);
        Assert.Equal(Enumerable.Range(1, 11).Select(i => $"ZJ{i:0000}").Order(), sz.MajorIllness!.OutOfCatalog!.ItemCodes.Order());
        Assert.Equal(0.70m, sz.MajorIllness.OutOfCatalog.Ratio);
        var nc = RulePackSet.Default.Get(RegionCode.Parse("511300"), d);
        foreach (var cat in new[] { AssistanceCategory.PovertyRegistered, AssistanceCategory.Destitute })
            Assert.Equal(new MajorIllnessCategoryTerms(0.5m, 0.05m, true), nc.MajorIllness!.TermsFor(cat));
        Assert.Null(nc.MajorIllness!.TermsFor(AssistanceCategory.LowIncome));
        var ceiling = nc.Assistance!.BurdenCeiling!;
        Assert.Equal([AssistanceCategory.PovertyRegistered], ceiling.Categories);
        Assert.Equal([EncounterType.SpecialOutpatient], ceiling.EncounterTypes);
        Assert.Equal(11, ceiling.SpecialDiseaseCodes!.Count);
        Assert.Equal(0.10m, ceiling.MaxShare);
        foreach (var region in new[] { "350200", "440300", "441900", "511300" })
        {
            var p = RulePackSet.Default.Get(RegionCode.Parse(region), d);
            Assert.Equal(180, p.Filing!.OnlineValidityDays);
            Assert.Equal(region == "350200", p.Filing.ExemptWithinProvince);
        }
        var hz = RulePackSet.LoadDirectory(Path.Combine(AppContext.BaseDirectory, "Packs")).Get(RegionCode.Parse("330100"), d);
        Assert.Null(hz.Filing);
        Assert.Null(hz.MajorIllness?.OutOfCatalog);
        Assert.Null(hz.Assistance?.BurdenCeiling);
    }

    // ---- validation on load: file, JSON path, problem ----

    public static TheoryData<string, string, string, string> BrokenBlocks() => new()
    {
        { "440300", "majorIllness.outOfCatalogItems.ratio=\"70\"", "$.majorIllness.outOfCatalogItems.ratio", "between 0 and 1" },
        { "440300", "majorIllness.outOfCatalogItems.itemCodes=[]", "$.majorIllness.outOfCatalogItems.itemCodes", "non-empty array" },
        { "440300", "majorIllness.outOfCatalogItems.itemCodes=[\"ZJ0001\",\"ZJ0001\"]", "$.majorIllness.outOfCatalogItems.itemCodes[1]", "listed twice" },
        { "440300", "majorIllness.outOfCatalogItems.itemCodes=[\"ZJ 1\"]", "$.majorIllness.outOfCatalogItems.itemCodes[0]", "a code of" },
        { "440300", "majorIllness.outOfCatalogItems.ratoi=\"0.7\"", "$.majorIllness.outOfCatalogItems.ratoi", "unknown property" },
        { "440300", "majorIllness.outOfCatalogItems=-", "$.majorIllness.outOfCatalogItems.itemCodes", "required" },
        { "511300", "majorIllness.byAssistanceCategory.rich={\"noCap\":true}", "$.majorIllness.byAssistanceCategory.rich", "category must be" },
        { "511300", "majorIllness.byAssistanceCategory.destitute.ratioPoints=\"5\"", "$.majorIllness.byAssistanceCategory.destitute.ratioPoints", "between 0 and 1" },
        { "511300", "majorIllness.byAssistanceCategory.destitute.noCap=\"yes\"", "$.majorIllness.byAssistanceCategory.destitute.noCap", "true or false" },
        { "511300", "majorIllness.byAssistanceCategory.destitute.thresholdFactor=\"-1\"", "$.majorIllness.byAssistanceCategory.destitute.thresholdFactor", "between 0 and 10" },
        { "511300", "majorIllness.byAssistanceCategory.destitute={}", "$.majorIllness.byAssistanceCategory.destitute", "at least one" },
        { "511300", "assistance.burdenCeiling.maxShare=\"10\"", "$.assistance.burdenCeiling.maxShare", "between 0 and 1" },
        { "511300", "assistance.burdenCeiling.categories=[\"none\"]", "$.assistance.burdenCeiling.categories[0]", "category must be" },
        { "511300", "assistance.burdenCeiling.encounterTypes=[\"outpatient\"]", "$.assistance.burdenCeiling.encounterTypes[0]", "inpatient or specialOutpatient" },
        { "511300", "assistance.burdenCeiling.specialDiseaseCodes=[]", "$.assistance.burdenCeiling.specialDiseaseCodes", "non-empty array" },
        { "511300", "assistance.burdenCeiling.maxShare=-", "$.assistance.burdenCeiling.maxShare", "required" },
        { "350200", "filing.exemptWithinProvince=1", "$.filing.exemptWithinProvince", "true or false" },
        { "350200", "filing.online.validityDays=0", "$.filing.online.validityDays", "between 1 and 3660" },
        { "350200", "filing.online.validityDays=\"180\"", "$.filing.online.validityDays", "whole number" },
        { "350200", "filing.online.validityDays=-", "$.filing.online.validityDays", "required" },
        { "350200", "filing.offline=true", "$.filing.offline", "unknown property" },
    };

    [Theory]
    [MemberData(nameof(BrokenBlocks))]
    public void A_broken_section_9_block_names_the_file_and_the_path(string region, string change, string path, string problem)
    {
        var e = Broken(region, o =>
        {
            var eq = change.IndexOf('=');
            var parts = change[..eq].Split('.');
            var value = change[(eq + 1)..];
            var parent = (JObject)parts[..^1].Aggregate((JToken)o, (t, name) => t[name]!);
            if (value == "-")
            {
                // remove the named field (a block's required field, or a whole block's only content)
                if (parent[parts[^1]] is JObject block && parts[^1] == "outOfCatalogItems") block.Remove("itemCodes");
                else parent.Remove(parts[^1]);
            }
            else parent[parts[^1]] = JToken.Parse(value);
        });
        Assert.Equal(region + "-broken.json", e.File);
        Assert.Equal(path, e.JsonPath);
        Assert.Contains(problem, e.Problem);
    }

    [Fact]
    public void A_duplicate_key_in_a_pack_is_refused()
    {
        var json = Seed("350200").Replace("\"filing\": {", "\"filing\": { \"exemptWithinProvince\": false,");
        var e = Assert.Throws<RulePackFormatException>(() => RulePackLoader.Load(json, "350200-dup.json"));
        Assert.Equal("350200-dup.json", e.File);
        Assert.Contains("not valid JSON", e.Problem);
    }

    [Fact]
    public void Online_filing_switched_off_has_no_validity()
    {
        var o = JObject.Parse(Seed("441900"));
        o["filing"]!["online"] = JObject.Parse("{\"allowed\": false}");
        Assert.False(RulePackLoader.Load(o.ToString(), "441900.json").Filing!.OnlineAllowed);
        o["filing"]!["online"] = JObject.Parse("{\"allowed\": false, \"validityDays\": 30}");
        var e = Assert.Throws<RulePackFormatException>(() => RulePackLoader.Load(o.ToString(), "441900.json"));
        Assert.Equal("$.filing.online.validityDays", e.JsonPath);
    }
}

/// <summary>§9.5: the home region's decision on a hospital's online filing.</summary>
public sealed class OnlineFilingTests
{
    private static readonly RegionCode Nanchong = RegionCode.Parse("511300");
    private static readonly RegionCode Shenzhen = RegionCode.Parse("440300");
    private static readonly DateOnly Day = new(2026, 12, 2);

    private static MemberProfile Member(MemberStatus status = MemberStatus.Active) => new("M1", Nanchong, InsuranceType.Resident, false, new DateOnly(1981, 3, 2), 7,
        AssistanceCategory.None, false, [], [], 0m, status);

    private static RulePackSet Packs(Action<JObject> change)
    {
        var packs = new List<RulePack>();
        foreach (var r in new[] { "350200", "440300", "441900", "511300" })
        {
            var o = JObject.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "seed-packs", r + ".json")));
            if (r == "511300") change(o);
            packs.Add(RulePackLoader.Load(o.ToString(), r + ".json"));
        }
        return new RulePackSet(packs);
    }

    [Fact]
    public void A_covered_member_is_filed_from_the_day_for_the_packs_days_and_then_settles_as_filed()
    {
        var (filing, refusal) = OnlineFiling.Decide(RulePackSet.Default, Nanchong, Shenzhen, Member(), Day);
        Assert.Null(refusal);
        Assert.Equal(new Filing(Shenzhen, Day, Day.AddDays(179)), filing);
        var member = Member() with { Filings = [filing!] };
        Assert.True(member.IsFiledFor(Shenzhen, Day));
        Assert.True(member.IsFiledFor(Shenzhen, Day.AddDays(179)));
        Assert.False(member.IsFiledFor(Shenzhen, Day.AddDays(180)));
        Assert.False(member.IsFiledFor(Shenzhen, Day.AddDays(-1)));
        Assert.False(member.IsFiledFor(RegionCode.Parse("441900"), Day));
    }

    [Fact]
    public void Unknown_suspended_own_region_and_packs_without_online_filing_are_typed_refusals()
    {
        Assert.Equal(RejectionCode.UnknownMember, OnlineFiling.Decide(RulePackSet.Default, Nanchong, Shenzhen, null, Day).Refusal!.Code);
        Assert.Equal(RejectionCode.CoverageSuspended, OnlineFiling.Decide(RulePackSet.Default, Nanchong, Shenzhen, Member(MemberStatus.Suspended), Day).Refusal!.Code);
        Assert.Equal(RejectionCode.NotCrossRegion, OnlineFiling.Decide(RulePackSet.Default, Nanchong, Nanchong, Member(), Day).Refusal!.Code);
        Assert.Equal(RejectionCode.RulePackMissing, OnlineFiling.Decide(RulePackSet.Default, Nanchong, Shenzhen, Member(), new DateOnly(2024, 6, 1)).Refusal!.Code);
        var withoutBlock = Packs(o => o.Remove("filing"));
        var refused = OnlineFiling.Decide(withoutBlock, Nanchong, Shenzhen, Member(), Day).Refusal!;
        Assert.Equal(RejectionCode.OnlineFilingNotAllowed, refused.Code);
        Assert.Equal("online-filing-not-allowed", refused.Name);
        var switchedOff = Packs(o => o["filing"]!["online"] = JObject.Parse("{\"allowed\": false}"));
        Assert.Equal(RejectionCode.OnlineFilingNotAllowed, OnlineFiling.Decide(switchedOff, Nanchong, Shenzhen, Member(), Day).Refusal!.Code);
        var thirty = Packs(o => o["filing"]!["online"]!["validityDays"] = 30);
        Assert.Equal(Day.AddDays(29), OnlineFiling.Decide(thirty, Nanchong, Shenzhen, Member(), Day).Filing!.ValidTo);
    }
}
