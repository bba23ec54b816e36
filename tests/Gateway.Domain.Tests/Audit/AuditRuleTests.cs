using Gateway.Domain;

namespace Gateway.Domain.Tests.Audit;

/// <summary>The five audit rule kinds of spec §10.2, each blocking and flagging; the loader's errors; the seed files.</summary>
public sealed class AuditRuleTests
{
    private static readonly RegionCode Shenzhen = RegionCode.Parse("440300");

    private static Encounter Stay(string admission, string discharge, string diagnosis = "I21.9", params EncounterLine[] lines) =>
        new("H440300001", Shenzhen, HospitalLevel.Level3, EncounterType.Inpatient, DateOnly.Parse(admission), DateOnly.Parse(discharge), [diagnosis], null, false, false, null,
            lines.Length > 0 ? lines : [new EncounterLine(1, "S002", null, 4, 60m, 240m), new EncounterLine(2, "D002", null, 2, 48.5m, 97m), new EncounterLine(3, "M001", null, 3, 10m, 30m)]);

    private static MemberProfile Member(string birth) => new("M1", RegionCode.Parse("511300"), InsuranceType.Employee, false, DateOnly.Parse(birth), 5,
        AssistanceCategory.None, false, [], [], 0m, MemberStatus.Active);

    private static Catalog Catalog() => new(Shenzhen, "t", new Dictionary<string, CatalogItem>
    {
        ["S002"] = new(CatalogClass.A, 0m, null, null, null, ItemCategory.Service),
        ["D002"] = new(CatalogClass.B, 0.1m, null, null, null, ItemCategory.Drug),
        ["M001"] = new(CatalogClass.A, 0m, null, null, null, ItemCategory.Material),
    });

    public static TheoryData<AuditOutcome> Outcomes => new() { AuditOutcome.Block, AuditOutcome.Flag };

    [Theory, MemberData(nameof(Outcomes))]
    public void Max_quantity_per_day_by_item_and_by_category(AuditOutcome outcome)
    {
        var stay = Stay("2026-07-01", "2026-07-04"); // 3 days
        var byItem = AuditEngine.AtGateway([new AuditRule("Q1", AuditKind.MaxQuantityPerDay, outcome, ItemCode: "S002", Max: 1)], stay, Catalog()).Single();
        Assert.Equal(("Q1", AuditNames.Of(outcome), 1), (byItem.RuleId, byItem.Outcome, byItem.Lines.Single()));
        var byCategory = AuditEngine.AtGateway([new AuditRule("Q2", AuditKind.MaxQuantityPerDay, outcome, Category: ItemCategory.Material, Max: 0.5m)], stay, Catalog()).Single();
        Assert.Equal([3], byCategory.Lines);
        Assert.Empty(AuditEngine.AtGateway([new AuditRule("Q3", AuditKind.MaxQuantityPerDay, outcome, ItemCode: "S002", Max: 2)], stay, Catalog()));
        // A same-day stay counts as one day.
        Assert.Single(AuditEngine.AtGateway([new AuditRule("Q4", AuditKind.MaxQuantityPerDay, outcome, ItemCode: "M001", Max: 2)], Stay("2026-07-01", "2026-07-01"), Catalog()));
    }

    [Theory, MemberData(nameof(Outcomes))]
    public void Max_length_of_stay(AuditOutcome outcome)
    {
        var rule = new AuditRule("L", AuditKind.MaxLengthOfStay, outcome, Days: 60);
        Assert.Equal(outcome == AuditOutcome.Block, AuditEngine.AtGateway([rule], Stay("2026-07-01", "2026-09-05"), null).Single().Blocks);
        Assert.Empty(AuditEngine.AtGateway([rule], Stay("2026-07-01", "2026-08-30"), null));
    }

    [Theory, MemberData(nameof(Outcomes))]
    public void Age_range_is_checked_at_home_on_the_service_date(AuditOutcome outcome)
    {
        var rule = new AuditRule("A", AuditKind.AgeRange, outcome, ItemCode: "D002", MinAge: 18, MaxAge: 120);
        Assert.Empty(AuditEngine.AtGateway([rule], Stay("2026-07-01", "2026-07-04"), Catalog()));
        var child = AuditEngine.AtHome([rule], Stay("2026-07-01", "2026-07-04"), Member("2015-09-20"), []).Single();
        Assert.Equal([2], child.Lines);
        Assert.Equal(AuditNames.Of(outcome), child.Outcome);
        // Eighteen on the service date (the discharge), not yet at admission: in range.
        Assert.Empty(AuditEngine.AtHome([rule], Stay("2026-07-01", "2026-07-04"), Member("2008-07-03"), []));
    }

    [Theory, MemberData(nameof(Outcomes))]
    public void Readmission_within_n_days_with_the_same_diagnosis_group(AuditOutcome outcome)
    {
        var rule = new AuditRule("R", AuditKind.Readmission, outcome, Days: 15);
        var history = new[] { new MemberVisit("H350200001~a", new DateOnly(2026, 6, 20), new DateOnly(2026, 6, 25), "I21.0") };
        Assert.Single(AuditEngine.AtHome([rule], Stay("2026-07-08", "2026-07-12"), Member("1970-01-01"), history)); // 13 days, I21
        Assert.Empty(AuditEngine.AtHome([rule], Stay("2026-07-11", "2026-07-12"), Member("1970-01-01"), history)); // 16 days
        Assert.Empty(AuditEngine.AtHome([rule], Stay("2026-07-08", "2026-07-12", "J18.9"), Member("1970-01-01"), history)); // another group
    }

