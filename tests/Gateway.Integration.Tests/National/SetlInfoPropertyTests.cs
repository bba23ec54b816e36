using FsCheck;
using FsCheck.Fluent;
using Gateway.Contracts;
using Gateway.Domain;
using Gateway.Handler.National;
using Gateway.Handler.Reference;
using Gateway.Storage;
using Gateway.TestSupport;
using Newtonsoft.Json.Linq;

namespace Gateway.Integration.Tests.National;

/// <summary>
/// setlinfo's identities (docs/national.md) over random stays: any seed home region, member, accumulators and bill, priced by
/// the real treatment catalogs, split by the real rule packs, reported where each pack's layers say. No storage.
/// </summary>
public sealed class SetlInfoPropertyTests
{
    private static readonly Config Config = Config.QuickThrowOnFailure.WithMaxTest(500);
    private static readonly CatalogRegistry Catalogs = CatalogRegistry.Load(Path.Combine(RepoPaths.Root, "data", "catalogs"));
    private static readonly string[] Regions = ["440300", "441900", "511300", "350200"];
    private static readonly string[] Items = ["D001", "D002", "S001", "M001", "S002", "X001", "D999"];

    public sealed record Case(RegionCode Home, RegionCode Treatment, MemberProfile Member, AnnualAccumulators Before, Encounter Encounter)
    {
        public override string ToString() => $"{Home}←{Treatment} {Member.InsuranceType} retired={Member.Retired} {Member.AssistanceCategory} lines={Encounter.Lines.Count} special={Encounter.EncounterType}";
    }

    private static Gen<decimal> Money(int maxYuan) => from y in Gen.Choose(0, maxYuan) from c in Gen.Choose(0, 99) select y + c / 100m;

    private static readonly Gen<Case> Cases =
        from home in Gen.Elements(Regions)
        from treatmentIndex in Gen.Choose(0, 2)
        from employee in Gen.Elements(true, false)
        from retired in Gen.Elements(true, false)
        from age in Gen.Choose(1, 90)
        from assistance in Gen.Elements(Enum.GetValues<AssistanceCategory>())
        from enrolled in Gen.Elements(true, false)
        from balance in Money(5000)
        from level in Gen.Choose(1, 3)
        from special in Gen.Frequency((4, Gen.Constant(false)), (1, Gen.Constant(true)))
        from useAccount in Gen.Elements(true, false)
        from count in Gen.Choose(1, 30)
        from lines in Gen.CollectToList(Enumerable.Range(1, count), i =>
            from item in Gen.Elements(Items) from qty in Gen.Choose(1, 300) from price in Money(3000)
            select new EncounterLine(i, item, null, qty, price, Gateway.Domain.Money.Round(qty * price)))
        from basicPaid in Money(500_000)
        from majorPaid in Money(300_000)
        from fundsPaid in Money(900_000)
        select Build(home, treatmentIndex, employee, retired, age, assistance, enrolled, balance, level, special, useAccount, lines.ToList(), basicPaid, majorPaid, fundsPaid);

    private static Case Build(string home, int treatmentIndex, bool employee, bool retired, int age, AssistanceCategory assistance, bool enrolled, decimal balance,
        int level, bool special, bool useAccount, List<EncounterLine> lines, decimal basicPaid, decimal majorPaid, decimal fundsPaid)
    {
        var h = RegionCode.Parse(home);
        var t = RegionCode.Parse(Regions.Where(r => r != home).ElementAt(treatmentIndex));
        var admission = new DateOnly(2026, 5, 1);
        var member = new MemberProfile("P1", h, employee ? InsuranceType.Employee : InsuranceType.Resident, retired, admission.AddYears(-age), 5, assistance, enrolled,
            [new SpecialDiseaseRegistration("I10", new DateOnly(2020, 1, 1), null)], [new Filing(t, new DateOnly(2026, 1, 1), null)], balance, MemberStatus.Active);
        var encounter = new Encounter("H1", t, (HospitalLevel)level, special ? EncounterType.SpecialOutpatient : EncounterType.Inpatient, admission,
            special ? admission : admission.AddDays(8), ["I21.9"], special ? "I10" : null, false, useAccount, null, lines);
        var before = new AnnualAccumulators(2026, 0, basicPaid, 0m, majorPaid, majorPaid, 0m, 0m, Math.Max(fundsPaid, basicPaid + majorPaid), new Dictionary<string, decimal>());
        return new Case(h, t, member, before, encounter);
    }

