using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Gateway.Contracts.National;

/// <summary>
/// A request in the national medical-insurance platform's envelope (国家医疗保障信息平台 接口报文), as a HIS posts it to
/// <c>POST /api/v1/national/{infno}</c>. Field names are the national ones; see docs/national.md.
/// </summary>
public sealed record NationalRequest
{
    [JsonProperty("infno")] public string? Infno { get; init; }
    [JsonProperty("msgid")] public string? Msgid { get; init; }
    [JsonProperty("mdtrtarea_admvs")] public string? MdtrtareaAdmvs { get; init; }
    [JsonProperty("insuplc_admdvs")] public string? InsuplcAdmdvs { get; init; }
    [JsonProperty("recer_sys_code")] public string? RecerSysCode { get; init; }
    [JsonProperty("dev_no")] public string? DevNo { get; init; }
    [JsonProperty("dev_safe_info")] public string? DevSafeInfo { get; init; }
    [JsonProperty("cainfo")] public string? Cainfo { get; init; }
    [JsonProperty("signtype")] public string? Signtype { get; init; }
    [JsonProperty("infver")] public string? Infver { get; init; }
    [JsonProperty("opter_type")] public string? OpterType { get; init; }
    [JsonProperty("opter")] public string? Opter { get; init; }
    [JsonProperty("opter_name")] public string? OpterName { get; init; }
    [JsonProperty("sign_no")] public string? SignNo { get; init; }
    [JsonProperty("inf_time")] public string? InfTime { get; init; }
    [JsonProperty("fixmedins_code")] public string? FixmedinsCode { get; init; }
    [JsonProperty("fixmedins_name")] public string? FixmedinsName { get; init; }
    /// <summary>The transaction's input, read strictly into its own type once the infno is known.</summary>
    [JsonProperty("input")] public JObject? Input { get; init; }
}

/// <summary>The national answer: <c>infcode</c> 0 success, −1 failure with <c>err_msg</c> "problem-type: detail".</summary>
public sealed record NationalResponse
{
    [JsonProperty("infcode")] public int Infcode { get; init; }
    [JsonProperty("inf_refmsgid")] public required string InfRefmsgid { get; init; }
    [JsonProperty("refmsg_time")] public required string RefmsgTime { get; init; }
    [JsonProperty("respond_time")] public required string RespondTime { get; init; }
    [JsonProperty("err_msg")] public string? ErrMsg { get; init; }
    [JsonProperty("warn_msg")] public string? WarnMsg { get; init; }
    [JsonProperty("output")] public JObject? Output { get; init; }
}

/// <summary>The transaction numbers (infno) the gateway answers.</summary>
public static class Infno
{
    public const string PersonInfo = "1101";
    public const string OutpatientRegister = "2201";
    public const string OutpatientVisit = "2203";
    public const string OutpatientFeeUpload = "2204";
    public const string OutpatientFeeRevoke = "2205";
    public const string OutpatientTrial = "2206";
    public const string OutpatientSettle = "2207";
    public const string OutpatientCancel = "2208";
    public const string InpatientFeeUpload = "2301";
    public const string InpatientFeeRevoke = "2302";
    public const string InpatientTrial = "2303";
    public const string InpatientSettle = "2304";
    public const string InpatientCancel = "2305";
    public const string Admission = "2401";
    public const string Discharge = "2402";
    public const string TotalsReconciliation = "3201";
    public const string DetailReconciliation = "3202";
    public const string SettlementQuery = "5203";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        PersonInfo, OutpatientRegister, OutpatientVisit, OutpatientFeeUpload, OutpatientFeeRevoke, OutpatientTrial, OutpatientSettle, OutpatientCancel,
        InpatientFeeUpload, InpatientFeeRevoke, InpatientTrial, InpatientSettle, InpatientCancel, Admission, Discharge,
        TotalsReconciliation, DetailReconciliation, SettlementQuery,
    };
}

/// <summary>National code values the gateway reads and writes.</summary>
public static class NationalCodes
{
    /// <summary>insutype: 职工基本医疗保险.</summary>
    public const string EmployeeInsurance = "310";
    /// <summary>insutype: 城乡居民基本医疗保险.</summary>
    public const string ResidentInsurance = "390";
    /// <summary>med_type: 住院.</summary>
    public const string MedTypeInpatient = "21";
    /// <summary>med_type: 门诊慢特病.</summary>
    public const string MedTypeSpecialOutpatient = "14";
    public const int Success = 0;
    public const int Failure = -1;
    /// <summary>feedetl_sn of 2302/2205 meaning every line.</summary>
    public const string AllLines = "0000";
    /// <summary>clr_way: 按项目 (per item); clr_type: 11 普通住院, 14 门诊慢特病 (the clearing class the gateway reports).</summary>
    public const string ClearingWayItems = "1";
    public const string ClearingTypeInpatient = "11";
    public const string ClearingTypeSpecialOutpatient = "14";
}
