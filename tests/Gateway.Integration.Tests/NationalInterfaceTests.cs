using FsCheck;
using FsCheck.Fluent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Gateway.TestSupport;
using Newtonsoft.Json.Linq;

namespace Gateway.Integration.Tests;

/// <summary>A HIS speaking the national platform's interface (docs/national.md) through POST /api/v1/national/{infno}, on Azurite.</summary>
[Collection(GatewayCollection.Name)]
public sealed class NationalInterfaceTests(GatewayHost host)
{
    private GatewayFixture G => host.Gateway;

    private static int _seq;

    public static string NewMsgid(string hospital) =>
        hospital + DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + Interlocked.Increment(ref _seq).ToString("0000", CultureInfo.InvariantCulture)[^4..]
        + Guid.NewGuid().ToString("N")[..8];

    public static string Envelope(string hospital, string region, string infno, JObject input, string home = "511300", string? msgid = null) => new JObject
    {
        ["infno"] = infno,
        ["msgid"] = msgid ?? NewMsgid(hospital),
        ["mdtrtarea_admvs"] = region,
        ["insuplc_admdvs"] = home,
        ["recer_sys_code"] = "HIS",
        ["infver"] = "V1.0",
        ["opter_type"] = "1",
        ["opter"] = "0001",
        ["opter_name"] = "张护士",
        ["inf_time"] = DateTime.UtcNow.AddHours(8).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
        ["fixmedins_code"] = hospital,
        ["fixmedins_name"] = "Shenzhen hospital",
        ["input"] = input,
    }.ToString();

