namespace Gateway.Domain;

/// <summary>
/// Where one fund layer reports on the national interface (国家医保接口): the <c>setlinfo</c> field its payment adds to and
/// the <c>fund_pay_type</c> of its <c>setldetail</c> row, by insurance type (employee, resident). Rule-pack data
/// (<c>nationalField</c>, <c>fundPayType</c> on each layer), so a region whose supplementary fund reports elsewhere says so
/// in its pack, not in code.
/// </summary>
public sealed record NationalLayer(string EmployeeField, string ResidentField, string EmployeeFundPayType, string ResidentFundPayType)
{
    public string Field(InsuranceType t) => t == InsuranceType.Employee ? EmployeeField : ResidentField;

    public string FundPayType(InsuranceType t) => t == InsuranceType.Employee ? EmployeeFundPayType : ResidentFundPayType;
}

/// <summary>The national reporting of every layer of a pack, with the defaults of docs/national.md where a pack says nothing.</summary>
public sealed record NationalReporting(NationalLayer BasicFund, NationalLayer SupplementaryFund, NationalLayer MajorIllness, NationalLayer Assistance, NationalLayer PersonalAccount)
{
    /// <summary>The <c>setlinfo</c> fund fields a layer may report to (the personal account reports to <c>acct_pay</c> only).</summary>
    public static readonly IReadOnlyList<string> FundFields = ["hifp_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay", "hosp_part_amt", "oth_pay"];

    /// <summary>统筹基金: hifp_pay; 310100 employee, 390100 resident.</summary>
    public static readonly NationalLayer DefaultBasicFund = new("hifp_pay", "hifp_pay", "310100", "390100");
    /// <summary>A supplementary fund (e.g. 地补): oth_pay; 999900 (no national code; the pack should give its own).</summary>
    public static readonly NationalLayer DefaultSupplementaryFund = new("oth_pay", "oth_pay", "999900", "999900");
    /// <summary>职工大额 hifob_pay 330100; 居民大病 hifmi_pay 390200.</summary>
    public static readonly NationalLayer DefaultMajorIllness = new("hifob_pay", "hifmi_pay", "330100", "390200");
    /// <summary>医疗救助: maf_pay, 610100.</summary>
    public static readonly NationalLayer DefaultAssistance = new("maf_pay", "maf_pay", "610100", "610100");
    /// <summary>个人账户: acct_pay, 310200.</summary>
    public static readonly NationalLayer DefaultPersonalAccount = new("acct_pay", "acct_pay", "310200", "310200");

    public static readonly NationalReporting Default = new(DefaultBasicFund, DefaultSupplementaryFund, DefaultMajorIllness, DefaultAssistance, DefaultPersonalAccount);
}
