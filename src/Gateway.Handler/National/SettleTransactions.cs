using System.Text;
using Gateway.Contracts;
using Gateway.Contracts.National;
using Gateway.Domain;
using Gateway.Handler.Intake;
using Gateway.Handler.Lifecycle;
using Gateway.Storage;
using Newtonsoft.Json.Linq;
using static Gateway.Handler.National.NationalFields;

namespace Gateway.Handler.National;

/// <summary>
/// Trial (2303/2206), settlement (2304/2207), cancel (2305/2208) and query (5203) of a stay. A settlement is an ordinary
/// settlement of the gateway: the stay's lines become a <see cref="SettlementRequest"/> that <see cref="SubmitSettlementFunction.Prepare"/>
/// validates and prices, <see cref="SettlementIntake"/> records and dispatches to the home region, and the lifecycle carries
/// to the ledger and the clearing pages; a cancel is the API's cancel (<see cref="LifecycleEvent.CancelRequested"/>).
/// The settlement's hospital settlement id is its setl_id: <c>{mdtrt_id}-{n}</c>, n counting the stay's settlements.
/// </summary>
public sealed class SettleTransactions(
    StayTransactions stayTransactions,
    StayStore stays,
    SettlementStore settlements,
    SubmitSettlementFunction submit,
    SettlementIntake intake,
    SettlementTransitions transitions,
    SettlementWaiter waiter,
    MemberStore members,
    RulePackSet packs,
    TimeProvider clock)
{
    /// <summary>How long a settlement or cancel waits for the home region before answering "pending" (the same msgid asks again).</summary>
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(SettlementWaiter.MaxWaitSeconds);

    private const string OutcomeRow = "setl-";

    public static string SetlIdFor(string mdtrtId, int seq) => $"{mdtrtId}-{seq}";

    public static string ReversalIdFor(string setlId) => setlId + "-R";

    private sealed record Checked(StayRecord Stay, SettleData Data, SettlementRequest Request, byte[] Canonical, PreparedSettlement Prepared);

    private async Task<Checked> CheckAsync(NationalCall call, JObject? input, string setlId, StayRecord? known, CancellationToken ct)
    {
        var data = Required(Read<SettleInput>(input).Data, "/input/data");
        var stay = known ?? await stayTransactions.StayAsync(call, data.MdtrtId, data.PsnNo, "/input/data", ct).ConfigureAwait(false);
        if (data.MdtrtId != stay.MdtrtId) throw NationalRefusal.Invalid("/input/data/mdtrt_id", "Required.");
        if (data.PsnNo is null) throw NationalRefusal.Invalid("/input/data/psn_no", "Required.");
        if (data.Insutype is not null && data.Insutype != stay.Insutype) throw NationalRefusal.Invalid("/input/data/insutype", $"The stay's insutype is {stay.Insutype}.");
        if (data.MdtrtCertType is not null) OneOf(data.MdtrtCertType, "/input/data/mdtrt_cert_type", "01", "02", "03");
        Text(data.MdtrtCertNo, "/input/data/mdtrt_cert_no", 50);
        Text(data.MedinsSetlId, "/input/data/medins_setl_id", 64);
        if (data.PsnSetlway is not null) OneOf(data.PsnSetlway, "/input/data/psn_setlway", "01", "02");
        var useAccount = OneOf(data.AcctUsedFlag ?? "0", "/input/data/acct_used_flag", "0", "1") == "1";
        if (data.MidSetlFlag is not null && data.MidSetlFlag != "0")
            throw new NationalRefusal("mid-settlement-not-supported", "Only a settlement of the whole stay (mid_setl_flag 0): settle a long stay after its discharge.");
        var sumamt = data.MedfeeSumamt ?? throw NationalRefusal.Invalid("/input/data/medfee_sumamt", "Required: the sum of the uploaded lines.");

        if (stay.IsSpecialOutpatient ? stay.DischargeDiagnoses.Count == 0 || stay.DiseaseCode is null : stay.Status == StayStatus.Open)
            throw new NationalRefusal(stay.IsSpecialOutpatient ? "visit-not-recorded" : "not-discharged",
                stay.IsSpecialOutpatient ? $"Record the visit (2203: diagnoses and the registered disease) of {stay.MdtrtId} before settling it." : $"Discharge stay {stay.MdtrtId} (2402) before settling it.");
        var lines = await stays.LinesAsync(stay.MdtrtId, ct).ConfigureAwait(false);
        if (lines.Count == 0) throw new NationalRefusal("no-fee-details", $"Stay {stay.MdtrtId} has no fee details (2301/2204).");
        var sum = lines.Sum(l => l.Amount);
        if (sum != sumamt) throw new NationalRefusal("medfee-mismatch", $"medfee_sumamt {Money2(sumamt):0.00} is not the sum of the stay's {lines.Count} lines, {Money2(sum):0.00}.");

        var request = new SettlementRequest
        {
            HospitalSettlementId = setlId,
            Member = new MemberReference { HomeRegion = stay.HomeRegion, MemberId = stay.PsnNo },
            Encounter = new EncounterDto
            {
                EncounterType = stay.IsSpecialOutpatient ? "specialOutpatient" : "inpatient",
                AdmissionDate = stay.IsSpecialOutpatient ? null : stay.AdmissionDate,
                DischargeDate = stay.IsSpecialOutpatient ? null : stay.DischargeDate,
                VisitDate = stay.IsSpecialOutpatient ? stay.AdmissionDate : null,
                Diagnoses = stay.DischargeDiagnoses.Count > 0 ? stay.DischargeDiagnoses : stay.AdmissionDiagnoses,
                SpecialDiseaseCode = stay.IsSpecialOutpatient ? stay.DiseaseCode : null,
                Emergency = stay.Emergency,
                UseAccount = useAccount,
                Referral = stay.ReferralType is null ? null : new ReferralDto { Type = stay.ReferralType, ReferringSettlementId = stay.ReferringSetlId },
                Lines = lines.Select(l => new LineDto { LineNo = l.LineNo, ItemCode = l.ItemCode, Name = l.Name, Quantity = l.Quantity, UnitPrice = l.UnitPrice, Amount = l.Amount }).ToList(),
            },
        };
        // The settlement's request body, canonical: the same stay and data make the same body (the intake's idempotency).
        var canonical = Encoding.UTF8.GetBytes(GatewayJson.Serialize(request));
        var (prepared, problem) = submit.Prepare(request, canonical, call.Hospital);
        if (problem is not null) throw new NationalRefusal(problem.Name, problem.Errors is { Count: > 0 } e ? $"{problem.Detail} ({e[0].Pointer})" : problem.Detail);

        // The optional totals, when sent, are the gateway's pricing; the answer names each difference.
        var priced = prepared!.Priced;
        var differences = new List<string>();
        void Compare(string field, decimal? sent, decimal gateway)
        {
            if (sent is { } s && s != gateway) differences.Add($"{field} {Money2(s):0.00} (the gateway's pricing: {Money2(gateway):0.00})");
        }
        Compare("fulamt_ownpay_amt", data.FulamtOwnpayAmt, priced.FullSelfPay);
        Compare("overlmt_selfpay", data.OverlmtSelfpay, priced.OverLimitSelfPay);
        Compare("preselfpay_amt", data.PreselfpayAmt, priced.PreSelfPay);
        Compare("inscp_scp_amt", data.InscpScpAmt, priced.InScope);
        if (differences.Count > 0) throw new NationalRefusal("pricing-mismatch", string.Join("; ", differences) + ".");
        return new Checked(stay, data, request, canonical, prepared);
    }

    public async Task<JObject> TrialAsync(NationalCall call, JObject? input, CancellationToken ct)
    {
        var data = Read<SettleInput>(input).Data;
        var stay = await stayTransactions.StayAsync(call, data?.MdtrtId, data?.PsnNo, "/input/data", ct).ConfigureAwait(false);
        var c = await CheckAsync(call, input, SetlIdFor(stay.MdtrtId, stay.SettlementSeq + 1), stay, ct).ConfigureAwait(false);
        var home = c.Prepared.Home;
        var (outcome, problem) = await submit.TrialOutcomeAsync(home, stay.PsnNo, c.Prepared.Record.SettlementId, c.Prepared.Priced, c.Prepared.Findings, call.Hospital.Region.Value, ct).ConfigureAwait(false);
        if (problem is not null) throw new NationalRefusal(problem.Name, problem.Detail);
        var state = await members.LoadAsync(home, stay.PsnNo, c.Prepared.Priced.Encounter.ServiceDate.Year, "none", null, ct).ConfigureAwait(false)
            ?? throw new NationalRefusal("unknown-member", $"Member {stay.PsnNo} is not insured in region {home}.");
        var pack = packs.Get(home, c.Prepared.Priced.Encounter.ServiceDate);
        return SetlInfo.Build(new SetlInfoSource(stay, outcome!.Split, outcome.Ratio, outcome.Explanation, pack.National, state.Profile, null, clock.GetUtcNow(),
            state.Profile.AccountBalance - outcome.Split.AccountPay, c.Data.MedinsSetlId, Remaining(pack, state.Profile, state.Accumulators)));
    }

    public async Task<JObject> SettleAsync(NationalCall call, JObject? input, CancellationToken ct)
    {
        var data = Read<SettleInput>(input).Data;
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var stay = await stayTransactions.StayAsync(call, data?.MdtrtId, data?.PsnNo, "/input/data", ct).ConfigureAwait(false);
            string setlId;
            if (stay.SetlId is { } current)
            {
                var existing = await settlements.GetAsync(call.Hospital.Code, current, ct).ConfigureAwait(false);
                if (existing?.Status == SettlementStatus.Completed)
                    throw new NationalRefusal("already-settled", $"Stay {stay.MdtrtId} is settled: setl_id {current}. Cancel it (2305) before settling again.");
                if (existing is null || existing.Status == SettlementStatus.Pending) setlId = current; // recorded (or about to be): carry it on
                else
                {
                    // Rejected, failed or cancelled: the stay is open to a new settlement.
                    var (freed, _) = await stays.UpdateAsync(stay with { SetlId = null, Status = Reopened(stay) }, [], [], ct).ConfigureAwait(false);
                    _ = freed;
                    continue;
                }
            }
            else
            {
                setlId = SetlIdFor(stay.MdtrtId, stay.SettlementSeq + 1);
                // Checked before the stay is marked: a refused request changes nothing.
                await CheckAsync(call, input, setlId, stay, ct).ConfigureAwait(false);
                var (written, marked) = await stays.UpdateAsync(stay with { SetlId = setlId, SettlementSeq = stay.SettlementSeq + 1, Status = StayStatus.Settled }, [], [], ct).ConfigureAwait(false);
                if (!written) continue;
                stay = marked;
            }
            var c = await CheckAsync(call, input, setlId, stay with { Status = StayStatus.Discharged }, ct).ConfigureAwait(false);
            var record = c.Prepared.Record;
            using var listening = waiter.Listen(record.SettlementId);
            var (result, stored) = await intake.RecordAsync(record, null, ct).ConfigureAwait(false);
            if (result == IntakeResult.Conflict)
                throw new NationalRefusal("idempotency-conflict", $"Settlement {setlId} of stay {stay.MdtrtId} was recorded with other data; its stay changed since.");
            var done = await waiter.WaitAsync(stored!, Wait, ct, listening: listening).ConfigureAwait(false);
            return await AnswerAsync(call, stay, done, c.Data.MedinsSetlId, ct).ConfigureAwait(false);
        }
        throw new NationalRefusal("busy", "The stay changed under this call too often; send it again with the same msgid.") { Transient = true };
    }

    private static string Reopened(StayRecord stay) => stay.IsSpecialOutpatient ? StayStatus.Open : StayStatus.Discharged;

    /// <summary>The national answer to a settlement in the state it reached: its setlinfo (stored once, for 5203), a refusal, or pending.</summary>
    private async Task<JObject> AnswerAsync(NationalCall call, StayRecord stay, SettlementRecord record, string? medinsSetlId, CancellationToken ct)
    {
        switch (record.Status)
        {
            case SettlementStatus.Pending:
                throw new NationalRefusal("settlement-pending", $"Settlement {record.HospitalSettlementId} waits for home region {record.HomeRegion}; send the same message (same msgid) again.") { Transient = true };
            case SettlementStatus.Completed:
                return await OutputAsync(stay, record, medinsSetlId, ct).ConfigureAwait(false);
            default:
                // Refused by the home region (or failed): the stay is open to a new settlement.
                var latest = await stays.GetAsync(stay.MdtrtId, ct).ConfigureAwait(false);
                if (latest is { SetlId: { } s } && s == record.HospitalSettlementId) await stays.UpdateAsync(latest with { SetlId = null, Status = Reopened(latest) }, [], [], ct).ConfigureAwait(false);
                throw new NationalRefusal(record.RejectionCode ?? record.Status.Name(), record.RejectionDetail ?? record.FailureReason ?? $"Settlement {record.HospitalSettlementId} is {record.Status.Name()}.");
        }
    }

    /// <summary>The settled answer, made once from the member as the home region holds it just after the settlement and kept in the stay's partition.</summary>
    private async Task<JObject> OutputAsync(StayRecord stay, SettlementRecord record, string? medinsSetlId, CancellationToken ct)
    {
        var kept = await stays.GetOutputAsync(stay.MdtrtId, OutcomeRow + record.HospitalSettlementId, ct).ConfigureAwait(false);
        if (kept is not null) return Parse(kept);
        var outcome = GatewayJson.Deserialize<SettlementOutcomeDto>(record.Outcome!);
        var home = RegionCode.Parse(record.HomeRegion);
        var state = await members.LoadAsync(home, record.MemberId, record.ServiceDate.Year, record.SettlementId, null, ct).ConfigureAwait(false)
            ?? throw new NationalRefusal("unknown-member", $"Member {record.MemberId} is not insured in region {home}.");
        var pack = packs.Get(home, record.ServiceDate);
        var before = state.Accumulators with
        {
            BasicPaid = state.Accumulators.BasicPaid - outcome.Delta.BasicPaid,
            SupplementaryPaid = state.Accumulators.SupplementaryPaid - outcome.Delta.SupplementaryPaid,
            MajorPaid = state.Accumulators.MajorPaid - outcome.Delta.MajorPaid,
            AssistancePaid = state.Accumulators.AssistancePaid - outcome.Delta.AssistancePaid,
            FundsPaid = state.Accumulators.FundsPaid - outcome.Delta.FundsPaid,
        };
        var output = SetlInfo.Build(new SetlInfoSource(stay, outcome.Split, outcome.Ratio, outcome.Explanation, pack.National, state.Profile,
            record.HospitalSettlementId, record.CompletedAt ?? clock.GetUtcNow(), state.Profile.AccountBalance, medinsSetlId,
            Remaining(pack, state.Profile with { AccountBalance = state.Profile.AccountBalance + outcome.Split.AccountPay }, before)));
        var kept2 = await stays.PutOutputAsync(stay.MdtrtId, OutcomeRow + record.HospitalSettlementId, output.ToString(Newtonsoft.Json.Formatting.None), ct).ConfigureAwait(false);
        return Parse(kept2);
    }

    /// <summary>A kept answer as written: money keeps its two decimals (read as decimal, not double).</summary>
    private static JObject Parse(string json)
    {
        using var reader = new Newtonsoft.Json.JsonTextReader(new StringReader(json)) { FloatParseHandling = Newtonsoft.Json.FloatParseHandling.Decimal, DateParseHandling = Newtonsoft.Json.DateParseHandling.None };
        return JObject.Load(reader);
    }

    /// <summary>crt_payb_lmt_amt: what each layer could still pay this year before the settlement (null: no cap).</summary>
    private static Dictionary<string, decimal?> Remaining(RulePack pack, MemberProfile m, AnnualAccumulators a)
    {
        decimal? Left(decimal? cap, decimal paid) => cap is { } c ? Math.Max(0m, c - paid) : null;
        var combined = pack.CombinedAnnualCap?[RulePack.Index(m.InsuranceType)] is { } cc ? Math.Max(0m, cc - a.FundsPaid) : (decimal?)null;
        decimal? Min(decimal? x) => x is null ? combined : combined is null ? x : Math.Min(x.Value, combined.Value);
        return new Dictionary<string, decimal?>(StringComparer.Ordinal)
        {
            [SetlInfo.BasicLayer] = Min(Left(pack.Basic.AnnualCap(m), a.BasicPaid)),
            [SetlInfo.SupplementaryLayer] = Min(Left(pack.Supplementary?.AnnualCap, a.SupplementaryPaid)),
            [SetlInfo.MajorIllnessLayer] = Min(Left(pack.MajorIllness?.AnnualCap, a.MajorPaid)),
            [SetlInfo.AssistanceLayer] = Min(Left(pack.Assistance?.AnnualCap, a.AssistancePaid)),
            [SetlInfo.AccountLayer] = m.AccountBalance,
        };
    }

    public async Task<JObject> CancelAsync(NationalCall call, JObject? input, CancellationToken ct)
    {
        var data = Required(Read<SettlementRefInput>(input).Data, "/input/data");
        var setlId = Id(data.SetlId, "/input/data/setl_id");
        var stay = await stayTransactions.StayAsync(call, data.MdtrtId, data.PsnNo, "/input/data", ct).ConfigureAwait(false);
        if (!setlId.StartsWith(stay.MdtrtId + "-", StringComparison.Ordinal)) throw new NationalRefusal("not-found", $"Stay {stay.MdtrtId} has no settlement {setlId}.");
        using var listening = waiter.Listen(Keys.SettlementKey(call.Hospital.Code, setlId));
        var outcome = await transitions.ApplyAsync(call.Hospital.Code, setlId, new LifecycleEvent.CancelRequested($"national {call.Infno} (msgid {call.Msgid}) by {call.Opter ?? "the hospital"}"), ct).ConfigureAwait(false)
            ?? throw new NationalRefusal("not-found", $"Stay {stay.MdtrtId} has no settlement {setlId}.");
        if (outcome.Refusal == LifecycleRefusal.NotCancellable)
            throw new NationalRefusal("not-cancellable", $"Only a completed settlement can be cancelled; {setlId} is {outcome.Record.Status.Name()}.");
        var record = await waiter.WaitAsync(outcome.Record, Wait, ct, until: SettlementStatus.Cancelled, listening: listening).ConfigureAwait(false);
        if (record.Status != SettlementStatus.Cancelled)
            throw new NationalRefusal("cancel-pending", $"The cancel of {setlId} waits for home region {record.HomeRegion}; send the same message (same msgid) again.") { Transient = true };
        var settled = await OutputAsync(stay, record, null, ct).ConfigureAwait(false);
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var latest = await stays.GetAsync(stay.MdtrtId, ct).ConfigureAwait(false);
            if (latest is null || latest.SetlId != setlId) break;
            if ((await stays.UpdateAsync(latest with { SetlId = null, Status = Reopened(latest) }, [], [], ct).ConfigureAwait(false)).Written) break;
        }
        return SetlInfo.Reversal(settled, ReversalIdFor(setlId), record.CancelledAt ?? clock.GetUtcNow());
    }

    /// <summary>5203: a settlement of the hospital's stay, as it was answered (a cancelled one with refd_setl_flag 1).</summary>
    public async Task<JObject> QueryAsync(NationalCall call, JObject? input, CancellationToken ct)
    {
        var data = Required(Read<SettlementRefInput>(input).Data, "/input/data");
        var setlId = Id(data.SetlId, "/input/data/setl_id");
        var stay = await stayTransactions.StayAsync(call, data.MdtrtId, data.PsnNo, "/input/data", ct, anyKind: true).ConfigureAwait(false);
        var record = setlId.StartsWith(stay.MdtrtId + "-", StringComparison.Ordinal) ? await settlements.GetAsync(call.Hospital.Code, setlId, ct).ConfigureAwait(false) : null;
        if (record is null || record.Status is not (SettlementStatus.Completed or SettlementStatus.Cancelled))
            throw new NationalRefusal("not-found", record is null ? $"Stay {stay.MdtrtId} has no settlement {setlId}." : $"Settlement {setlId} is {record.Status.Name()}.");
        var output = await OutputAsync(stay, record, null, ct).ConfigureAwait(false);
        // Beside setlinfo (which keeps its 41 fields): 1 when the settlement was cancelled (refunded), with the reversal's setl_id.
        output["refd_setl_flag"] = record.Status == SettlementStatus.Cancelled ? "1" : "0";
        if (record.Status == SettlementStatus.Cancelled) output["refd_setl_id"] = ReversalIdFor(setlId);
        return output;
    }
}
