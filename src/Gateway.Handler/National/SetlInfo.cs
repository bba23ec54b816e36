using Gateway.Contracts;
using Gateway.Contracts.National;
using Gateway.Domain;
using Gateway.Storage;
using Newtonsoft.Json.Linq;
using static Gateway.Handler.National.NationalFields;

namespace Gateway.Handler.National;

/// <summary>What a settlement's national answer is made of (the split, where it came from, the member as the home region holds it).</summary>
public sealed record SetlInfoSource(
    StayRecord Stay,
    SplitDto Split,
    decimal Ratio,
    IReadOnlyList<ExplanationDto> Explanation,
    NationalReporting Reporting,
    MemberProfile Member,
    string? SetlId,
    DateTimeOffset SetlTime,
    decimal BalanceAfter,
    string? MedinsSetlId,
    IReadOnlyDictionary<string, decimal?> RemainingBefore);

/// <summary>
/// <c>setlinfo</c> (all 41 fields) and <c>setldetail</c> (one row per fund that paid) from the gateway's split, the fund layers
/// reporting where their rule pack says (<see cref="NationalReporting"/>). The identities of docs/national.md hold by
/// construction and are asserted (<see cref="CheckIdentities"/>); a reversal (2305) is the same answer negated.
/// </summary>
public static class SetlInfo
{
    public const string BasicLayer = "basicFund";
    public const string SupplementaryLayer = "supplementaryFund";
    public const string MajorIllnessLayer = "majorIllnessFund";
    public const string AssistanceLayer = "assistanceFund";
    public const string AccountLayer = "accountPay";

    private static readonly Dictionary<string, string> FundNames = new(StringComparer.Ordinal)
    {
        ["310100"] = "职工基本医疗保险统筹基金",
        ["390100"] = "城乡居民基本医疗保险基金",
        ["310200"] = "职工基本医疗保险个人账户基金",
        ["390200"] = "城乡居民大病医疗保险基金",
        ["330100"] = "职工大额医疗费用补助基金",
        ["610100"] = "医疗救助基金",
    };

    public static string InsuType(InsuranceType t) => t == InsuranceType.Employee ? NationalCodes.EmployeeInsurance : NationalCodes.ResidentInsurance;

    /// <summary>psn_type (人员类别): 11 employee in service, 12 retired employee, 15 resident (the gateway's reading of the registry).</summary>
    public static string PsnType(MemberProfile m) => m.InsuranceType == InsuranceType.Resident ? "15" : m.Retired ? "12" : "11";

