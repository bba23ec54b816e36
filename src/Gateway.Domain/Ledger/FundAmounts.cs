namespace Gateway.Domain;

/// <summary>What a home region's funds carry for one settlement or one position, per fund layer.</summary>
public readonly record struct FundAmounts(decimal Basic, decimal Supplementary, decimal MajorIllness, decimal Assistance, decimal PersonalAccount)
{
    public static FundAmounts Zero => default;

    /// <summary>What the home region owes: every fund layer and the personal account (all advanced by the treatment region).</summary>
    public decimal Total => Basic + Supplementary + MajorIllness + Assistance + PersonalAccount;

    public static FundAmounts operator +(FundAmounts a, FundAmounts b) =>
        new(a.Basic + b.Basic, a.Supplementary + b.Supplementary, a.MajorIllness + b.MajorIllness, a.Assistance + b.Assistance, a.PersonalAccount + b.PersonalAccount);

    public static FundAmounts operator -(FundAmounts a) => new(-a.Basic, -a.Supplementary, -a.MajorIllness, -a.Assistance, -a.PersonalAccount);

    public static FundAmounts operator -(FundAmounts a, FundAmounts b) => a + -b;

    public static FundAmounts Of(SettlementSplit s) => new(s.BasicFund, s.SupplementaryFund, s.MajorIllnessFund, s.AssistanceFund, s.AccountPay);
}