    private static StayRecord Stay(Case c) => new()
    {
        MdtrtId = "MD1", HospitalCode = "H1", HomeRegion = c.Home.Value, PsnNo = "P1", Insutype = SetlInfo.InsuType(c.Member.InsuranceType),
        MedType = c.Encounter.EncounterType == EncounterType.SpecialOutpatient ? "14" : "21", Begntime = "2026-05-01 08:00:00", AdmissionDate = c.Encounter.AdmissionDate,
        Status = StayStatus.Discharged, OpenedAt = DateTimeOffset.UnixEpoch, MdtrtCertType = "02",
    };

    [Fact]
    public void Setlinfo_identities_hold_on_every_settlement_and_its_reversal()
    {
        Prop.ForAll(Cases.ToArbitrary(), c =>
        {
            var catalog = Catalogs.For(c.Treatment, c.Encounter.ServiceDate)!;
            SettlementResult result;
            try
            {
                result = PolicyEngine.Evaluate(RulePackSet.Default.Get(c.Home, c.Encounter.ServiceDate), SettlementEngine.Price(catalog, c.Encounter), c.Member, c.Before);
            }
            catch (RejectedException)
            {
                return true;
            }
            var outcome = SettlementOutcomeDto.From(result);
            var pack = RulePackSet.Default.Get(c.Home, c.Encounter.ServiceDate);
            // Build asserts the identities itself (and throws); the checks here are written out once more, independently.
            var output = SetlInfo.Build(new SetlInfoSource(Stay(c), outcome.Split, outcome.Ratio, outcome.Explanation, pack.National, c.Member, "MD1-1",
                DateTimeOffset.UnixEpoch, c.Member.AccountBalance - outcome.Split.AccountPay, null, new Dictionary<string, decimal?>()));
            var reversal = SetlInfo.Reversal(output, "MD1-1-R", DateTimeOffset.UnixEpoch);
            return Holds(output, outcome.Split) && Holds(reversal, null);
        }).Check(Config);
    }

    private static bool Holds(JObject output, SplitDto? split)
    {
        var i = (JObject)output["setlinfo"]!;
        decimal V(string f) => (decimal)i[f]!;
        var funds = new[] { "hifp_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay", "hosp_part_amt", "oth_pay" }.Sum(V);
        var money = i.Properties().Where(p => p.Value.Type == JTokenType.Float && p.Name != "pool_prop_selfpay").All(p => ((decimal)p.Value).Scale == 2);
        var ok = i.Count == 41 && money
            && V("medfee_sumamt") == V("fulamt_ownpay_amt") + V("overlmt_selfpay") + V("preselfpay_amt") + V("inscp_scp_amt")
            && V("fund_pay_sumamt") == funds
            && V("medfee_sumamt") == V("fund_pay_sumamt") + V("psn_part_amt")
            && V("psn_part_amt") == V("acct_pay") + V("psn_cash_pay")
            && output["setldetail"]!.Sum(r => (decimal)r["fund_payamt"]!) == V("fund_pay_sumamt") + V("acct_pay")
            && output["setldetail"]!.All(r => ((string)r["fund_pay_type"]!).Length == 6);
        if (split is not null)
            ok &= V("medfee_sumamt") == split.Total && V("maf_pay") == split.AssistanceFund && V("acct_pay") == split.AccountPay && V("psn_cash_pay") == split.CashPay
                && V("hifp_pay") == split.BasicFund && V("fund_pay_sumamt") == split.FundTotal;
        return ok;
    }

    [Fact]
    public void Each_layer_reports_where_its_pack_says_with_the_documented_defaults()
    {
        var shenzhen = RulePackSet.Default.Get(RegionCode.Parse("440300"), new DateOnly(2026, 5, 1)).National;
        Assert.Equal("oth_pay", shenzhen.SupplementaryFund.Field(InsuranceType.Employee));
        Assert.Equal("hifob_pay", shenzhen.MajorIllness.Field(InsuranceType.Employee));
        Assert.Equal("330100", shenzhen.MajorIllness.FundPayType(InsuranceType.Employee));
        Assert.Equal("hifmi_pay", shenzhen.MajorIllness.Field(InsuranceType.Resident));
        Assert.Equal("390200", shenzhen.MajorIllness.FundPayType(InsuranceType.Resident));
        var nanchong = RulePackSet.Default.Get(RegionCode.Parse("511300"), new DateOnly(2026, 5, 1)).National;
        Assert.Equal("610100", nanchong.Assistance.FundPayType(InsuranceType.Resident));
        Assert.Equal("390100", nanchong.BasicFund.FundPayType(InsuranceType.Resident));
        Assert.Equal("310100", nanchong.BasicFund.FundPayType(InsuranceType.Employee));
        Assert.Equal("310200", nanchong.PersonalAccount.FundPayType(InsuranceType.Employee));
    }
}
