using System.Globalization;
using Gateway.Contracts.National;
using Gateway.Domain;
using Gateway.Storage;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using static Gateway.Handler.National.NationalFields;

namespace Gateway.Handler.National;

public sealed record ReconciliationData
{
    [JsonProperty("insutype")] public string? Insutype { get; init; }
    [JsonProperty("clr_type")] public string? ClrType { get; init; }
    [JsonProperty("setl_optins")] public string? SetlOptins { get; init; }
    [JsonProperty("stmt_begndate")] public string? StmtBegndate { get; init; }
    [JsonProperty("stmt_enddate")] public string? StmtEnddate { get; init; }
    [JsonProperty("medfee_sumamt")] public decimal? MedfeeSumamt { get; init; }
    [JsonProperty("fund_pay_sumamt")] public decimal? FundPaySumamt { get; init; }
    [JsonProperty("acct_pay")] public decimal? AcctPay { get; init; }
    [JsonProperty("fixmedins_setl_cnt")] public int? FixmedinsSetlCnt { get; init; }
}

public sealed record ReconciliationDetail
{
    [JsonProperty("setl_id")] public string? SetlId { get; init; }
    [JsonProperty("medfee_sumamt")] public decimal? MedfeeSumamt { get; init; }
    [JsonProperty("fund_pay_sumamt")] public decimal? FundPaySumamt { get; init; }
    [JsonProperty("acct_pay")] public decimal? AcctPay { get; init; }
    [JsonProperty("refd_setl_flag")] public string? RefdSetlFlag { get; init; }
}

public sealed record PersonData
{
    [JsonProperty("mdtrt_cert_type")] public string? MdtrtCertType { get; init; }
    [JsonProperty("mdtrt_cert_no")] public string? MdtrtCertNo { get; init; }
    [JsonProperty("psn_cert_type")] public string? PsnCertType { get; init; }
    [JsonProperty("certno")] public string? Certno { get; init; }
    [JsonProperty("psn_name")] public string? PsnName { get; init; }
}

public sealed record PersonInput
{
    [JsonProperty("data")] public PersonData? Data { get; init; }
}

public sealed record ReconciliationInput
{
    [JsonProperty("data")] public ReconciliationData? Data { get; init; }
    /// <summary>3202: the hospital's settlements of the period.</summary>
    [JsonProperty("detail")] public List<ReconciliationDetail>? Detail { get; init; }
}

/// <summary>1101 person lookup and 3201/3202 reconciliation (对总账 / 对明细账).</summary>
public sealed class NationalQueries(SettlementStore settlements, MemberCertificates certificates, MemberStore members, TimeProvider clock)
{
    public const int MaxReconciliationDays = 93;
    public const int MaxDetail = 5_000;