    public static JObject Build(SetlInfoSource s, int sign = 1)
    {
        var split = s.Split;
        var type = s.Member.InsuranceType;
        decimal X(decimal v) => Money2(sign * v);
        var funds = NationalReporting.FundFields.ToDictionary(f => f, _ => 0m, StringComparer.Ordinal);
        var layers = new (string Layer, NationalLayer Reporting, decimal Paid)[]
        {
            (BasicLayer, s.Reporting.BasicFund, split.BasicFund),
            (SupplementaryLayer, s.Reporting.SupplementaryFund, split.SupplementaryFund),
            (MajorIllnessLayer, s.Reporting.MajorIllness, split.MajorIllnessFund),
            (AssistanceLayer, s.Reporting.Assistance, split.AssistanceFund),
        };
        foreach (var (_, reporting, paid) in layers) funds[reporting.Field(type)] += paid;

        var age = s.Member.BirthDate.Year is var y && ChinaTime.DateOf(s.SetlTime) is var d ? d.Year - y - (d.DayOfYear < s.Member.BirthDate.DayOfYear ? 1 : 0) : 0;
        var setlinfo = new JObject
        {
            ["mdtrt_id"] = s.Stay.MdtrtId,
            ["setl_id"] = s.SetlId,
            ["psn_no"] = s.Stay.PsnNo,
            // The registry holds no name or certificate number in clear: these come back empty (1101 answers them masked).
            ["psn_name"] = "",
            ["psn_cert_type"] = "",
            ["certno"] = "",
            ["gend"] = "",
            ["naty"] = "",
            ["brdy"] = s.Member.BirthDate.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            ["age"] = age,
            ["insutype"] = InsuType(type),
            ["psn_type"] = PsnType(s.Member),
            ["cvlserv_flag"] = "0",
            ["setl_time"] = s.SetlTime.ToOffset(ChinaTime.Offset).ToString(TimeFormat, System.Globalization.CultureInfo.InvariantCulture),
            ["mdtrt_cert_type"] = s.Stay.MdtrtCertType ?? "",
            ["med_type"] = s.Stay.MedType,
            ["medfee_sumamt"] = X(split.Total),
            ["fulamt_ownpay_amt"] = X(split.FullSelfPay),
            ["overlmt_selfpay"] = X(split.OverLimitSelfPay),
            ["preselfpay_amt"] = X(split.PreSelfPay),
            ["inscp_scp_amt"] = X(split.InScope),
            ["act_pay_dedc"] = X(split.Deductible),
            ["hifp_pay"] = X(funds["hifp_pay"]),
            ["pool_prop_selfpay"] = decimal.Round(s.Ratio, 4, MidpointRounding.AwayFromZero) + 0.0000m,
            ["cvlserv_pay"] = X(funds["cvlserv_pay"]),
            ["hifes_pay"] = X(funds["hifes_pay"]),
            ["hifmi_pay"] = X(funds["hifmi_pay"]),
            ["hifob_pay"] = X(funds["hifob_pay"]),
            ["maf_pay"] = X(funds["maf_pay"]),
            ["hosp_part_amt"] = X(funds["hosp_part_amt"]),
            ["oth_pay"] = X(funds["oth_pay"]),
            ["fund_pay_sumamt"] = X(split.FundTotal),
            ["psn_part_amt"] = X(split.Total - split.FundTotal),
            ["acct_pay"] = X(split.AccountPay),
            ["psn_cash_pay"] = X(split.CashPay),
            ["balc"] = Money2(s.BalanceAfter),
            ["acct_mulaid_pay"] = X(0m),
            ["medins_setl_id"] = s.MedinsSetlId ?? "",
            ["clr_optins"] = s.Member.HomeRegion.Value,
            ["clr_way"] = NationalCodes.ClearingWayItems,
            ["clr_type"] = s.Stay.IsSpecialOutpatient ? NationalCodes.ClearingTypeSpecialOutpatient : NationalCodes.ClearingTypeInpatient,
        };

        var detail = new JArray();
        void Row(string layer, NationalLayer reporting, decimal paid)
        {
            if (paid == 0m) return;
            var code = reporting.FundPayType(type);
            var step = s.Explanation.FirstOrDefault(e => e.Code == layer && e.LineNo is null);
            detail.Add(new JObject
            {
                ["fund_pay_type"] = code,
                ["inscp_scp_amt"] = X(split.InScope),
                ["crt_payb_lmt_amt"] = s.RemainingBefore.TryGetValue(layer, out var left) && left is { } l ? Money2(l) : null,
                ["fund_payamt"] = X(paid),
                ["fund_pay_type_name"] = FundNames.GetValueOrDefault(code, layer),
                ["setl_proc_info"] = step?.Text ?? "",
            });
        }
        foreach (var (layer, reporting, paid) in layers) Row(layer, reporting, paid);
        Row(AccountLayer, s.Reporting.PersonalAccount, split.AccountPay);

        var output = new JObject { ["setlinfo"] = setlinfo, ["setldetail"] = detail };
        CheckIdentities(output);
        return output;
    }

    /// <summary>The answer with every amount negated and a new setl_id: the reversal a cancel (2305/2208) reports.</summary>
    public static JObject Reversal(JObject settled, string reversalSetlId, DateTimeOffset at)
    {
        var r = (JObject)settled.DeepClone();
        var info = (JObject)r["setlinfo"]!;
        foreach (var p in info.Properties().ToList())
        {
            if (p.Name is "balc" or "pool_prop_selfpay" or "age") continue;
            if (p.Value.Type == JTokenType.Float || p.Value.Type == JTokenType.Integer) p.Value = Money2(-(decimal)p.Value);
        }
        info["setl_id"] = reversalSetlId;
        info["setl_time"] = at.ToOffset(ChinaTime.Offset).ToString(TimeFormat, System.Globalization.CultureInfo.InvariantCulture);
        foreach (var row in (JArray)r["setldetail"]!)
        {
            row["inscp_scp_amt"] = Money2(-(decimal)row["inscp_scp_amt"]!);
            row["fund_payamt"] = Money2(-(decimal)row["fund_payamt"]!);
        }
        CheckIdentities(r);
        return r;
    }

    /// <summary>The identities of docs/national.md; a violation is a bug, never an answer.</summary>
    public static void CheckIdentities(JObject output)
    {
        var i = (JObject)output["setlinfo"]!;
        decimal V(string f) => (decimal)i[f]!;
        var fundSum = NationalReporting.FundFields.Sum(V);
        var detailSum = ((JArray)output["setldetail"]!).Sum(r => (decimal)r["fund_payamt"]!);
        if (V("medfee_sumamt") != V("fulamt_ownpay_amt") + V("overlmt_selfpay") + V("preselfpay_amt") + V("inscp_scp_amt")
            || V("fund_pay_sumamt") != fundSum
            || V("medfee_sumamt") != V("fund_pay_sumamt") + V("psn_part_amt")
            || V("psn_part_amt") != V("acct_pay") + V("psn_cash_pay")
            || detailSum != V("fund_pay_sumamt") + V("acct_pay"))
            throw new InvalidOperationException("setlinfo identities do not hold.");
    }
}
