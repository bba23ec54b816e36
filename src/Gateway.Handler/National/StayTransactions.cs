using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Gateway.Contracts.National;
using Gateway.Domain;
using Gateway.Handler.Reference;
using Gateway.Storage;
using Newtonsoft.Json.Linq;
using static Gateway.Handler.National.NationalFields;

namespace Gateway.Handler.National;

/// <summary>Who asks, for which member's home region, in which message (the envelope's checked parts).</summary>
public sealed record NationalCall(Hospital Hospital, string Infno, string Msgid, RegionCode Home, string? Opter);

/// <summary>
/// The stay's own transactions: admission or registration (2401/2201), the visit (2203), fee details (2301/2204), their
/// revocation (2302/2205) and discharge (2402). Every change is one transaction on the stay's partition under its ETag.
/// </summary>
public sealed class StayTransactions(StayStore stays, MemberStore members, CatalogRegistry catalogs, TimeProvider clock)
{
    private const int MaxAttempts = 10;

    /// <summary>Every line a stay may hold (as one settlement of the API).</summary>
    public const int MaxLinesPerStay = Intake.SettlementRequestValidator.MaxLines;

    /// <summary>The mdtrt_id the gateway issues for an admission: derived from the hospital and msgid, so a retried admission is the same stay.</summary>
    public static string MdtrtIdFor(string hospitalCode, string msgid) =>
        "MD" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(hospitalCode + "|" + msgid)))[..24].ToUpperInvariant();

    public bool Outpatient(string infno) => infno.StartsWith("22", StringComparison.Ordinal);

    public async Task<JObject> AdmitAsync(NationalCall call, JObject? input, CancellationToken ct)
    {
        var outpatient = Outpatient(call.Infno);
        var dto = Read<AdmissionInput>(input);
        var info = Required(dto.Mdtrtinfo, "/input/mdtrtinfo");
        var psn = Id(info.PsnNo, "/input/mdtrtinfo/psn_no");
        var insutype = OneOf(info.Insutype, "/input/mdtrtinfo/insutype", Gateway.Contracts.National.NationalCodes.EmployeeInsurance, Gateway.Contracts.National.NationalCodes.ResidentInsurance);
        var begin = Time(info.Begntime, "/input/mdtrtinfo/begntime");
        var medType = OneOf(info.MedType, "/input/mdtrtinfo/med_type", outpatient ? Gateway.Contracts.National.NationalCodes.MedTypeSpecialOutpatient : Gateway.Contracts.National.NationalCodes.MedTypeInpatient);
        var certType = OneOf(info.MdtrtCertType, "/input/mdtrtinfo/mdtrt_cert_type", "01", "02", "03");
        var certNo = Text(Required(info.MdtrtCertNo, "/input/mdtrtinfo/mdtrt_cert_no"), "/input/mdtrtinfo/mdtrt_cert_no", 50)!;
        var iptNo = Text(info.IptNo ?? info.IptOtpNo, "/input/mdtrtinfo/ipt_no", 30);
        Text(info.AdmDiagDscr, "/input/mdtrtinfo/adm_diag_dscr");
        Text(info.DiseName, "/input/mdtrtinfo/dise_name");
        var disease = info.DiseCodg is null ? null : Disease(info.DiseCodg, "/input/mdtrtinfo/dise_codg");
        if (info.ReflType is not null) OneOf(info.ReflType, "/input/mdtrtinfo/refl_type", "upward", "downward");
        if (info.ReflSetlId is not null && !Keys.TrySplitSettlementKey(info.ReflSetlId, out _, out _))
            throw NationalRefusal.Invalid("/input/mdtrtinfo/refl_setl_id", "The referring settlement's gateway id: hospitalCode~setl_id.");
        var emergency = info.EmergencyFlag switch { null or "0" => false, "1" => true, _ => throw NationalRefusal.Invalid("/input/mdtrtinfo/emergency_flag", "0 or 1.") };
        var diagnoses = Diagnoses(dto.Diseinfo, "/input/diseinfo", required: !outpatient);
        var date = DateOnly.FromDateTime(begin);
        if (date > ChinaTime.Today(clock).AddDays(1)) throw NationalRefusal.Invalid("/input/mdtrtinfo/begntime", "In the future.");

        var state = await members.LoadAsync(call.Home, psn, date.Year, "none", null, ct).ConfigureAwait(false)
            ?? throw new NationalRefusal("unknown-member", $"Member {psn} is not insured in region {call.Home}.");
        if (SetlInfo.InsuType(state.Profile.InsuranceType) != insutype)
            throw new NationalRefusal("insutype-mismatch", $"Member {psn} has insutype {SetlInfo.InsuType(state.Profile.InsuranceType)} in region {call.Home}, not {insutype}.");

        var stay = new StayRecord
        {
            MdtrtId = MdtrtIdFor(call.Hospital.Code, call.Msgid),
            HospitalCode = call.Hospital.Code,
            HomeRegion = call.Home.Value,
            PsnNo = psn,
            Insutype = insutype,
            MedType = medType,
            Begntime = info.Begntime!,
            AdmissionDate = date,
            IptNo = iptNo,
            MdtrtCertType = certType,
            MdtrtCertNoMasked = Mask(certNo),
            AdmissionDescription = info.AdmDiagDscr,
            AdmissionDiagnoses = diagnoses,
            DiseaseCode = disease,
            ReferralType = info.ReflType,
            ReferringSetlId = info.ReflSetlId,
            Emergency = emergency,
            Status = StayStatus.Open,
            OpenedAt = clock.GetUtcNow(),
            Opter = call.Opter,
        };
        await stays.CreateAsync(stay, ct).ConfigureAwait(false); // a retry finds it created: the same stay
        return new JObject { ["result"] = new JObject { ["mdtrt_id"] = stay.MdtrtId, ["psn_no"] = psn, ["ipt_otp_no"] = iptNo ?? "" } };
    }

    /// <summary>The stay, which must be the calling hospital's and the member's.</summary>
    public async Task<StayRecord> StayAsync(NationalCall call, string? mdtrtId, string? psnNo, string pointer, CancellationToken ct, bool anyKind = false)
    {
        var id = Id(mdtrtId, pointer + "/mdtrt_id");
        var stay = await stays.GetAsync(id, ct).ConfigureAwait(false);
        if (stay is null || stay.HospitalCode != call.Hospital.Code) throw new NationalRefusal("not-found", $"No stay (mdtrt_id) {id} of hospital {call.Hospital.Code}.");
        if (psnNo is not null && psnNo != stay.PsnNo) throw NationalRefusal.Invalid(pointer + "/psn_no", $"Stay {id} is of member {stay.PsnNo}.");
        if (stay.HomeRegion != call.Home.Value) throw NationalRefusal.Invalid("/insuplc_admdvs", $"Stay {id} is of home region {stay.HomeRegion}.");
        if (!anyKind && Outpatient(call.Infno) != stay.IsSpecialOutpatient)
            throw new NationalRefusal("wrong-transaction", $"Stay {id} is {(stay.IsSpecialOutpatient ? "a special-outpatient visit (22xx)" : "an inpatient stay (23xx/24xx)")}.");
        return stay;
    }

    public async Task<JObject> UploadAsync(NationalCall call, JObject? input, CancellationToken ct)
    {
        var dto = Read<FeeUploadInput>(input);
        var lines = dto.Feedetail;
        if (lines is null || lines.Count == 0) throw NationalRefusal.Invalid("/input/feedetail", "At least one fee line.");
        if (lines.Count > StayStore.MaxLinesPerTransaction) throw NationalRefusal.Invalid("/input/feedetail", $"At most {StayStore.MaxLinesPerTransaction} lines per call; send more calls.");
        var first = lines[0] ?? throw NationalRefusal.Invalid("/input/feedetail/0", "A line object.");
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var stay = await StayAsync(call, first.MdtrtId, first.PsnNo, "/input/feedetail/0", ct).ConfigureAwait(false);
            if (stay.SetlId is not null && stay.Status == StayStatus.Settled)
                throw new NationalRefusal("stay-settled", $"Stay {stay.MdtrtId} is settled (setl_id {stay.SetlId}): no more details; cancel the settlement first.");
            if (!stay.IsSpecialOutpatient && stay.Status != StayStatus.Open)
                throw new NationalRefusal("stay-discharged", $"Stay {stay.MdtrtId} was discharged: no more details.");
            var existing = (await stays.LinesAsync(stay.MdtrtId, ct).ConfigureAwait(false)).ToDictionary(l => l.FeedetlSn, StringComparer.Ordinal);
            var added = new List<StayLine>();
            var answer = new List<StayLine>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < lines.Count; i++)
            {
                var at = $"/input/feedetail/{i}";
                var l = lines[i] ?? throw NationalRefusal.Invalid(at, "A line object.");
                var line = Line(call, stay, l, at, stay.LinesIssued + added.Count + 1);
                if (!seen.Add(line.FeedetlSn)) throw NationalRefusal.Invalid(at + "/feedetl_sn", $"feedetl_sn {line.FeedetlSn} appears twice in this call.");
                if (existing.TryGetValue(line.FeedetlSn, out var before))
                {
                    if (before.ContentHash != line.ContentHash)
                        throw new NationalRefusal("line-conflict", $"feedetl_sn {line.FeedetlSn} was uploaded before with other content; revoke it (2302) before sending it again.");
                    answer.Add(before);
                    continue;
                }
                added.Add(line);
                answer.Add(line);
            }
            if (existing.Count + added.Count > MaxLinesPerStay) throw new NationalRefusal("too-many-lines", $"A stay holds at most {MaxLinesPerStay} lines.");
            if (added.Count > 0)
            {
                var (written, _) = await stays.UpdateAsync(stay with { LinesIssued = stay.LinesIssued + added.Count }, added, [], ct).ConfigureAwait(false);
                if (!written) continue; // the stay changed meanwhile: decide again
            }
            return new JObject { ["result"] = new JArray(answer.Select(LineOutput)) };
        }
        throw new NationalRefusal("busy", "The stay changed under this call too often; send it again with the same msgid.") { Transient = true };
    }

    private StayLine Line(NationalCall call, StayRecord stay, FeeDetail l, string at, int lineNo)
    {
        var sn = Sn(l.FeedetlSn, at + "/feedetl_sn");
        if (l.MdtrtId != stay.MdtrtId) throw NationalRefusal.Invalid(at + "/mdtrt_id", "Every line of one call is of the same stay.");
        if (l.PsnNo is not null && l.PsnNo != stay.PsnNo) throw NationalRefusal.Invalid(at + "/psn_no", $"Stay {stay.MdtrtId} is of member {stay.PsnNo}.");
        if (l.MedType is not null && l.MedType != stay.MedType) throw NationalRefusal.Invalid(at + "/med_type", $"The stay's med_type is {stay.MedType}.");
        var time = Time(l.FeeOcurTime, at + "/fee_ocur_time");
        var date = DateOnly.FromDateTime(time);
        if (date < stay.AdmissionDate) throw NationalRefusal.Invalid(at + "/fee_ocur_time", $"Before the admission ({stay.AdmissionDate:yyyy-MM-dd}).");
        if (date > ChinaTime.Today(clock).AddDays(1)) throw NationalRefusal.Invalid(at + "/fee_ocur_time", "In the future.");
        if (date.DayNumber - stay.AdmissionDate.DayNumber > CatalogPricer.MaxStayDays) throw NationalRefusal.Invalid(at + "/fee_ocur_time", $"More than {CatalogPricer.MaxStayDays} days after the admission.");
        var item = Item(l.MedListCodg, at + "/med_list_codg");
        Text(l.MedinsListCodg, at + "/medins_list_codg", 64);
        Text(l.MedinsListName, at + "/medins_list_name");
        Text(l.BilgDeptCodg, at + "/bilg_dept_codg", 30);
        Text(l.BilgDrCodg, at + "/bilg_dr_codg", 30);
        var amount = l.DetItemFeeSumamt ?? throw NationalRefusal.Invalid(at + "/det_item_fee_sumamt", "Required.");
        var cnt = l.Cnt ?? throw NationalRefusal.Invalid(at + "/cnt", "Required.");
        var pric = l.Pric ?? throw NationalRefusal.Invalid(at + "/pric", "Required.");
        if (cnt <= 0m || cnt > 1_000_000m || decimal.Round(cnt, 4) != cnt) throw NationalRefusal.Invalid(at + "/cnt", "A positive quantity with at most four decimals.");
        if (pric < 0m || pric > Money.AbsurdAmount || decimal.Round(pric, 4) != pric) throw NationalRefusal.Invalid(at + "/pric", "A unit price from 0 with at most four decimals.");
        if (amount < 0m || amount > Money.AbsurdAmount || decimal.Round(amount, 2) != amount) throw NationalRefusal.Invalid(at + "/det_item_fee_sumamt", "An amount from 0 with at most two decimals.");
        if (Math.Abs(cnt * pric - amount) > 0.01m)
            throw new NationalRefusal(Rejection.NameOf(RejectionCode.LineArithmetic), $"{at}: det_item_fee_sumamt {amount:0.00} is not cnt {cnt} × pric {pric} within 0.01.");
        var catalog = catalogs.For(call.Hospital.Region, date)
            ?? throw new NationalRefusal(Rejection.NameOf(RejectionCode.CatalogMissing), $"No catalog of treatment region {call.Hospital.Region} is in force on {date:yyyy-MM-dd}.");
        var priced = CatalogPricer.PriceOne(catalog, new EncounterLine(lineNo, item, l.MedinsListName, cnt, pric, amount), date);
        var content = string.Join("|", sn, l.FeeOcurTime, item, l.MedinsListCodg, l.MedinsListName, amount.ToString(CultureInfo.InvariantCulture),
            cnt.ToString(CultureInfo.InvariantCulture), pric.ToString(CultureInfo.InvariantCulture), l.BilgDeptCodg, l.BilgDrCodg);
        return new StayLine
        {
            FeedetlSn = sn,
            LineNo = lineNo,
            ItemCode = item,
            MedinsListCodg = l.MedinsListCodg,
            Name = l.MedinsListName,
            FeeOcurTime = l.FeeOcurTime!,
            Date = date,
            Quantity = cnt,
            UnitPrice = pric,
            Amount = amount,
            DeptCode = l.BilgDeptCodg,
            DoctorCode = l.BilgDrCodg,
            ChargeLevel = priced.Pricing switch { LinePricing.ClassA => "01", LinePricing.ClassB => "02", LinePricing.ClassC => "03", _ => "" },
            PriceCeiling = priced.PriceCeiling,
            PreSelfPayRatio = priced.PreSelfPayRatio,
            FullSelfPay = priced.FullSelfPay,
            OverLimit = priced.OverLimitSelfPay,
            PreSelfPay = priced.PreSelfPay,
            InScope = priced.InScope,
            ContentHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content))),
        };
    }

    public static JObject LineOutput(StayLine l) => new()
    {
        ["feedetl_sn"] = l.FeedetlSn,
        ["det_item_fee_sumamt"] = M(l.Amount),
        ["cnt"] = l.Quantity,
        ["pric"] = l.UnitPrice,
        ["pric_uplmt_amt"] = l.PriceCeiling is { } c ? new JValue(c) : null,
        ["selfpay_prop"] = l.ChargeLevel == "02" ? l.PreSelfPayRatio : l.ChargeLevel is "01" ? 0m : 1m,
        ["fulamt_ownpay_amt"] = M(l.FullSelfPay),
        ["overlmt_amt"] = M(l.OverLimit),
        ["preselfpay_amt"] = M(l.PreSelfPay),
        ["inscp_scp_amt"] = M(l.InScope),
        ["chrgitm_lv"] = l.ChargeLevel,
        ["med_chrgitm_type"] = "",
        ["memo"] = l.ChargeLevel switch
        {
            "" => $"{l.ItemCode} is not in the treatment region's catalog on {l.Date:yyyy-MM-dd}: full self-pay.",
            "03" => $"{l.ItemCode} is class C (丙): full self-pay.",
            _ => "",
        },
    };

    public async Task<JObject> RevokeAsync(NationalCall call, JObject? input, CancellationToken ct)
    {
        var data = Required(Read<FeeRevokeInput>(input).Data, "/input/data");
        var sn = data.FeedetlSn == Gateway.Contracts.National.NationalCodes.AllLines ? null : Sn(data.FeedetlSn, "/input/data/feedetl_sn");
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var stay = await StayAsync(call, data.MdtrtId, data.PsnNo, "/input/data", ct).ConfigureAwait(false);
            if (stay.Status == StayStatus.Settled)
                throw new NationalRefusal("stay-settled", $"Stay {stay.MdtrtId} is settled (setl_id {stay.SetlId}): cancel the settlement before revoking details.");
            var lines = await stays.LinesAsync(stay.MdtrtId, ct).ConfigureAwait(false);
            var gone = sn is null ? lines.Select(l => l.FeedetlSn).ToList() : lines.Any(l => l.FeedetlSn == sn) ? [sn] : null;
            if (gone is null) throw new NationalRefusal("not-found", $"Stay {stay.MdtrtId} has no line {sn}.");
            var written = true;
            var current = stay;
            // At most 99 rows per transaction: a long stay's "all lines" goes in several, each under the stay's ETag.
            foreach (var chunk in gone.Chunk(StayStore.MaxLinesPerTransaction))
            {
                (written, current) = await stays.UpdateAsync(current, [], chunk, ct).ConfigureAwait(false);
                if (!written) break;
            }
            if (!written) continue;
            return new JObject { ["result"] = new JArray(gone.Select(g => new JObject { ["feedetl_sn"] = g })) };
        }
        throw new NationalRefusal("busy", "The stay changed under this call too often; send it again with the same msgid.") { Transient = true };
    }

    /// <summary>2402 discharge, or 2203 the special-outpatient visit (diagnoses, the registered disease).</summary>
    public async Task<JObject> DischargeAsync(NationalCall call, JObject? input, CancellationToken ct)
    {
        var outpatient = Outpatient(call.Infno);
        var dto = Read<DischargeInput>(input);
        var name = outpatient ? "mdtrtinfo" : "dscginfo";
        var info = Required(outpatient ? dto.Mdtrtinfo : dto.Dscginfo, $"/input/{name}");
        if (outpatient ? dto.Dscginfo is not null : dto.Mdtrtinfo is not null) throw NationalRefusal.Invalid("/input", $"{call.Infno} sends {name}.");
        var diagnoses = Diagnoses(dto.Diseinfo, "/input/diseinfo", required: true);
        Text(info.DiseName, $"/input/{name}/dise_name");
        Text(info.DscgWay, $"/input/{name}/dscg_way", 6);
        var disease = info.DiseCodg is null ? null : Disease(info.DiseCodg, $"/input/{name}/dise_codg");
        if (outpatient && disease is null) throw NationalRefusal.Invalid($"/input/{name}/dise_codg", "Required: the registered special disease.");
        if (info.Insutype is not null) OneOf(info.Insutype, $"/input/{name}/insutype", Gateway.Contracts.National.NationalCodes.EmployeeInsurance, Gateway.Contracts.National.NationalCodes.ResidentInsurance);
        if (info.MedType is not null) OneOf(info.MedType, $"/input/{name}/med_type", outpatient ? Gateway.Contracts.National.NationalCodes.MedTypeSpecialOutpatient : Gateway.Contracts.National.NationalCodes.MedTypeInpatient);
        var timeText = outpatient ? info.Begntime : info.Endtime;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var stay = await StayAsync(call, info.MdtrtId, info.PsnNo, $"/input/{name}", ct).ConfigureAwait(false);
            if (stay.Status == StayStatus.Settled) throw new NationalRefusal("stay-settled", $"Stay {stay.MdtrtId} is settled (setl_id {stay.SetlId}).");
            if (!outpatient && stay.Status == StayStatus.Discharged) throw new NationalRefusal("stay-discharged", $"Stay {stay.MdtrtId} was discharged already.");
            var date = timeText is null && outpatient ? stay.AdmissionDate : DateOnly.FromDateTime(Time(timeText, $"/input/{name}/{(outpatient ? "begntime" : "endtime")}"));
            if (date < stay.AdmissionDate) throw NationalRefusal.Invalid($"/input/{name}/endtime", $"Before the admission ({stay.AdmissionDate:yyyy-MM-dd}).");
            if (date > ChinaTime.Today(clock).AddDays(1)) throw NationalRefusal.Invalid($"/input/{name}/endtime", "In the future.");
            if (outpatient && date != stay.AdmissionDate) throw NationalRefusal.Invalid($"/input/{name}/begntime", $"A visit has one date: the registration's {stay.AdmissionDate:yyyy-MM-dd}.");
            var lines = await stays.LinesAsync(stay.MdtrtId, ct).ConfigureAwait(false);
            if (!outpatient && lines.FirstOrDefault(l => l.Date > date) is { } late)
                throw NationalRefusal.Invalid("/input/dscginfo/endtime", $"Line {late.FeedetlSn} is dated after the discharge ({late.Date:yyyy-MM-dd}).");
            var next = stay with
            {
                Status = outpatient ? StayStatus.Open : StayStatus.Discharged,
                Endtime = timeText ?? stay.Begntime,
                DischargeDate = date,
                DischargeDiagnoses = diagnoses,
                DiseaseCode = disease ?? stay.DiseaseCode,
                DischargeWay = info.DscgWay,
            };
            var (written, _) = await stays.UpdateAsync(next, [], [], ct).ConfigureAwait(false);
            if (!written) continue;
            return new JObject { ["result"] = new JObject { ["mdtrt_id"] = stay.MdtrtId } };
        }
        throw new NationalRefusal("busy", "The stay changed under this call too often; send it again with the same msgid.") { Transient = true };
    }
}
