using Gateway.Domain;

namespace Gateway.Cli.Evaluate;

/// <summary>One scenario evaluated under the base pack (and the compare pack), or its error.</summary>
public sealed record ScenarioOutcome(ScenarioInput Input, SettlementResult? Base, SettlementResult? Compare, string? ErrorPath, string? Error)
{
    public bool Failed => Error is not null;
}

/// <summary>Sums per home region (and the budget impact of the compare pack).</summary>
public sealed class RegionSummary
{
    public int Count;
    public decimal Total, BasicFund, SupplementaryFund, MajorIllnessFund, AssistanceFund, AccountPay, CashPay, FundTotal;

    public void Add(SettlementSplit s)
    {
        Count++;
        Total += s.Total;
        BasicFund += s.BasicFund;
        SupplementaryFund += s.SupplementaryFund;
        MajorIllnessFund += s.MajorIllnessFund;
        AssistanceFund += s.AssistanceFund;
        AccountPay += s.AccountPay;
        CashPay += s.CashPay;
        FundTotal += s.FundTotal;
    }

    public IEnumerable<(string Field, decimal Value)> Fields() =>
    [
        ("total", Total), ("basicFund", BasicFund), ("supplementaryFund", SupplementaryFund), ("majorIllnessFund", MajorIllnessFund),
        ("assistanceFund", AssistanceFund), ("accountPay", AccountPay), ("cashPay", CashPay), ("fundTotal", FundTotal),
    ];
}

/// <summary>The engine applied to each scenario: the very code the gateway's home evaluator runs.</summary>
public sealed class EvaluationRun(RulePackSet? basePacks, RulePack? basePack, RulePack? comparePack, Dictionary<string, CatalogItem> items)
{
    private readonly Dictionary<RegionCode, Catalog> _catalogs = new();

    public SortedDictionary<string, RegionSummary> Base { get; } = new(StringComparer.Ordinal);
    public SortedDictionary<string, RegionSummary> Compared { get; } = new(StringComparer.Ordinal);
    public int Evaluated { get; private set; }
    public int Failed { get; private set; }

    public Catalog CatalogFor(RegionCode region)
    {
        if (!_catalogs.TryGetValue(region, out var c)) _catalogs[region] = c = new Catalog(region, "what-if", items);
        return c;
    }

    public ScenarioOutcome Evaluate(ScenarioInput input)
    {
        if (input.Scenario is not { } s)
        {
            Failed++;
            return new ScenarioOutcome(input, null, null, input.ErrorPath, input.Error);
        }
        try
        {
            var priced = SettlementEngine.Price(CatalogFor(s.Encounter.TreatmentRegion), s.Encounter);
            // A pack given on the command line is its own region's policy: members of other home regions keep their
            // region's seed pack, and only the compare pack's region is compared (a national sample stays usable).
            var home = s.Member.HomeRegion;
            var pack = basePack is not null && basePack.Region == home ? basePack : (basePacks ?? RulePackSet.Default).Get(home, s.Encounter.ServiceDate);
            var b = PolicyEngine.Evaluate(pack, priced, s.Member, s.Accumulators);
            var c = comparePack is not null && comparePack.Region == home ? PolicyEngine.Evaluate(comparePack, priced, s.Member, s.Accumulators) : null;
            Summary(Base, home.Value).Add(b.Split);
            if (c is not null) Summary(Compared, home.Value).Add(c.Split);
            Evaluated++;
            return new ScenarioOutcome(input, b, c, null, null);
        }
        catch (RejectedException e)
        {
            Failed++;
            return new ScenarioOutcome(input, null, null, PathOf(e.Rejection), $"{e.Rejection.Name}: {e.Rejection.Detail}");
        }
    }

    /// <summary>Where in the scenario a rejection points, as a JSON path (<c>$.encounter.lines[0].amount</c>).</summary>
    public static string PathOf(Rejection r)
    {
        if (r.RequestPointer is { } pointer)
        {
            var sb = new System.Text.StringBuilder("$");
            foreach (var segment in pointer.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                if (segment.All(char.IsAsciiDigit)) sb.Append('[').Append(segment).Append(']');
                else sb.Append('.').Append(segment);
            }
            return sb.ToString();
        }
        return r.Code switch
        {
            RejectionCode.CoverageSuspended => "$.member.status",
            RejectionCode.SpecialDiseaseNotRegistered => "$.member.specialDiseases",
            RejectionCode.NotCrossRegion => "$.member.homeRegion",
            RejectionCode.UnknownHomeRegion or RejectionCode.RulePackMissing => "$.member.homeRegion",
            RejectionCode.CatalogMissing => "$.treatmentRegion",
            _ => "$.encounter",
        };
    }

    private static RegionSummary Summary(SortedDictionary<string, RegionSummary> map, string region)
    {
        if (!map.TryGetValue(region, out var s)) map[region] = s = new RegionSummary();
        return s;
    }
}
