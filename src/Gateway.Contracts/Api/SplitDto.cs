using Gateway.Domain;

namespace Gateway.Contracts;

/// <summary>The split on the wire (spec §3 names, camelCase; money as strings with two decimals).</summary>
public sealed record SplitDto(
    decimal Total,
    decimal FullSelfPay,
    decimal OverLimitSelfPay,
    decimal PreSelfPay,
    decimal InScope,
    decimal Deductible,
    decimal BasicFund,
    decimal SupplementaryFund,
    decimal MajorIllnessFund,
    decimal AssistanceFund,
    decimal AccountPay,
    decimal CashPay,
    decimal FundTotal)
{
    public static SplitDto From(SettlementSplit s) => new(s.Total, s.FullSelfPay, s.OverLimitSelfPay, s.PreSelfPay, s.InScope, s.Deductible,
        s.BasicFund, s.SupplementaryFund, s.MajorIllnessFund, s.AssistanceFund, s.AccountPay, s.CashPay, s.FundTotal);

    /// <summary>The national-interface field names (国家医保接口) for hospitals whose systems expect them.</summary>
    public IReadOnlyDictionary<string, decimal> National() => new Dictionary<string, decimal>
    {
        ["medfee_sumamt"] = Total,
        ["fulamt_ownpay_amt"] = FullSelfPay,
        ["overlmt_selfpay"] = OverLimitSelfPay,
        ["preselfpay_amt"] = PreSelfPay,
        ["inscp_scp_amt"] = InScope,
        ["act_pay_dedc"] = Deductible,
        ["hifp_pay"] = BasicFund,
        ["hifmi_pay"] = MajorIllnessFund,
        ["maf_pay"] = AssistanceFund,
        ["acct_pay"] = AccountPay,
        ["psn_cash_pay"] = CashPay,
        ["fund_pay_sumamt"] = FundTotal,
    };
}

public sealed record AccumulatorDeltaDto(
    int Year, int Admissions, decimal BasicPaid, decimal SupplementaryPaid, decimal MajorQualifying, decimal MajorPaid,
    decimal AssistanceQualifying, decimal AssistancePaid, decimal FundsPaid, string? SpecialDisease, decimal SpecialDeductible, decimal AccountPaid)
{
    public static AccumulatorDeltaDto From(AccumulatorDelta d) => new(d.Year, d.Admissions, d.BasicPaid, d.SupplementaryPaid, d.MajorQualifying,
        d.MajorPaid, d.AssistanceQualifying, d.AssistancePaid, d.FundsPaid, d.SpecialDisease, d.SpecialDeductible, d.AccountPaid);

    public AccumulatorDelta ToDomain() => new(Year, Admissions, BasicPaid, SupplementaryPaid, MajorQualifying, MajorPaid,
        AssistanceQualifying, AssistancePaid, FundsPaid, SpecialDisease, SpecialDeductible, AccountPaid);
}

public sealed record ExplanationDto(string Code, int? LineNo, decimal Amount, string Text)
{
    public static List<ExplanationDto> From(IReadOnlyList<ExplanationStep> steps) =>
        steps.Select(s => new ExplanationDto(s.Code, s.LineNo, s.Amount, s.Text)).ToList();
}