    private async Task<JObject> Send(HospitalClient h, string infno, string body)
    {
        using var r = await h.SendAsync(HttpMethod.Post, "/api/v1/national/" + infno, body);
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.OK, $"{(int)r.StatusCode}: {text}");
        Assert.Equal("application/json", r.Content.Headers.ContentType!.MediaType);
        // Read as the wire has it: money with its two decimals (a double would drop the trailing zero).
        using var reader = new Newtonsoft.Json.JsonTextReader(new StringReader(text)) { FloatParseHandling = Newtonsoft.Json.FloatParseHandling.Decimal, DateParseHandling = Newtonsoft.Json.DateParseHandling.None };
        return JObject.Load(reader);
    }

    private Task<JObject> Call(HospitalClient h, string infno, JObject input, string home = "511300") => Send(h, infno, Envelope(h.Code, "440300", infno, input, home));

    private static JObject Ok(JObject answer)
    {
        Assert.True((int)answer["infcode"]! == 0, answer.ToString());
        Assert.Null((string?)answer["err_msg"]);
        return (JObject)answer["output"]!;
    }

    private static string Refused(JObject answer)
    {
        Assert.True((int)answer["infcode"]! == -1, answer.ToString());
        Assert.Equal(JTokenType.Null, answer["output"]!.Type);
        return (string)answer["err_msg"]!;
    }

    private static decimal D(JToken t) => (decimal)t;

    public static JObject Line(string sn, string mdtrtId, string psn, string item, string cnt, string pric, string amount, string day) => new()
    {
        ["feedetl_sn"] = sn, ["mdtrt_id"] = mdtrtId, ["psn_no"] = psn, ["med_type"] = "21", ["fee_ocur_time"] = day + " 10:00:00",
        ["med_list_codg"] = item, ["medins_list_codg"] = "H-" + item, ["det_item_fee_sumamt"] = decimal.Parse(amount, CultureInfo.InvariantCulture),
        ["cnt"] = decimal.Parse(cnt, CultureInfo.InvariantCulture), ["pric"] = decimal.Parse(pric, CultureInfo.InvariantCulture), ["bilg_dept_codg"] = "D01", ["bilg_dr_codg"] = "DR01",
    };

    public static JObject Admission(string psn, string insutype = "390", string begin = "2026-05-01 08:00:00") => new()
    {
        ["mdtrtinfo"] = new JObject
        {
            ["psn_no"] = psn, ["insutype"] = insutype, ["begntime"] = begin, ["mdtrt_cert_type"] = "02", ["mdtrt_cert_no"] = "511302198103020011",
            ["med_type"] = "21", ["ipt_no"] = "ZY" + Guid.NewGuid().ToString("N")[..8], ["adm_diag_dscr"] = "急性心肌梗死",
        },
        ["diseinfo"] = new JArray(new JObject { ["diag_type"] = "1", ["maindiag_flag"] = "1", ["diag_srt_no"] = "1", ["diag_code"] = "I21.9", ["diag_name"] = "急性心肌梗死" }),
    };

    public static JObject Discharge(string mdtrtId, string psn) => new()
    {
        ["dscginfo"] = new JObject
        {
            ["mdtrt_id"] = mdtrtId, ["psn_no"] = psn, ["insutype"] = "390", ["endtime"] = "2026-05-09 10:00:00", ["dise_codg"] = "I21.9", ["dise_name"] = "急性心肌梗死", ["dscg_way"] = "1",
        },
        ["diseinfo"] = new JArray(new JObject { ["diag_type"] = "1", ["maindiag_flag"] = "1", ["diag_srt_no"] = "1", ["diag_code"] = "I21.9", ["diag_name"] = "急性心肌梗死" }),
    };

    public static JObject SettleInput(string mdtrtId, string psn, string sumamt, JObject? extra = null)
    {
        var data = new JObject
        {
            ["psn_no"] = psn, ["mdtrt_cert_type"] = "02", ["mdtrt_cert_no"] = "511302198103020011", ["mdtrt_id"] = mdtrtId, ["insutype"] = "390",
            ["medfee_sumamt"] = decimal.Parse(sumamt, CultureInfo.InvariantCulture), ["psn_setlway"] = "01", ["acct_used_flag"] = "0", ["mid_setl_flag"] = "0",
        };
        if (extra is not null) data.Merge(extra);
        return new JObject { ["data"] = data };
    }

    /// <summary>Spec example A's bill S in two 2301 calls (lines 1–4, then 5–7).</summary>
    public static (JObject First, JObject Second) BillS(string mdtrtId, string psn) =>
    (
        new JObject { ["feedetail"] = new JArray(
            Line("1", mdtrtId, psn, "D001", "10", "25.00", "250.00", "2026-05-01"),
            Line("2", mdtrtId, psn, "D002", "20", "48.50", "970.00", "2026-05-02"),
            Line("3", mdtrtId, psn, "S001", "1", "380.00", "380.00", "2026-05-03"),
            Line("4", mdtrtId, psn, "M001", "2", "1800.00", "3600.00", "2026-05-03")) },
        new JObject { ["feedetail"] = new JArray(
            Line("5", mdtrtId, psn, "S002", "12", "60.00", "720.00", "2026-05-08"),
            Line("6", mdtrtId, psn, "X001", "1", "1200.00", "1200.00", "2026-05-08"),
            Line("7", mdtrtId, psn, "D999", "1", "88.80", "88.80", "2026-05-09")) }
    );

    private static void AssertIdentities(JObject output)
    {
        var i = (JObject)output["setlinfo"]!;
        Assert.Equal(41, i.Count);
        decimal V(string f) => D(i[f]!);
        Assert.Equal(V("medfee_sumamt"), V("fulamt_ownpay_amt") + V("overlmt_selfpay") + V("preselfpay_amt") + V("inscp_scp_amt"));
        Assert.Equal(V("fund_pay_sumamt"), V("hifp_pay") + V("cvlserv_pay") + V("hifes_pay") + V("hifmi_pay") + V("hifob_pay") + V("maf_pay") + V("hosp_part_amt") + V("oth_pay"));
        Assert.Equal(V("medfee_sumamt"), V("fund_pay_sumamt") + V("psn_part_amt"));
        Assert.Equal(V("psn_part_amt"), V("acct_pay") + V("psn_cash_pay"));
        Assert.Equal(V("fund_pay_sumamt") + V("acct_pay"), output["setldetail"]!.Sum(r => D(r["fund_payamt"]!)));
    }

    [Fact]
    public async Task Spec_example_A_through_admission_details_discharge_trial_settlement_query_and_cancel()
    {
        var psn = await Members.FreshCopyAsync(G, "511300", "M511300001");
        var h = G.Hospital("H440300001");

        // 2401: the gateway issues the stay's mdtrt_id.
        var admitted = Ok(await Call(h, "2401", Admission(psn)));
        var mdtrtId = (string)admitted["result"]!["mdtrt_id"]!;
        Assert.Equal(psn, (string)admitted["result"]!["psn_no"]!);
        Assert.StartsWith("ZY", (string)admitted["result"]!["ipt_otp_no"]!);

        // 2301 twice: each line priced at once by the treatment catalog on its date.
        var (first, second) = BillS(mdtrtId, psn);
        var priced1 = (JArray)Ok(await Call(h, "2301", first))["result"]!;
        Assert.Equal(4, priced1.Count);
        var stent = priced1.Single(l => (string)l["feedetl_sn"]! == "4");
        Assert.Equal("02", (string)stent["chrgitm_lv"]!);
        Assert.Equal(1500.00m, D(stent["pric_uplmt_amt"]!));
        Assert.Equal(600.00m, D(stent["overlmt_amt"]!));
        Assert.Equal(600.00m, D(stent["preselfpay_amt"]!)); // (3,600 − 600) × 20%
        Assert.Equal(2400.00m, D(stent["inscp_scp_amt"]!));
        var priced2 = (JArray)Ok(await Call(h, "2301", second))["result"]!;
        Assert.Equal("03", (string)priced2.Single(l => (string)l["feedetl_sn"]! == "6")["chrgitm_lv"]!);
        var outside = priced2.Single(l => (string)l["feedetl_sn"]! == "7");
        Assert.Equal("", (string)outside["chrgitm_lv"]!);
        Assert.Equal(88.80m, D(outside["fulamt_ownpay_amt"]!));
        foreach (var l in priced1.Concat(priced2))
            Assert.Equal(D(l["det_item_fee_sumamt"]!), D(l["fulamt_ownpay_amt"]!) + D(l["overlmt_amt"]!) + D(l["preselfpay_amt"]!) + D(l["inscp_scp_amt"]!));

        // 2402, then no more details.
        Assert.Equal(mdtrtId, (string)Ok(await Call(h, "2402", Discharge(mdtrtId, psn)))["result"]!["mdtrt_id"]!);
        Assert.StartsWith("stay-discharged:", Refused(await Call(h, "2301", new JObject { ["feedetail"] = new JArray(Line("8", mdtrtId, psn, "D001", "1", "25.00", "25.00", "2026-05-09")) })));

        // medfee_sumamt must be the lines' sum; optional totals must be the gateway's pricing.
        Assert.StartsWith("medfee-mismatch:", Refused(await Call(h, "2303", SettleInput(mdtrtId, psn, "7208.00"))));
        var mismatch = Refused(await Call(h, "2303", SettleInput(mdtrtId, psn, "7208.80", new JObject { ["inscp_scp_amt"] = 4500.00m })));
        Assert.StartsWith("pricing-mismatch:", mismatch);
        Assert.Contains("4543.00", mismatch);

        // 2303: the split, nothing written (no setl_id).
        var trial = Ok(await Call(h, "2303", SettleInput(mdtrtId, psn, "7208.80", new JObject
        {
            ["fulamt_ownpay_amt"] = 1288.80m, ["overlmt_selfpay"] = 680.00m, ["preselfpay_amt"] = 697.00m, ["inscp_scp_amt"] = 4543.00m,
        })));
        Assert.Equal(JTokenType.Null, trial["setlinfo"]!["setl_id"]!.Type);
        Assert.Equal(2245.80m, D(trial["setlinfo"]!["hifp_pay"]!));
        AssertIdentities(trial);

        // 2304: through the pipeline (home region's queue, ledger).
        var settled = Ok(await Call(h, "2304", SettleInput(mdtrtId, psn, "7208.80")));
        AssertIdentities(settled);
        var info = (JObject)settled["setlinfo"]!;
        var setlId = (string)info["setl_id"]!;
        Assert.Equal(mdtrtId + "-1", setlId);
        Assert.Equal(mdtrtId, (string)info["mdtrt_id"]!);
        Assert.Equal(psn, (string)info["psn_no"]!);
        Assert.Equal("390", (string)info["insutype"]!);
        Assert.Equal("21", (string)info["med_type"]!);
        Assert.Equal("02", (string)info["mdtrt_cert_type"]!);
        Assert.Equal("511300", (string)info["clr_optins"]!);
        Assert.Equal("7208.80", info["medfee_sumamt"]!.ToString(Newtonsoft.Json.Formatting.None));
        var expected = new Dictionary<string, decimal>
        {
            ["medfee_sumamt"] = 7208.80m, ["fulamt_ownpay_amt"] = 1288.80m, ["overlmt_selfpay"] = 680.00m, ["preselfpay_amt"] = 697.00m, ["inscp_scp_amt"] = 4543.00m,
            ["act_pay_dedc"] = 800.00m, ["hifp_pay"] = 2245.80m, ["pool_prop_selfpay"] = 0.60m, ["cvlserv_pay"] = 0m, ["hifes_pay"] = 0m, ["hifmi_pay"] = 0m, ["hifob_pay"] = 0m,
            ["maf_pay"] = 0m, ["hosp_part_amt"] = 0m, ["oth_pay"] = 0m, ["fund_pay_sumamt"] = 2245.80m, ["psn_part_amt"] = 4963.00m, ["acct_pay"] = 0m,
            ["psn_cash_pay"] = 4963.00m, ["acct_mulaid_pay"] = 0m,
        };
        foreach (var (field, value) in expected) Assert.True(D(info[field]!) == value, $"{field}: {info[field]} (expected {value})");
        Assert.Equal("0.6000", info["pool_prop_selfpay"]!.ToString(Newtonsoft.Json.Formatting.None));
        var detail = Assert.Single((JArray)settled["setldetail"]!);
        Assert.Equal("390100", (string)detail["fund_pay_type"]!);
        Assert.Equal(2245.80m, D(detail["fund_payamt"]!));
        Assert.Equal(4543.00m, D(detail["inscp_scp_amt"]!));

        // A second 2304 of the settled stay is refused, naming its setl_id.
        var again = Refused(await Call(h, "2304", SettleInput(mdtrtId, psn, "7208.80")));
        Assert.StartsWith("already-settled:", again);
        Assert.Contains(setlId, again);

        // 5203 answers the settlement as it was made.
        var queried = Ok(await Call(h, "5203", new JObject { ["data"] = new JObject { ["psn_no"] = psn, ["setl_id"] = setlId, ["mdtrt_id"] = mdtrtId } }));
        Assert.True(JToken.DeepEquals(settled["setlinfo"], queried["setlinfo"]), queried.ToString());
        Assert.Equal("0", (string)queried["refd_setl_flag"]!);

        // Like any other settlement: the gateway's own API and the clearing pages see it, with its journal.
        using var api = await h.GetAsync(setlId);
        Assert.Equal(HttpStatusCode.OK, api.StatusCode);
        Assert.Equal("2245.80", (string)(await Requests.Json(api))["split"]!["basicFund"]!);
        var journals = await JournalsAsync("H440300001~" + setlId, 1);
        Assert.Equal(1, journals);

        // 2305: cancelled exactly as the API's cancel; the reversal is negative with a new setl_id.
        var reversal = Ok(await Call(h, "2305", new JObject { ["data"] = new JObject { ["mdtrt_id"] = mdtrtId, ["setl_id"] = setlId, ["psn_no"] = psn } }));
        AssertIdentities(reversal);
        Assert.Equal(setlId + "-R", (string)reversal["setlinfo"]!["setl_id"]!);
        Assert.Equal(-7208.80m, D(reversal["setlinfo"]!["medfee_sumamt"]!));
        Assert.Equal(-2245.80m, D(reversal["setlinfo"]!["hifp_pay"]!));
        Assert.Equal(-4963.00m, D(reversal["setlinfo"]!["psn_cash_pay"]!));
        Assert.Equal(2, await JournalsAsync("H440300001~" + setlId, 2));
        using var cancelled = await h.GetAsync(setlId);
        Assert.Equal("cancelled", (string)(await Requests.Json(cancelled))["status"]!);
        Assert.Equal("1", (string)Ok(await Call(h, "5203", new JObject { ["data"] = new JObject { ["psn_no"] = psn, ["setl_id"] = setlId, ["mdtrt_id"] = mdtrtId } }))["refd_setl_flag"]!);

        // Cancelled, the stay settles again under the next setl_id.
        var resettled = Ok(await Call(h, "2304", SettleInput(mdtrtId, psn, "7208.80")));
        Assert.Equal(mdtrtId + "-2", (string)resettled["setlinfo"]!["setl_id"]!);
        Assert.Equal(2245.80m, D(resettled["setlinfo"]!["hifp_pay"]!));
    }

    private async Task<int> JournalsAsync(string settlementId, int atLeast)
    {
        var count = 0;
        for (var i = 0; i < 100 && count < atLeast; i++)
        {
            using var r = new HttpRequestMessage(HttpMethod.Get, "api/v1/clearing/settlements/" + settlementId);
            r.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("reader:reader-demo")));
            using var answer = await G.Http.SendAsync(r);
            if (answer.StatusCode == HttpStatusCode.OK) count = JObject.Parse(await answer.Content.ReadAsStringAsync())["journal"]!.Count();
            if (count < atLeast) await Task.Delay(100);
        }
        return count;
    }

    [Fact]
    public async Task The_same_msgid_answers_the_same_and_changes_nothing_and_another_body_is_refused()
    {
        var psn = await Members.FreshCopyAsync(G, "511300", "M511300001");
        var h = G.Hospital("H440300001");
        var msgid = NewMsgid(h.Code);
        var body = Envelope(h.Code, "440300", "2401", Admission(psn), msgid: msgid);
        var first = await Send(h, "2401", body);
        var again = await Send(h, "2401", body);
        Assert.True(JToken.DeepEquals(first, again), again.ToString());
        var mdtrtId = (string)Ok(first)["result"]!["mdtrt_id"]!;

        var (lines, _) = BillS(mdtrtId, psn);
        var uploadId = NewMsgid(h.Code);
        var upload = Envelope(h.Code, "440300", "2301", lines, msgid: uploadId);
        var u1 = await Send(h, "2301", upload);
        var u2 = await Send(h, "2301", upload);
        Assert.True(JToken.DeepEquals(u1, u2));
        // Nothing was added twice: the discharge and trial see four lines (1,220 + 380 + 3,600 = 5,200.00).
        Ok(await Call(h, "2402", Discharge(mdtrtId, psn)));
        Assert.Equal(5200.00m, D(Ok(await Call(h, "2303", SettleInput(mdtrtId, psn, "5200.00")))["setlinfo"]!["medfee_sumamt"]!));

        var other = Envelope(h.Code, "440300", "2401", Admission(psn, begin: "2026-05-02 08:00:00"), msgid: msgid);
        Assert.StartsWith("msgid-conflict:", Refused(await Send(h, "2401", other)));
    }

    [Fact]
    public async Task A_registered_special_outpatient_member_settles_a_visit_through_2201_to_2207_and_cancels_it()
    {
        // A Nanchong employee registered for hypertension (I10, demo registry), treated in Shenzhen.
        var demo = await new Gateway.Storage.MemberStore(new Gateway.Storage.GatewayStorage(G.Azurite.ConnectionString))
            .GetProfileAsync(Gateway.Domain.RegionCode.Parse("511300"), "M511300003", CancellationToken.None);
        Assert.NotNull(demo);
        var registration = Assert.Single(demo!.SpecialDiseases);
        var psn = await Members.FreshCopyAsync(G, "511300", "M511300003");
        var insutype = demo.InsuranceType == Gateway.Domain.InsuranceType.Employee ? "310" : "390";
        var h = G.Hospital("H440300001");
        Task<JObject> C(string infno, JObject input) => Send(h, infno, Envelope(h.Code, "440300", infno, input, home: "511300"));

        var registered = Ok(await C("2201", new JObject
        {
            ["mdtrtinfo"] = new JObject
            {
                ["psn_no"] = psn, ["insutype"] = insutype, ["begntime"] = "2026-06-10 09:00:00", ["mdtrt_cert_type"] = "01", ["mdtrt_cert_no"] = "EV" + Guid.NewGuid().ToString("N")[..16],
                ["med_type"] = "14", ["ipt_otp_no"] = "MZ0001",
            },
        }));
        var mdtrtId = (string)registered["result"]!["mdtrt_id"]!;
        Assert.StartsWith("visit-not-recorded:", Refused(await C("2206", SettleInput(mdtrtId, psn, "0.00", new JObject { ["insutype"] = insutype }))));
        Ok(await C("2203", new JObject
        {
            ["mdtrtinfo"] = new JObject { ["mdtrt_id"] = mdtrtId, ["psn_no"] = psn, ["med_type"] = "14", ["begntime"] = "2026-06-10 09:00:00", ["dise_codg"] = registration.DiseaseCode, ["dise_name"] = "慢性病" },
            ["diseinfo"] = new JArray(new JObject { ["diag_type"] = "1", ["maindiag_flag"] = "1", ["diag_code"] = "I10", ["diag_name"] = "高血压" }),
        }));
        var line = Line("1", mdtrtId, psn, "D001", "20", "25.00", "500.00", "2026-06-10");
        line["med_type"] = "14";
        var priced = (JArray)Ok(await C("2204", new JObject { ["feedetail"] = new JArray(line) }))["result"]!;
        Assert.Equal(500.00m, D(priced[0]["inscp_scp_amt"]!));
        // Revoke and upload again (2205, 2204).
        Assert.Equal("1", (string)Ok(await C("2205", new JObject { ["data"] = new JObject { ["mdtrt_id"] = mdtrtId, ["psn_no"] = psn, ["feedetl_sn"] = "1" } }))["result"]![0]!["feedetl_sn"]!);
        Ok(await C("2204", new JObject { ["feedetail"] = new JArray(line) }));

        var trial = Ok(await C("2206", SettleInput(mdtrtId, psn, "500.00", new JObject { ["insutype"] = insutype })));
        AssertIdentities(trial);
        var settled = Ok(await C("2207", SettleInput(mdtrtId, psn, "500.00", new JObject { ["insutype"] = insutype })));
        AssertIdentities(settled);
        Assert.Equal("14", (string)settled["setlinfo"]!["med_type"]!);
        Assert.Equal("511300", (string)settled["setlinfo"]!["clr_optins"]!);
        Assert.True(JToken.DeepEquals(trial["setlinfo"]!["fund_pay_sumamt"], settled["setlinfo"]!["fund_pay_sumamt"]));
        var setlId = (string)settled["setlinfo"]!["setl_id"]!;
        Assert.StartsWith("already-settled:", Refused(await C("2207", SettleInput(mdtrtId, psn, "500.00", new JObject { ["insutype"] = insutype }))));
        var reversal = Ok(await C("2208", new JObject { ["data"] = new JObject { ["mdtrt_id"] = mdtrtId, ["setl_id"] = setlId, ["psn_no"] = psn } }));
        Assert.Equal(-500.00m, D(reversal["setlinfo"]!["medfee_sumamt"]!));
    }

    [Fact]
    public async Task Bad_input_is_infcode_minus_one_or_problem_json_and_never_a_5xx()
    {
        var h = G.Hospital("H440300001");
        var psn = await Members.FreshCopyAsync(G, "511300", "M511300001");
        // Transport: unsigned, not JSON, too large → problem+json 4xx.
        using (var unsigned = await G.Http.PostAsync("api/v1/national/2401", new StringContent("{}", Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.Unauthorized, (await Requests.ProblemAsync(unsigned)).Status);
        using (var notJson = await h.SendAsync(HttpMethod.Post, "/api/v1/national/2401", "{\"infno\":"))
            Assert.Equal(HttpStatusCode.BadRequest, (await Requests.ProblemAsync(notJson)).Status);
        using (var duplicate = await h.SendAsync(HttpMethod.Post, "/api/v1/national/2401", "{\"infno\":\"2401\",\"infno\":\"2401\"}"))
            Assert.Equal(HttpStatusCode.BadRequest, (await Requests.ProblemAsync(duplicate)).Status);
        using (var large = await h.SendAsync(HttpMethod.Post, "/api/v1/national/2401", "{\"infno\":\"" + new string('1', 300_000) + "\"}"))
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await Requests.ProblemAsync(large)).Status);

        // Business: HTTP 200, infcode −1, err_msg naming the problem type.
        var envelope = JObject.Parse(Envelope(h.Code, "440300", "2401", Admission(psn)));
        async Task<string> Bad(string infno, Action<JObject> change)
        {
            var e = (JObject)envelope.DeepClone();
            e["msgid"] = NewMsgid(h.Code);
            e["infno"] = infno;
            change(e);
            return Refused(await Send(h, infno, e.ToString()));
        }
        Assert.StartsWith("unknown-infno:", await Bad("9999", _ => { }));
        Assert.StartsWith("validation-error: /infno", await Bad("2401", e => e["infno"] = "2402"));
        Assert.StartsWith("validation-error: /fixmedins_code", await Bad("2401", e => e["fixmedins_code"] = "H440300002"));
        Assert.StartsWith("validation-error: /mdtrtarea_admvs", await Bad("2401", e => e["mdtrtarea_admvs"] = "511300"));
        Assert.StartsWith("not-cross-region:", await Bad("2401", e => e["insuplc_admdvs"] = "440300"));
        Assert.StartsWith("unknown-home-region:", await Bad("2401", e => e["insuplc_admdvs"] = "110000"));
        Assert.StartsWith("malformed-json:", await Bad("2401", e => e["input"]!["mdtrtinfo"]!["shoe_size"] = "42"));
        Assert.StartsWith("malformed-json:", await Bad("2401", e => e["input"]!["mdtrtinfo"]!["psn_no"] = 42));
        Assert.StartsWith("validation-error: /input/mdtrtinfo/insutype", await Bad("2401", e => e["input"]!["mdtrtinfo"]!["insutype"] = "999"));
        Assert.StartsWith("validation-error: /input/mdtrtinfo/begntime", await Bad("2401", e => e["input"]!["mdtrtinfo"]!["begntime"] = "2026-13-01"));
        Assert.StartsWith("validation-error: /input/mdtrtinfo/adm_diag_dscr", await Bad("2401", e => e["input"]!["mdtrtinfo"]!["adm_diag_dscr"] = new string('x', 201)));
        Assert.StartsWith("validation-error: /input/diseinfo", await Bad("2401", e => e["input"]!["diseinfo"] = new JArray(Enumerable.Range(0, 21).Select(_ => new JObject { ["diag_code"] = "I21.9" }))));
        Assert.StartsWith("insutype-mismatch:", await Bad("2401", e => e["input"]!["mdtrtinfo"]!["insutype"] = "310"));
        Assert.StartsWith("unknown-member:", await Bad("2401", e => e["input"]!["mdtrtinfo"]!["psn_no"] = "NOBODY"));
        Assert.StartsWith("validation-error: /input", await Bad("2401", e => e.Remove("input")));
        Assert.StartsWith("not-found:", await Bad("2301", e => e["input"] = BillS("MDNOSUCHSTAY", psn).First));
        var mdtrtId = (string)Ok(await Call(h, "2401", Admission(psn)))["result"]!["mdtrt_id"]!;
        Assert.StartsWith("line-arithmetic:", await Bad("2301", e => e["input"] = new JObject { ["feedetail"] = new JArray(Line("1", mdtrtId, psn, "D001", "10", "25.00", "260.00", "2026-05-01")) }));
        Assert.StartsWith("validation-error: /input/feedetail/0/fee_ocur_time", await Bad("2301", e => e["input"] = new JObject { ["feedetail"] = new JArray(Line("1", mdtrtId, psn, "D001", "1", "25.00", "25.00", "2026-04-01")) }));
        Assert.StartsWith("validation-error: /input/feedetail", await Bad("2301", e => e["input"] = new JObject { ["feedetail"] = new JArray(Enumerable.Range(1, 100).Select(i => Line(i.ToString(CultureInfo.InvariantCulture), mdtrtId, psn, "D001", "1", "25.00", "25.00", "2026-05-01"))) }));
        Assert.StartsWith("not-discharged:", await Bad("2304", e => e["input"] = SettleInput(mdtrtId, psn, "0.00")));
        Assert.StartsWith("wrong-transaction:", await Bad("2204", e => e["input"] = new JObject { ["feedetail"] = new JArray(Line("1", mdtrtId, psn, "D001", "1", "25.00", "25.00", "2026-05-01")) }));
        // Another hospital cannot see the stay.
        var other = G.Hospital("H440300002");
        var theirs = JObject.Parse(Envelope(other.Code, "440300", "2402", Discharge(mdtrtId, psn)));
        Assert.StartsWith("not-found:", Refused(await Send(other, "2402", theirs.ToString())));
    }

    [Fact]
    public async Task Person_lookup_finds_a_member_by_certificate_kept_only_as_a_keyed_hash_and_answers_it_masked()
    {
        var id = "CERT" + Guid.NewGuid().ToString("N")[..10];
        var certNo = "51130219810302" + Random.Shared.Next(1000, 9999).ToString(CultureInfo.InvariantCulture);
        var member = new JArray(new JObject
        {
            ["memberId"] = id, ["homeRegion"] = "511300", ["insuranceType"] = "resident", ["retired"] = false, ["birthDate"] = "1981-03-02", ["continuousYears"] = 7,
            ["assistanceCategory"] = "none", ["majorIllnessEnrolled"] = false, ["accountBalance"] = "0.00", ["status"] = "active",
            ["certType"] = "01", ["certNo"] = certNo, ["name"] = "王芳芳", ["gender"] = "2",
        });
        using var import = new HttpRequestMessage(HttpMethod.Post, "api/v1/regions/511300/members") { Content = new StringContent(member.ToString(), Encoding.UTF8, "application/json") };
        import.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("nanchong-admin:nanchong-admin-demo")));
        using (var imported = await G.Http.SendAsync(import)) Assert.True(imported.StatusCode == HttpStatusCode.OK, await imported.Content.ReadAsStringAsync());

        var h = G.Hospital("H440300001");
        var found = Ok(await Call(h, "1101", new JObject { ["data"] = new JObject { ["mdtrt_cert_type"] = "02", ["mdtrt_cert_no"] = certNo, ["psn_cert_type"] = "01", ["certno"] = certNo, ["psn_name"] = "王芳芳" } }));
        var baseinfo = found["baseinfo"]!;
        Assert.Equal(id, (string)baseinfo["psn_no"]!);
        Assert.Equal(certNo[..3] + new string('*', certNo.Length - 7) + certNo[^4..], (string)baseinfo["certno"]!);
        Assert.Equal("王**", (string)baseinfo["psn_name"]!);
        Assert.Equal("2", (string)baseinfo["gend"]!);
        Assert.Equal("1981-03-02", (string)baseinfo["brdy"]!);
        Assert.Equal("390", (string)found["insuinfo"]![0]!["insutype"]!);
        Assert.Equal("511300", (string)found["insuinfo"]![0]!["insuplc_admdvs"]!);
        Assert.StartsWith("unknown-member:", Refused(await Call(h, "1101", new JObject { ["data"] = new JObject { ["mdtrt_cert_type"] = "02", ["mdtrt_cert_no"] = "000000000000000000" } })));

        // Neither the certificate number nor the name is in storage in clear.
        var table = new Azure.Data.Tables.TableClient(G.Azurite.ConnectionString, "Members");
        await foreach (var e in table.QueryAsync<Azure.Data.Tables.TableEntity>())
            foreach (var value in e.Select(p => p.Value).OfType<string>())
            {
                Assert.DoesNotContain(certNo, value, StringComparison.Ordinal);
                Assert.DoesNotContain("王芳芳", value, StringComparison.Ordinal);
            }
        Assert.DoesNotContain(certNo, G.Log, StringComparison.Ordinal);
    }

    private static readonly string[] Nasty = ["", " ", "null", "-1", "1e400", "NaN", "'; DROP TABLE x;--", "<img src=x onerror=alert(1)>", "\u0000", "𠜎𠜱",
        "9999999999999999999999999999.99", "-0.001", "{}", "[]", "true", "0000", "2026-02-30 25:61:61"];

    /// <summary>A valid message with 1–4 random fields replaced by nasty values, removed, or retyped.</summary>
    private static string Mutate(string valid, int seed, int count)
    {
        var random = new Random(seed);
        var o = JObject.Parse(valid);
        o["msgid"] = "FZ" + seed.ToString(CultureInfo.InvariantCulture) + Guid.NewGuid().ToString("N")[..8];
        var leaves = o.Descendants().OfType<JValue>().Select(v => v.Path).ToList();
        for (var i = 0; i < count; i++)
        {
            var token = o.SelectToken(leaves[random.Next(leaves.Count)]);
            if (token is null) continue;
            var nasty = Nasty[random.Next(Nasty.Length)];
            switch (random.Next(4))
            {
                case 0: token.Replace(new JValue(nasty)); break;
                case 1 when token.Parent is JProperty p: p.Remove(); break;
                case 2: token.Replace(random.Next(2) == 0 ? new JValue(random.NextDouble() * 1e30 - 5e29) : new JValue(-random.Next())); break;
                default: token.Replace(new JArray(new JObject { ["x"] = nasty })); break;
            }
        }
        return o.ToString();
    }

    [Fact]
    public async Task Mutated_national_messages_never_get_a_5xx_nor_an_internal_name()
    {
        var psn = await Members.FreshCopyAsync(G, "511300", "M511300001");
        var h = G.Hospital("H440300001");
        var mdtrtId = (string)Ok(await Call(h, "2401", Admission(psn)))["result"]!["mdtrt_id"]!;
        var valid = new (string Infno, string Body)[]
        {
            ("2401", Envelope(h.Code, "440300", "2401", Admission(psn))),
            ("2301", Envelope(h.Code, "440300", "2301", BillS(mdtrtId, psn).First)),
            ("2402", Envelope(h.Code, "440300", "2402", Discharge(mdtrtId, psn))),
            ("2303", Envelope(h.Code, "440300", "2303", SettleInput(mdtrtId, psn, "5200.00"))),
            ("2305", Envelope(h.Code, "440300", "2305", new JObject { ["data"] = new JObject { ["mdtrt_id"] = mdtrtId, ["setl_id"] = mdtrtId + "-1", ["psn_no"] = psn } })),
            ("3202", Envelope(h.Code, "440300", "3202", new JObject
            {
                ["data"] = new JObject { ["setl_optins"] = "511300", ["stmt_begndate"] = "2026-05-01", ["stmt_enddate"] = "2026-05-31", ["medfee_sumamt"] = 0m, ["fund_pay_sumamt"] = 0m, ["acct_pay"] = 0m, ["fixmedins_setl_cnt"] = 0 },
                ["detail"] = new JArray(new JObject { ["setl_id"] = "X1", ["medfee_sumamt"] = 1m, ["fund_pay_sumamt"] = 0m, ["acct_pay"] = 0m, ["refd_setl_flag"] = "0" }),
            })),
        };
        var failures = new List<string>();
        var gen = from which in Gen.Choose(0, valid.Length - 1) from seed in Gen.Choose(0, int.MaxValue) from count in Gen.Choose(1, 4) select (which, seed, count);
        Prop.ForAll(gen.ToArbitrary(), c =>
        {
            var (infno, body) = valid[c.which];
            var mutated = Mutate(body, c.seed, c.count);
            using var r = h.SendAsync(HttpMethod.Post, "/api/v1/national/" + infno, mutated).GetAwaiter().GetResult();
            var text = r.Content.ReadAsStringAsync().GetAwaiter().GetResult();
            var code = (int)r.StatusCode;
            if (code >= 500) { failures.Add($"{code} for {mutated}: {text}"); return false; }
            if (code >= 400 && r.Content.Headers.ContentType?.MediaType != "application/problem+json") { failures.Add($"{code} without problem+json: {text}"); return false; }
            if (code == 200 && JObject.Parse(text)["infcode"] is null) { failures.Add($"200 without infcode: {text}"); return false; }
            if (text.Contains("System.", StringComparison.Ordinal) || text.Contains("Gateway.", StringComparison.Ordinal) || text.Contains("Exception", StringComparison.Ordinal) || text.Contains("   at ", StringComparison.Ordinal))
            {
                failures.Add($"an internal name in: {text}");
                return false;
            }
            return true;
        }).Check(FsCheck.Config.Quick.WithMaxTest(200));
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(5)));
    }
}
