using System.Globalization;
using System.Security.Cryptography;
using Gateway.Contracts;
using Gateway.Contracts.National;
using Gateway.Domain;
using Gateway.Handler.Intake;
using Gateway.Handler.Security;
using Gateway.Storage;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Gateway.Handler.National;

/// <summary>
/// <c>POST /api/v1/national/{infno}</c> (function National): the national platform's envelope in and out, signed like every
/// hospital request. Transport failures (signature, size, media type, a body that is not JSON) are problem+json 4xx as on
/// the rest of the API; everything else is HTTP 200 with <c>infcode</c> 0, or −1 and <c>err_msg</c> "type: detail".
/// Idempotent by msgid: the same msgid and body answer the stored response; another body is refused (msgid-conflict).
/// </summary>
public sealed class NationalFunction(
    HospitalAuthenticator auth,
    NationalMessageStore messages,
    StayTransactions stays,
    SettleTransactions settle,
    NationalQueries queries,
    RulePackSet packs,
    TimeProvider clock,
    ILogger<NationalFunction> log)
{
    /// <summary>A national message is at most this big (99 fee lines fit in well under it).</summary>
    public const long MaxBytes = 262_144;

    private static readonly JsonSerializerSettings Out = new() { NullValueHandling = NullValueHandling.Include, Formatting = Formatting.None, FloatParseHandling = FloatParseHandling.Decimal };

    public async Task<IResult> HandleAsync(HttpRequest request, string infno, CancellationToken ct)
    {
        var (body, bodyProblem) = await HttpBody.ReadJsonAsync(request, ct, maxBytes: MaxBytes).ConfigureAwait(false);
        if (bodyProblem is not null) return bodyProblem.ToResult();
        var (hospital, problem) = await auth.AuthenticateAsync(request, body!, ct).ConfigureAwait(false);
        if (problem is not null) return problem.ToResult();
        var received = clock.GetUtcNow();

        NationalRequest envelope;
        try
        {
            envelope = StrictJson.Deserialize<NationalRequest>(body!);
        }
        catch (StrictJsonException e)
        {
            return ProblemTypes.Unreadable(e).ToResult();
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(body!));
        var msgid = envelope.Msgid;
        if (Keys.IsValidId(msgid) && await messages.GetAsync(hospital!.Code, msgid!, ct).ConfigureAwait(false) is { } answered)
        {
            if (answered.RequestHash == hash) return Text(answered.Response);
            return Answer(Refused(received, new NationalRefusal("msgid-conflict",
                $"msgid {msgid} was answered on {answered.AnsweredAt.ToOffset(ChinaTime.Offset):yyyy-MM-dd HH:mm:ss} for another message; use a new msgid for a new message.")));
        }

        NationalResponse response;
        var final = true;
        try
        {
            var call = Check(envelope, infno, hospital!);
            var output = await DispatchAsync(call, envelope.Input, ct).ConfigureAwait(false);
            response = Success(received, output);
        }
        catch (NationalRefusal r)
        {
            response = Refused(received, r);
            final = !r.Transient;
        }
        catch (RejectedException e)
        {
            response = Refused(received, new NationalRefusal(e.Rejection.Name, e.Rejection.Detail));
        }
        var json = JsonConvert.SerializeObject(response, Out);
        if (final && Keys.IsValidId(msgid))
        {
            var kept = await messages.RecordAsync(new NationalMessageRecord
            {
                HospitalCode = hospital!.Code,
                Msgid = msgid!,
                Infno = infno,
                RequestHash = hash,
                Response = json,
                AnsweredAt = received,
            }, ct).ConfigureAwait(false);
            if (kept.RequestHash != hash) return Answer(Refused(received, new NationalRefusal("msgid-conflict", $"msgid {msgid} was answered for another message; use a new msgid.")));
            json = kept.Response;
        }
        if (response.Infcode != NationalCodes.Success) log.LogInformation("National {Infno} of {Hospital} refused: {Type}", infno, hospital!.Code, response.ErrMsg?.Split(':')[0]);
        return Text(json);
    }

    /// <summary>The envelope's own checks: the path and the envelope agree, the hospital is the signer, the regions are right.</summary>
    private NationalCall Check(NationalRequest e, string infno, Reference.Hospital hospital)
    {
        if (!Infno.All.Contains(infno)) throw new NationalRefusal("unknown-infno", $"Transaction {Trunc(infno)} is not served; see docs/national.md for those that are.");
        if (e.Infno != infno) throw NationalRefusal.Invalid("/infno", $"The envelope's infno must be the path's, {infno}.");
        if (!Keys.IsValidId(e.Msgid) || e.Msgid!.Length > 40) throw NationalRefusal.Invalid("/msgid", "Required: the hospital's message id, 1–40 of [A-Za-z0-9_-] (fixmedins_code + yyyyMMddHHmmss + 4 digits).");
        if (e.FixmedinsCode != hospital.Code) throw NationalRefusal.Invalid("/fixmedins_code", $"Must be the signing hospital, {hospital.Code}.");
        if (e.MdtrtareaAdmvs != hospital.Region.Value) throw NationalRefusal.Invalid("/mdtrtarea_admvs", $"Must be the hospital's region, {hospital.Region}.");
        foreach (var (value, name, max) in new[] { (e.FixmedinsName, "fixmedins_name", 200), (e.RecerSysCode, "recer_sys_code", 20), (e.DevNo, "dev_no", 100), (e.DevSafeInfo, "dev_safe_info", 2000),
                     (e.Cainfo, "cainfo", 2000), (e.Signtype, "signtype", 10), (e.Infver, "infver", 10), (e.OpterType, "opter_type", 3), (e.Opter, "opter", 30), (e.OpterName, "opter_name", 50), (e.SignNo, "sign_no", 30) })
            NationalFields.Text(value, "/" + name, max);
        if (e.InfTime is not null) NationalFields.Time(e.InfTime, "/inf_time");
        if (!RegionCode.TryParse(e.InsuplcAdmdvs, out var home)) throw NationalRefusal.Invalid("/insuplc_admdvs", "Required: the member's home region, six digits.");
        if (infno is not (Infno.TotalsReconciliation or Infno.DetailReconciliation))
        {
            if (!packs.Knows(home)) throw new NationalRefusal(Rejection.NameOf(RejectionCode.UnknownHomeRegion), $"Region {home} is not a known home region.");
            if (home == hospital.Region) throw new NationalRefusal(Rejection.NameOf(RejectionCode.NotCrossRegion), "The member is insured in the hospital's own region: settle locally, not across regions.");
        }
        return new NationalCall(hospital, infno, e.Msgid, home, e.Opter);
    }

    private Task<JObject> DispatchAsync(NationalCall call, JObject? input, CancellationToken ct) => call.Infno switch
    {
        Infno.Admission or Infno.OutpatientRegister => stays.AdmitAsync(call, input, ct),
        Infno.InpatientFeeUpload or Infno.OutpatientFeeUpload => stays.UploadAsync(call, input, ct),
        Infno.InpatientFeeRevoke or Infno.OutpatientFeeRevoke => stays.RevokeAsync(call, input, ct),
        Infno.Discharge or Infno.OutpatientVisit => stays.DischargeAsync(call, input, ct),
        Infno.InpatientTrial or Infno.OutpatientTrial => settle.TrialAsync(call, input, ct),
        Infno.InpatientSettle or Infno.OutpatientSettle => settle.SettleAsync(call, input, ct),
        Infno.InpatientCancel or Infno.OutpatientCancel => settle.CancelAsync(call, input, ct),
        Infno.SettlementQuery => settle.QueryAsync(call, input, ct),
        Infno.PersonInfo => queries.PersonAsync(call, input, ct),
        Infno.TotalsReconciliation or Infno.DetailReconciliation => queries.ReconcileAsync(call, input, ct),
        _ => throw new NationalRefusal("unknown-infno", $"Transaction {call.Infno} is not served."),
    };

    private static string Trunc(string s) => s.Length > 10 ? s[..10] + "…" : s;

    private static string Time(DateTimeOffset at) => at.ToOffset(ChinaTime.Offset).ToString(NationalFields.TimeFormat, CultureInfo.InvariantCulture);

    private NationalResponse Success(DateTimeOffset received, JObject output) => new()
    {
        Infcode = NationalCodes.Success,
        InfRefmsgid = RefMsgId(received),
        RefmsgTime = Time(received),
        RespondTime = Time(clock.GetUtcNow()),
        Output = output,
    };

    private NationalResponse Refused(DateTimeOffset received, NationalRefusal r) => new()
    {
        Infcode = NationalCodes.Failure,
        InfRefmsgid = RefMsgId(received),
        RefmsgTime = Time(received),
        RespondTime = Time(clock.GetUtcNow()),
        ErrMsg = $"{r.Type}: {r.Detail}",
        Output = null,
    };

    /// <summary>The gateway's message id: "GW" + China time + 8 random hex.</summary>
    private static string RefMsgId(DateTimeOffset at) =>
        "GW" + at.ToOffset(ChinaTime.Offset).ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture) + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    private static IResult Text(string json) => Results.Text(json, "application/json", System.Text.Encoding.UTF8, 200);

    private static IResult Answer(NationalResponse r) => Text(JsonConvert.SerializeObject(r, Out));
}