    public async Task<JObject> ReconcileAsync(NationalCall call, JObject? input, CancellationToken ct)
    {
        var detailed = call.Infno == Infno.DetailReconciliation;
        var dto = Read<ReconciliationInput>(input);
        var data = Required(dto.Data, "/input/data");
        if (!detailed && dto.Detail is not null) throw NationalRefusal.Invalid("/input/detail", "3201 has no detail; send 3202 to compare settlement by settlement.");
        if (detailed && dto.Detail is null) throw NationalRefusal.Invalid("/input/detail", "Required for 3202: the hospital's settlements of the period.");
        if (dto.Detail is { Count: > MaxDetail }) throw NationalRefusal.Invalid("/input/detail", $"At most {MaxDetail} settlements; reconcile a shorter period.");
        if (!RegionCode.TryParse(data.SetlOptins, out var optins)) throw NationalRefusal.Invalid("/input/data/setl_optins", "Required: the clearing agency's (home) region, six digits.");
        if (data.Insutype is not null) OneOf(data.Insutype, "/input/data/insutype", NationalCodes.EmployeeInsurance, NationalCodes.ResidentInsurance);
        Text(data.ClrType, "/input/data/clr_type", 10);
        DateOnly Day(string? s, string field) => DateOnly.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d
            : throw NationalRefusal.Invalid("/input/data/" + field, "Required: yyyy-MM-dd (China calendar day).");
        var from = Day(data.StmtBegndate, "stmt_begndate");
        var to = Day(data.StmtEnddate, "stmt_enddate");
        if (to < from || to.DayNumber - from.DayNumber >= MaxReconciliationDays) throw NationalRefusal.Invalid("/input/data/stmt_enddate", $"From stmt_begndate, at most {MaxReconciliationDays} days.");
        var medfee = data.MedfeeSumamt ?? throw NationalRefusal.Invalid("/input/data/medfee_sumamt", "Required.");
        var fund = data.FundPaySumamt ?? throw NationalRefusal.Invalid("/input/data/fund_pay_sumamt", "Required.");
        var acct = data.AcctPay ?? throw NationalRefusal.Invalid("/input/data/acct_pay", "Required.");
        var count = data.FixmedinsSetlCnt ?? throw NationalRefusal.Invalid("/input/data/fixmedins_setl_cnt", "Required.");

        // The hospital's settlements submitted in the period (one partition's range, as POST /api/v1/reconciliations reads it).
        var (start, end) = ChinaTime.Days(from, to);
        var ours = new List<SettlementRecord>();
        string? page = null;
        do
        {
            var (items, next) = await settlements.ListAsync(call.Hospital.Code, start, end, 1000, page, ct).ConfigureAwait(false);
            ours.AddRange(items.Where(s => s.HomeRegion == optins.Value && s.Status is SettlementStatus.Completed or SettlementStatus.Cancelled));
            page = next;
        } while (page is not null);
        var completed = ours.Where(s => s.Status == SettlementStatus.Completed).ToList();
        var g = (Count: completed.Count, Medfee: completed.Sum(s => s.Total ?? 0), Fund: completed.Sum(s => s.FundTotal ?? 0), Acct: completed.Sum(s => s.AccountPay ?? 0));
        var differences = new List<string>();
        if (count != g.Count) differences.Add($"fixmedins_setl_cnt {count} (gateway {g.Count})");
        if (medfee != g.Medfee) differences.Add($"medfee_sumamt {Money2(medfee):0.00} (gateway {Money2(g.Medfee):0.00})");
        if (fund != g.Fund) differences.Add($"fund_pay_sumamt {Money2(fund):0.00} (gateway {Money2(g.Fund):0.00})");
        if (acct != g.Acct) differences.Add($"acct_pay {Money2(acct):0.00} (gateway {Money2(g.Acct):0.00})");

        var output = new JObject();
        if (detailed)
        {
            var byId = ours.ToDictionary(s => s.HospitalSettlementId, StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var rows = new JArray();
            for (var i = 0; i < dto.Detail!.Count; i++)
            {
                var d = dto.Detail[i] ?? throw NationalRefusal.Invalid($"/input/detail/{i}", "A settlement object.");
                var id = Id(d.SetlId, $"/input/detail/{i}/setl_id");
                if (!seen.Add(id)) throw NationalRefusal.Invalid($"/input/detail/{i}/setl_id", $"setl_id {id} appears twice.");
                var refunded = OneOf(d.RefdSetlFlag ?? "0", $"/input/detail/{i}/refd_setl_flag", "0", "1") == "1";
                byId.TryGetValue(id, out var s);
                var why = s is null ? "not a settlement of the gateway in this period"
                    : (s.Status == SettlementStatus.Cancelled) != refunded ? $"the gateway's settlement is {s.Status.Name()}"
                    : d.MedfeeSumamt != s.Total || d.FundPaySumamt != s.FundTotal || d.AcctPay != s.AccountPay ? "amounts differ" : null;
                if (why is not null) rows.Add(Row(id, s, why));
            }
            foreach (var s in ours.Where(s => !seen.Contains(s.HospitalSettlementId))) rows.Add(Row(s.HospitalSettlementId, s, "not in the hospital's list"));
            if (rows.Count > 0) differences.Add($"{rows.Count} settlement(s) differ");
            output["detail"] = rows;
        }
        output["stmtinfo"] = new JObject
        {
            ["setl_optins"] = optins.Value,
            ["stmt_rslt"] = differences.Count == 0 ? "0" : "1",
            ["stmt_rslt_dscr"] = differences.Count == 0 ? "matched" : string.Join("; ", differences),
            ["medfee_sumamt"] = M(g.Medfee),
            ["fund_pay_sumamt"] = M(g.Fund),
            ["acct_pay"] = M(g.Acct),
            ["fixmedins_setl_cnt"] = g.Count,
        };
        return output;
    }

    private static JObject Row(string id, SettlementRecord? s, string why) => new()
    {
        ["setl_id"] = id,
        ["medfee_sumamt"] = s?.Total is { } t ? M(t) : null,
        ["fund_pay_sumamt"] = s?.FundTotal is { } f ? M(f) : null,
        ["acct_pay"] = s?.AccountPay is { } a ? M(a) : null,
        ["refd_setl_flag"] = s is null ? null : s.Status == SettlementStatus.Cancelled ? "1" : "0",
        ["stmt_rslt_dscr"] = why,
    };

    /// <summary>
    /// 1101: the member by certificate, in the home region's registry (by the keyed hash of the number: the number itself is
    /// not stored), name and certificate masked. The ID-card number is <c>certno</c>, or <c>mdtrt_cert_no</c> with type 02.
    /// </summary>
    public async Task<JObject> PersonAsync(NationalCall call, JObject? input, CancellationToken ct)
    {
        var data = Required(Read<PersonInput>(input).Data, "/input/data");
        var certType = OneOf(data.MdtrtCertType, "/input/data/mdtrt_cert_type", "01", "02", "03");
        Text(data.MdtrtCertNo, "/input/data/mdtrt_cert_no", 50);
        Text(data.PsnCertType, "/input/data/psn_cert_type", 6);
        Text(data.Certno, "/input/data/certno", 50);
        Text(data.PsnName, "/input/data/psn_name", 50);
        var number = data.Certno ?? (certType == "02" ? data.MdtrtCertNo : null)
            ?? throw NationalRefusal.Invalid("/input/data/certno", "Required: the certificate number (or mdtrt_cert_no with mdtrt_cert_type 02).");
        var found = await certificates.FindAsync(call.Home, number, ct).ConfigureAwait(false)
            ?? throw new NationalRefusal("unknown-member", $"No member of region {call.Home} has this certificate.");
        var profile = await members.GetProfileAsync(call.Home, found.MemberId, ct).ConfigureAwait(false)
            ?? throw new NationalRefusal("unknown-member", $"No member of region {call.Home} has this certificate.");
        var today = ChinaTime.Today(clock);
        var age = today.Year - profile.BirthDate.Year - (today.DayOfYear < profile.BirthDate.DayOfYear ? 1 : 0);
        return new JObject
        {
            ["baseinfo"] = new JObject
            {
                ["psn_no"] = profile.MemberId,
                ["psn_cert_type"] = found.CertType,
                ["certno"] = found.CertNoMasked,
                ["psn_name"] = found.NameMasked ?? "",
                ["gend"] = found.Gender ?? "",
                ["brdy"] = profile.BirthDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                ["age"] = age,
            },
            ["insuinfo"] = new JArray(new JObject
            {
                ["insutype"] = SetlInfo.InsuType(profile.InsuranceType),
                ["psn_type"] = SetlInfo.PsnType(profile),
                ["balc"] = M(profile.AccountBalance),
                ["psn_insu_stas"] = profile.Status == MemberStatus.Active ? "1" : "2",
                ["insuplc_admdvs"] = profile.HomeRegion.Value,
            }),
            ["idetinfo"] = profile.AssistanceCategory == AssistanceCategory.None ? new JArray()
                : new JArray(new JObject { ["psn_idet_type"] = DomainNames.Of(profile.AssistanceCategory) }),
        };
    }
}
