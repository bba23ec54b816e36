using FsCheck;
using FsCheck.Fluent;

namespace Gateway.Domain.Tests;

/// <summary>Identities that hold for every input the engine accepts (FsCheck, 500 cases each).</summary>
public sealed class SettlementProperties
{
    private static readonly Config Config = Config.QuickThrowOnFailure.WithMaxTest(500);

    private static SettlementResult Settle(SettlementCase c) =>
        SettlementEngine.Settle(c.Catalog, RulePackSet.Default, c.Encounter, c.Member, c.Before);

    /// <summary>The major-illness layer's own cap for this member: none when the member's category lifts it (§9.2).</summary>
    internal static decimal? MajorCap(RulePack pack, MemberProfile m) =>
        pack.MajorIllness?.TermsFor(m.AssistanceCategory) is { NoCap: true } ? null : pack.MajorIllness?.AnnualCap;

    [Fact]
    public void Components_sum_exactly_to_the_total()
    {
        Prop.ForAll(SettlementGenerators.Arbitrary, c =>
        {
            var s = Settle(c).Split;
            return s.Total == s.FullSelfPay + s.OverLimitSelfPay + s.PreSelfPay + s.InScope
                && s.Total == s.BasicFund + s.SupplementaryFund + s.MajorIllnessFund + s.AssistanceFund + s.AccountPay + s.CashPay
                && s.Total == c.Encounter.Lines.Sum(l => l.Amount);
        }).Check(Config);
    }

    [Fact]
    public void Nothing_is_negative_and_every_amount_is_in_cents()
    {
        Prop.ForAll(SettlementGenerators.Arbitrary, c =>
        {
            var s = Settle(c).Split;
            decimal[] all = [s.Total, s.FullSelfPay, s.OverLimitSelfPay, s.PreSelfPay, s.InScope, s.Deductible, s.BasicFund, s.SupplementaryFund,
                s.MajorIllnessFund, s.AssistanceFund, s.AccountPay, s.CashPay, s.CapShortfall];
            return all.All(a => a >= 0m && Money.Round(a) == a);
        }).Check(Config);
    }

    [Fact]
    public void Fund_layers_never_exceed_their_base_or_their_caps()
    {
        Prop.ForAll(SettlementGenerators.Arbitrary, c =>
        {
            var r = Settle(c);
            var s = r.Split;
            var pack = RulePackSet.Default.Get(c.Member.HomeRegion, c.Encounter.ServiceDate);
            var ok = s.Deductible <= s.InScope
                && s.BasicFund <= s.InScope - s.Deductible
                && s.SupplementaryFund <= s.CapShortfall
                && s.MajorIllnessFund - r.MajorIllnessOutOfCatalog <= Money.NonNegative(s.InScope - s.BasicFund - s.SupplementaryFund)
                && s.FundTotal + s.AccountPay <= s.Total
                && s.AccountPay <= Money.NonNegative(c.Member.AccountBalance);
            if (pack.Basic.AnnualCap(c.Member) is { } cap) ok &= s.BasicFund <= Money.NonNegative(cap - c.Before.BasicPaid);
            if (pack.Supplementary?.AnnualCap is { } sc) ok &= s.SupplementaryFund <= Money.NonNegative(sc - c.Before.SupplementaryPaid);
            if (MajorCap(pack, c.Member) is { } mc) ok &= s.MajorIllnessFund <= Money.NonNegative(mc - c.Before.MajorPaid);
            if (pack.Assistance?.AnnualCap is { } ac) ok &= s.AssistanceFund <= Money.NonNegative(ac - c.Before.AssistancePaid);
            if (pack.CombinedAnnualCap?[(int)c.Member.InsuranceType] is { } cc) ok &= s.FundTotal <= Money.NonNegative(cc - c.Before.FundsPaid);
            return ok;
        }).Check(Config);
    }

    [Fact]
    public void Accumulators_that_were_within_their_caps_stay_within_them()
    {
        Prop.ForAll(SettlementGenerators.Arbitrary, c =>
        {
            var r = Settle(c);
            var pack = RulePackSet.Default.Get(c.Member.HomeRegion, c.Encounter.ServiceDate);
            var after = r.After;
            bool Within(decimal? cap, decimal before, decimal now) => cap is not { } k || before > k || now <= k;
            return Within(pack.Basic.AnnualCap(c.Member), c.Before.BasicPaid, after.BasicPaid)
                && Within(pack.Supplementary?.AnnualCap, c.Before.SupplementaryPaid, after.SupplementaryPaid)
                && Within(MajorCap(pack, c.Member), c.Before.MajorPaid, after.MajorPaid)
                && Within(pack.Assistance?.AnnualCap, c.Before.AssistancePaid, after.AssistancePaid)
                && Within(pack.CombinedAnnualCap?[(int)c.Member.InsuranceType], c.Before.FundsPaid, after.FundsPaid);
        }).Check(Config);
    }

    [Fact]
    public void Cancellation_deltas_restore_the_accumulators_exactly()
    {
        Prop.ForAll(SettlementGenerators.Arbitrary, c =>
        {
            var r = Settle(c);
            return r.After.Reverse(r.Delta).SameAs(c.Before) && r.Delta.FundsPaid == r.Split.FundTotal && r.Delta.BasicPaid == r.Split.BasicFund;
        }).Check(Config);
    }

    [Fact]
    public void The_same_input_always_gives_the_same_split()
    {
        Prop.ForAll(SettlementGenerators.Arbitrary, c => Settle(c).Split == Settle(c).Split).Check(Config);
    }
}
