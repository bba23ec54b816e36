using Azure;
using Newtonsoft.Json;

namespace Gateway.Storage;

/// <summary>Where a stay (就诊, mdtrt) is: open for details, discharged (2402 / visit recorded by 2203), or settled.</summary>
public static class StayStatus
{
    public const string Open = "open";
    public const string Discharged = "discharged";
    public const string Settled = "settled";
}

/// <summary>
/// A stay opened through the national interface (2401 admission or 2201 special-outpatient registration), built up by
/// later transactions: table Stays, one partition per stay (PK the mdtrt_id), the row <c>stay</c> and one row per fee
/// line (<c>line-{feedetl_sn}</c>). Identity numbers are not held: the certificate number is kept masked.
/// </summary>
public sealed record StayRecord
{
    public required string MdtrtId { get; init; }
    public required string HospitalCode { get; init; }
    public required string HomeRegion { get; init; }
    public required string PsnNo { get; init; }
    /// <summary>310 / 390 as the hospital sent it.</summary>
    public required string Insutype { get; init; }
    /// <summary>21 inpatient, 14 special outpatient.</summary>
    public required string MedType { get; init; }
    public required string Begntime { get; init; }
    public required DateOnly AdmissionDate { get; init; }
    public string? IptNo { get; init; }
    public string? MdtrtCertType { get; init; }
    public string? MdtrtCertNoMasked { get; init; }
    public string? AdmissionDescription { get; init; }
    public List<string> AdmissionDiagnoses { get; init; } = [];
    public List<string> DischargeDiagnoses { get; init; } = [];
    public string? Endtime { get; init; }
    public DateOnly? DischargeDate { get; init; }
    public string? DiseaseCode { get; init; }
    public string? DischargeWay { get; init; }
    public string? ReferralType { get; init; }
    public string? ReferringSetlId { get; init; }
    public bool Emergency { get; init; }
    public required string Status { get; init; }
    /// <summary>Line numbers handed out so far (the gateway's lineNo of each feedetl_sn, in upload order).</summary>
    public int LinesIssued { get; init; }
    /// <summary>Settlements attempted (2304/2207); the next one is <c>{mdtrt_id}-{n+1}</c>.</summary>
    public int SettlementSeq { get; init; }
    /// <summary>The setl_id of the stay's current settlement (pending or completed; a cancelled or refused one is replaced by the next).</summary>
    public string? SetlId { get; init; }
    public required DateTimeOffset OpenedAt { get; init; }
    public string? Opter { get; init; }
    [JsonIgnore] public ETag ETag { get; init; }

    public bool IsSpecialOutpatient => MedType == "14";
}

/// <summary>One fee line of a stay, priced on upload by the treatment catalog on its date.</summary>
public sealed record StayLine
{
    public required string FeedetlSn { get; init; }
    public required int LineNo { get; init; }
    public required string ItemCode { get; init; }
    public string? MedinsListCodg { get; init; }
    public string? Name { get; init; }
    public required string FeeOcurTime { get; init; }
    public required DateOnly Date { get; init; }
    public required decimal Quantity { get; init; }
    public required decimal UnitPrice { get; init; }
    public required decimal Amount { get; init; }
    public string? DeptCode { get; init; }
    public string? DoctorCode { get; init; }
    /// <summary>01 甲 / 02 乙 / 03 丙 ("" not in the catalog).</summary>
    public required string ChargeLevel { get; init; }
    public decimal? PriceCeiling { get; init; }
    public required decimal PreSelfPayRatio { get; init; }
    public required decimal FullSelfPay { get; init; }
    public required decimal OverLimit { get; init; }
    public required decimal PreSelfPay { get; init; }
    public required decimal InScope { get; init; }
    /// <summary>SHA-256 of the line as sent: the same feedetl_sn again with the same content is the same line.</summary>
    public required string ContentHash { get; init; }
}

/// <summary>A national message the gateway answered: same hospital + msgid + body = the same answer.</summary>
public sealed record NationalMessageRecord
{
    public required string HospitalCode { get; init; }
    public required string Msgid { get; init; }
    public required string Infno { get; init; }
    public required string RequestHash { get; init; }
    public required string Response { get; init; }
    public required DateTimeOffset AnsweredAt { get; init; }
}