    [Theory, MemberData(nameof(Outcomes))]
    public void Visit_frequency_counts_this_settlement_and_the_members_others_within_d_days(AuditOutcome outcome)
    {
        var rule = new AuditRule("V", AuditKind.VisitFrequency, outcome, Max: 3, Days: 30);
        var visits = Enumerable.Range(0, 3).Select(i => new MemberVisit($"x{i}", new DateOnly(2026, 7, 1 + 5 * i), new DateOnly(2026, 7, 2 + 5 * i), "K35.8")).ToList();
        Assert.Equal(AuditNames.Of(outcome), AuditEngine.AtHome([rule], Stay("2026-07-20", "2026-07-21"), Member("1970-01-01"), visits).Single().Outcome);
        Assert.Empty(AuditEngine.AtHome([rule], Stay("2026-07-20", "2026-07-21"), Member("1970-01-01"), visits.Take(2).ToList()));
        Assert.Empty(AuditEngine.AtHome([rule], Stay("2026-08-20", "2026-08-21"), Member("1970-01-01"), visits));
    }

    [Fact]
    public void The_seed_files_load_and_hold_the_national_defaults()
    {
        var national = AuditRuleSet.Default.For(Shenzhen, new DateOnly(2026, 7, 1));
        Assert.Contains(national, r => r is { Kind: AuditKind.MaxQuantityPerDay, ItemCode: "S002", Max: 1m, Outcome: AuditOutcome.Block });
        Assert.Contains(national, r => r is { Kind: AuditKind.MaxLengthOfStay, Days: 60, Outcome: AuditOutcome.Flag });
        Assert.Contains(national, r => r is { Kind: AuditKind.Readmission, Days: 15, Outcome: AuditOutcome.Flag });
        Assert.Contains(national, r => r is { Kind: AuditKind.VisitFrequency, Max: 3m, Days: 30, Outcome: AuditOutcome.Flag });
        Assert.Contains(national, r => r.Id == "SZ-CLOPIDOGREL-ADULT"); // Shenzhen's own file, with the national one
        Assert.DoesNotContain(AuditRuleSet.Default.For(RegionCode.Parse("350200"), new DateOnly(2026, 7, 1)), r => r.Id.StartsWith("SZ-", StringComparison.Ordinal));
        Assert.Empty(AuditRuleSet.Default.For(Shenzhen, new DateOnly(2026, 5, 31))); // effective-dated
    }

    [Theory]
    [InlineData("""{"region":"national","version":"1","effectiveFrom":"2026-01-01","rules":[{"id":"x","kind":"maxQuantityPerDay","outcome":"block","max":1}]}""", "$.rules[0]", "exactly one of itemCode and category")]
    [InlineData("""{"region":"national","version":"1","effectiveFrom":"2026-01-01","rules":[{"id":"x","kind":"sometimes","outcome":"block"}]}""", "$.rules[0].kind", "one of")]
    [InlineData("""{"region":"national","version":"1","effectiveFrom":"2026-01-01","rules":[{"id":"x","kind":"readmission","outcome":"warn","days":3}]}""", "$.rules[0].outcome", "block or flag")]
    [InlineData("""{"region":"national","version":"1","effectiveFrom":"2026-01-01","rules":[{"id":"x","kind":"readmission","outcome":"flag","days":3,"dayz":4}]}""", "$.rules[0].dayz", "unknown property")]
    [InlineData("""{"region":"4403","version":"1","effectiveFrom":"2026-01-01","rules":[]}""", "$.region", "six-digit")]
    [InlineData("""{"region":"national","version":"1","effectiveFrom":"2026-13-01","rules":[]}""", "$.effectiveFrom", "date")]
    [InlineData("""{"region":"national","version":"1","effectiveFrom":"2026-01-01","rules":[{"id":"x","kind":"ageRange","outcome":"flag","itemCode":"D1","minAge":30,"maxAge":20}]}""", "$.rules[0].maxAge", "below")]
    public void A_bad_file_is_refused_naming_the_file_and_the_json_path(string json, string path, string problem)
    {
        var e = Assert.Throws<AuditRuleFormatException>(() => AuditRuleLoader.Load(json, "audit/bad.json"));
        Assert.Equal("audit/bad.json", e.File);
        Assert.Equal(path, e.JsonPath);
        Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_refusal_adjustment_balances_and_takes_the_fund_layers_in_order()
    {
        var original = Journal.Post(new LedgerPosting("H~1", "H", RegionCode.Parse("511300"), Shenzhen, new FundAmounts(100m, 20m, 5m, 0m, 30m), 200m, 45m), ClearingPeriod.Of(new DateTimeOffset(2026, 7, 10, 0, 0, 0, TimeSpan.Zero)));
        var adj = Journal.Adjust(original, 110m, original.Period);
        Assert.True(adj.IsBalanced);
        Assert.Equal(new FundAmounts(-100m, -10m, 0m, 0m, 0m), adj.Funds);
        Assert.Throws<ArgumentOutOfRangeException>(() => Journal.Adjust(original, 125.01m, original.Period)); // the fund share is 125.00
    }
}
