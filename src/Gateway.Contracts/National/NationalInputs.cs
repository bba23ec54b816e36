using Newtonsoft.Json;

namespace Gateway.Contracts.National;

/// <summary>A diagnosis of 2401/2402/2203 (diseinfo).</summary>
public sealed record NationalDiagnosis
{
    [JsonProperty("diag_type")] public string? DiagType { get; init; }
    [JsonProperty("maindiag_flag")] public string? MaindiagFlag { get; init; }
    [JsonProperty("diag_srt_no")] public string? DiagSrtNo { get; init; }
    [JsonProperty("diag_code")] public string? DiagCode { get; init; }
    [JsonProperty("diag_name")] public string? DiagName { get; init; }
    [JsonProperty("psn_no")] public string? PsnNo { get; init; }
    [JsonProperty("mdtrt_id")] public string? MdtrtId { get; init; }
}

/// <summary>2401 / 2201 mdtrtinfo.</summary>
public sealed record AdmissionInfo
{
    [JsonProperty("psn_no")] public string? PsnNo { get; init; }
    [JsonProperty("insutype")] public string? Insutype { get; init; }
    [JsonProperty("begntime")] public string? Begntime { get; init; }
    [JsonProperty("mdtrt_cert_type")] public string? MdtrtCertType { get; init; }
    [JsonProperty("mdtrt_cert_no")] public string? MdtrtCertNo { get; init; }
    [JsonProperty("med_type")] public string? MedType { get; init; }
    [JsonProperty("ipt_no")] public string? IptNo { get; init; }
    [JsonProperty("ipt_otp_no")] public string? IptOtpNo { get; init; }
    [JsonProperty("adm_diag_dscr")] public string? AdmDiagDscr { get; init; }
    [JsonProperty("dise_codg")] public string? DiseCodg { get; init; }
    [JsonProperty("dise_name")] public string? DiseName { get; init; }
    /// <summary>Extension: upward / downward referral.</summary>
    [JsonProperty("refl_type")] public string? ReflType { get; init; }
    /// <summary>Extension: the referring settlement's setl_id.</summary>
    [JsonProperty("refl_setl_id")] public string? ReflSetlId { get; init; }
    /// <summary>Extension: "1" an emergency admission.</summary>
    [JsonProperty("emergency_flag")] public string? EmergencyFlag { get; init; }
}

public sealed record AdmissionInput
{
    [JsonProperty("mdtrtinfo")] public AdmissionInfo? Mdtrtinfo { get; init; }
    [JsonProperty("diseinfo")] public List<NationalDiagnosis>? Diseinfo { get; init; }
}

/// <summary>One fee line of 2301 / 2204.</summary>
public sealed record FeeDetail
{
    [JsonProperty("feedetl_sn")] public string? FeedetlSn { get; init; }
    [JsonProperty("mdtrt_id")] public string? MdtrtId { get; init; }
    [JsonProperty("psn_no")] public string? PsnNo { get; init; }
    [JsonProperty("med_type")] public string? MedType { get; init; }
    [JsonProperty("fee_ocur_time")] public string? FeeOcurTime { get; init; }
    [JsonProperty("med_list_codg")] public string? MedListCodg { get; init; }
    [JsonProperty("medins_list_codg")] public string? MedinsListCodg { get; init; }
    [JsonProperty("det_item_fee_sumamt")] public decimal? DetItemFeeSumamt { get; init; }
    [JsonProperty("cnt")] public decimal? Cnt { get; init; }
    [JsonProperty("pric")] public decimal? Pric { get; init; }
    [JsonProperty("bilg_dept_codg")] public string? BilgDeptCodg { get; init; }
    [JsonProperty("bilg_dr_codg")] public string? BilgDrCodg { get; init; }
    [JsonProperty("medins_list_name")] public string? MedinsListName { get; init; }
}

public sealed record FeeUploadInput
{
    [JsonProperty("feedetail")] public List<FeeDetail>? Feedetail { get; init; }
}

/// <summary>2302 / 2205 data.</summary>
public sealed record FeeRevokeData
{
    [JsonProperty("mdtrt_id")] public string? MdtrtId { get; init; }
    [JsonProperty("psn_no")] public string? PsnNo { get; init; }
    [JsonProperty("feedetl_sn")] public string? FeedetlSn { get; init; }
}

public sealed record FeeRevokeInput
{
    [JsonProperty("data")] public FeeRevokeData? Data { get; init; }
}

/// <summary>2402 dscginfo / 2203 mdtrtinfo.</summary>
public sealed record DischargeInfo
{
    [JsonProperty("mdtrt_id")] public string? MdtrtId { get; init; }
    [JsonProperty("psn_no")] public string? PsnNo { get; init; }
    [JsonProperty("insutype")] public string? Insutype { get; init; }
    [JsonProperty("endtime")] public string? Endtime { get; init; }
    [JsonProperty("begntime")] public string? Begntime { get; init; }
    [JsonProperty("med_type")] public string? MedType { get; init; }
    [JsonProperty("dise_codg")] public string? DiseCodg { get; init; }
    [JsonProperty("dise_name")] public string? DiseName { get; init; }
    [JsonProperty("dscg_way")] public string? DscgWay { get; init; }
}

public sealed record DischargeInput
{
    [JsonProperty("dscginfo")] public DischargeInfo? Dscginfo { get; init; }
    /// <summary>2203 names its visit info mdtrtinfo.</summary>
    [JsonProperty("mdtrtinfo")] public DischargeInfo? Mdtrtinfo { get; init; }
    [JsonProperty("diseinfo")] public List<NationalDiagnosis>? Diseinfo { get; init; }
}

/// <summary>2303/2304 and 2206/2207 data.</summary>
public sealed record SettleData
{
    [JsonProperty("psn_no")] public string? PsnNo { get; init; }
    [JsonProperty("mdtrt_cert_type")] public string? MdtrtCertType { get; init; }
    [JsonProperty("mdtrt_cert_no")] public string? MdtrtCertNo { get; init; }
    [JsonProperty("mdtrt_id")] public string? MdtrtId { get; init; }
    [JsonProperty("insutype")] public string? Insutype { get; init; }
    [JsonProperty("medfee_sumamt")] public decimal? MedfeeSumamt { get; init; }
    [JsonProperty("psn_setlway")] public string? PsnSetlway { get; init; }
    [JsonProperty("acct_used_flag")] public string? AcctUsedFlag { get; init; }
    [JsonProperty("mid_setl_flag")] public string? MidSetlFlag { get; init; }
    [JsonProperty("fulamt_ownpay_amt")] public decimal? FulamtOwnpayAmt { get; init; }
    [JsonProperty("overlmt_selfpay")] public decimal? OverlmtSelfpay { get; init; }
    [JsonProperty("preselfpay_amt")] public decimal? PreselfpayAmt { get; init; }
    [JsonProperty("inscp_scp_amt")] public decimal? InscpScpAmt { get; init; }
    [JsonProperty("medins_setl_id")] public string? MedinsSetlId { get; init; }
}

public sealed record SettleInput
{
    [JsonProperty("data")] public SettleData? Data { get; init; }
}

/// <summary>2305/2208 and 5203 data.</summary>
public sealed record SettlementRefData
{
    [JsonProperty("mdtrt_id")] public string? MdtrtId { get; init; }
    [JsonProperty("setl_id")] public string? SetlId { get; init; }
    [JsonProperty("psn_no")] public string? PsnNo { get; init; }
}

public sealed record SettlementRefInput
{
    [JsonProperty("data")] public SettlementRefData? Data { get; init; }
}
