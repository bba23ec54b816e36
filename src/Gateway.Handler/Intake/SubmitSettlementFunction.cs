using Gateway.Handler.Hosting;
using System.Security.Cryptography;
using System.Text;
using Gateway.Contracts;
using Gateway.Domain;
using Gateway.Handler.Lifecycle;
using Gateway.Handler.Problems;
using Gateway.Handler.Reference;
using Gateway.Handler.Security;
using Gateway.Storage;
using Newtonsoft.Json;

namespace Gateway.Handler.Intake;

/// <summary>
/// POST /api/v1/settlements (function SubmitSettlement): authenticate, validate, price with the treatment
/// region's catalog, record idempotently by the hospital's settlement id, dispatch to the home region, and
/// answer 202 (or wait, with Prefer: wait=N, and answer 201 with the split).
/// </summary>
public sealed class SubmitSettlementFunction(
    HospitalAuthenticator auth,
    CatalogRegistry catalogs,
    RulePackSet packs,
    SettlementIntake intake,
    SettlementWaiter waiter,
    MemberStore members,
    CallbackPolicy callbacks,
    TimeProvider clock,
    AuditRuleSet? audit = null)
{
    public async Task<IResult> HandleAsync(HttpRequest request, CancellationToken ct)
    {
        var (body, bodyProblem) = await HttpBody.ReadJsonAsync(request, ct).ConfigureAwait(false);
        if (bodyProblem is not null) return bodyProblem.ToResult();
        var (hospital, nonce, authProblem) = auth.Verify(request, body!);
        if (authProblem is not null) return authProblem.ToResult();

        // The nonce is spent before any answer leaves: in the transaction that creates the settlement, or on its own
        // for every other answer (a replayed nonce then gets signature-replayed, whatever the body).
        var use = new NonceSpending(nonce!);
        var answer = await HandleSignedAsync(request, body!, hospital!, use, ct).ConfigureAwait(false);
        if (!use.Spent && !await auth.SpendAsync(hospital!, nonce!, ct).ConfigureAwait(false)) return HospitalAuthenticator.Replayed().ToResult();
        return answer;
    }

    private sealed class NonceSpending(NonceUse nonce)
    {
        public NonceUse Nonce => nonce;
        public bool Spent { get; set; }
    }

    private async Task<IResult> HandleSignedAsync(HttpRequest request, byte[] body, Reference.Hospital hospital, NonceSpending nonce, CancellationToken ct)
    {
        SettlementRequest dto;
        try
        {
            dto = StrictJson.Deserialize<SettlementRequest>(body);
        }
        catch (StrictJsonException e)
        {
            return ProblemTypes.Unreadable(e).ToResult();
        }

        var (prepared, problem) = Prepare(dto, body, hospital);
        if (problem is not null) return problem.ToResult();
        var record = prepared!.Record;
        var settlementKey = record.SettlementId;
        if (dto.Trial)
        {
            // A trial checks the codes against the registry and holds none.
            if (record.TraceCodes.Count > 0 && await intake.CheckAsync(settlementKey, record.TraceCodes, ct).ConfigureAwait(false) is { } holder)
                return Reused(prepared.Priced.Encounter, holder.Code, holder.TreatmentRegion, settlementKey).ToResult();
            return await TrialAsync(dto, prepared.Home, hospital, prepared.Priced, prepared.Findings, ct).ConfigureAwait(false);
        }

        // Listen before the settlement exists: the reply's signal (carrying the record) cannot come before the listener.
        using var listening = SettlementWaiter.RequestedWait(request) > TimeSpan.Zero ? waiter.Listen(settlementKey) : null;
        var recorded = await intake.RecordAsync(record, nonce.Nonce, ct).ConfigureAwait(false);
        var (outcome, stored) = recorded;
        if (outcome == IntakeResult.TraceCodeReused) return Reused(prepared.Priced.Encounter, recorded.ReusedCode!, recorded.HolderRegion!, settlementKey).ToResult();
        nonce.Spent = true; // by the creating transaction, or on its own (CreateAsync), or found used before
        switch (outcome)
        {
            case IntakeResult.NonceReplayed:
                return HospitalAuthenticator.Replayed().ToResult();
            case IntakeResult.Conflict:
                return ProblemTypes.Conflict(
                    $"Settlement id '{dto.HospitalSettlementId}' was first used on {stored!.SubmittedAt:O} with a different body; use a new id for a new settlement.",
                    stored.SettlementId).ToResult();
        }
        return await waiter.RespondAsync(request, stored!, outcome == IntakeResult.Created, ct, listening).ConfigureAwait(false);
    }

    /// <summary>
    /// Validates and prices a settlement request as this intake does, and builds its record and evaluation request (nothing is
    /// written): the one path every settlement takes into the pipeline, the national interface's 2304 included.
    /// </summary>
    public (PreparedSettlement? Prepared, Problems.Problem? Problem) Prepare(SettlementRequest dto, byte[] body, Reference.Hospital hospital)
    {
        var (encounter, errors) = SettlementRequestValidator.Validate(dto, hospital, callbacks);
        if (encounter is null) return (null, ProblemTypes.Validation(errors));
        var home = RegionCode.Parse(dto.Member!.HomeRegion!);
        var settlementKey = Keys.SettlementKey(hospital.Code, dto.HospitalSettlementId!);

        PricedEncounter priced;
        IReadOnlyList<AuditFinding> findings;
        try
        {
            // A stay that ends after tomorrow (China time, a day of slack for clocks and time zones) has not happened yet.
            var today = ChinaTime.Today(clock);
            if (encounter.ServiceDate > today.AddDays(1))
                throw new RejectedException(new Rejection(RejectionCode.ImpossibleDates,
                    $"The service date {encounter.ServiceDate:yyyy-MM-dd} is in the future (today is {today:yyyy-MM-dd} in China).",
                    encounter.EncounterType == EncounterType.SpecialOutpatient && dto.Encounter!.VisitDate is not null ? "/visitDate" : "/dischargeDate"));
            CatalogPricer.Validate(encounter); // the encounter's own checks (dates first) before a catalog is looked up for its date
            var catalog = catalogs.For(hospital.Region, encounter.ServiceDate)
                ?? throw new RejectedException(new Rejection(RejectionCode.CatalogMissing,
                    $"No catalog of treatment region {hospital.Region} is in force on the service date {encounter.ServiceDate:yyyy-MM-dd}."));
            priced = SettlementEngine.Price(catalog, encounter);
            if (TraceCodes.Check(encounter, catalog) is { } codeProblem) throw new RejectedException(codeProblem);
            // The audit checks the bill alone decides (spec §10.2); those needing the member run at the home region.
            findings = AuditEngine.AtGateway((audit ?? AuditRuleSet.Default).For(hospital.Region, encounter.ServiceDate), encounter, catalog);
            if (!packs.Knows(home)) throw new RejectedException(new Rejection(RejectionCode.UnknownHomeRegion, $"Region {home} is not a known home region.", "/member/homeRegion"));
            if (home == hospital.Region) throw new RejectedException(new Rejection(RejectionCode.NotCrossRegion, "The member is insured in the hospital's own region: settle locally, not across regions."));
        }
        catch (RejectedException e)
        {
            return (null, ProblemTypes.Rejection(e.Rejection, settlementKey));
        }
        if (findings.Any(f => f.Blocks)) return (null, Blocked(findings, settlementKey));
        var traceCodes = TraceCodes.Of(encounter);

        var now = clock.GetUtcNow();
        var message = new EvaluationRequestMessage
        {
            Kind = EvaluationRequestMessage.Evaluate,
            CorrelationId = settlementKey,
            SettlementId = settlementKey,
            HospitalCode = hospital.Code,
            HomeRegion = home.Value,
            TreatmentRegion = hospital.Region.Value,
            MemberId = dto.Member.MemberId!,
            Encounter = PricedEncounterDto.From(priced),
            SentAt = now,
        };
        var messageJson = GatewayJson.Serialize(message);
        var record = new SettlementRecord
        {
            HospitalCode = hospital.Code,
            HospitalSettlementId = dto.HospitalSettlementId!,
            Status = SettlementStatus.Pending,
            RequestHash = Convert.ToHexStringLower(SHA256.HashData(body)),
            HomeRegion = home.Value,
            TreatmentRegion = hospital.Region.Value,
            MemberId = dto.Member.MemberId!,
            ServiceDate = encounter.ServiceDate,
            SubmittedAt = now,
            RequestMessage = messageJson,
            CallbackUrl = dto.CallbackUrl,
            Total = priced.Total,
            TraceCodes = traceCodes,
            AuditFlags = findings.Count == 0 ? null : GatewayJson.Serialize(findings.Select(AuditFindingDto.From).ToList()),
        };
        return (new PreparedSettlement(record, priced, home, findings), null);
    }

    /// <summary>预结算 for a prepared request: the home region's split now, from the registry read-only (nothing written).</summary>
    public async Task<(SettlementOutcomeDto? Outcome, Problems.Problem? Problem)> TrialOutcomeAsync(RegionCode home, string memberId, string settlementKey, PricedEncounter priced,
        IReadOnlyList<AuditFinding> gatewayFindings, string treatmentRegion, CancellationToken ct)
    {
        var referring = priced.Encounter.Referral is { Type: ReferralType.Upward, ReferringSettlementId: { } r } ? r : null;
        var state = await members.LoadAsync(home, memberId, priced.Encounter.ServiceDate.Year, settlementKey, referring, ct).ConfigureAwait(false);
        if (state is null) return (null, ProblemTypes.Rejection(new Rejection(RejectionCode.UnknownMember, $"Member {memberId} is not insured in region {home}.")));
        try
        {
            var withReferral = referring is null ? priced : priced with
            {
                Encounter = priced.Encounter with { Referral = priced.Encounter.Referral! with { ReferringDeductiblePaid = state.Referring is { Status: AppliedStatus.Applied } m ? m.DeductiblePaid : null } },
            };
            var result = PolicyEngine.Evaluate(packs.Get(home, priced.Encounter.ServiceDate), withReferral, state.Profile, state.Accumulators);
            var homeFindings = AuditEngine.AtHome((audit ?? AuditRuleSet.Default).For(RegionCode.Parse(treatmentRegion), priced.Encounter.ServiceDate), priced.Encounter, state.Profile, state.History);
            if (homeFindings.Any(f => f.Blocks)) return (null, Blocked([.. gatewayFindings, .. homeFindings], settlementKey));
            return (SettlementOutcomeDto.From(result).WithAudit([.. gatewayFindings, .. homeFindings]), null);
        }
        catch (RejectedException e)
        {
            return (null, ProblemTypes.Rejection(e.Rejection));
        }
    }

    /// <summary>
    /// 预结算: the split the home region would give now, computed by the reference home evaluator from the member
    /// registry read-only. Nothing is written (only the request's nonce, which every signed request spends).
    /// </summary>
    private async Task<IResult> TrialAsync(SettlementRequest dto, RegionCode home, Reference.Hospital hospital, PricedEncounter priced, IReadOnlyList<AuditFinding> gatewayFindings,
        CancellationToken ct)
    {
        var key = Keys.SettlementKey(hospital.Code, dto.HospitalSettlementId!);
        var (outcome, problem) = await TrialOutcomeAsync(home, dto.Member!.MemberId!, key, priced, gatewayFindings, hospital.Region.Value, ct).ConfigureAwait(false);
        if (problem is not null) return problem.ToResult();
        return GatewayResults.Json(new TrialSettlementView(true, dto.HospitalSettlementId!, home.Value, hospital.Region.Value, outcome!.Split, outcome.Split.National(),
            outcome.Ratio, outcome.DeductibleDue, outcome.PackId, outcome.PackVersion, outcome.CatalogVersion, outcome.Explanation,
            outcome.AuditFlags() is { Count: > 0 } flags ? flags : null));
    }

    /// <summary><c>audit-blocked</c>: every blocking rule with its lines (and the flags that fired too), so the hospital corrects and resubmits.</summary>
    public static Problems.Problem Blocked(IReadOnlyList<AuditFinding> findings, string settlementKey) =>
        ProblemTypes.Rejection(new Rejection(RejectionCode.AuditBlocked, AuditEngine.BlockedDetail(findings)), settlementKey) with
        {
            Extensions = new Dictionary<string, object?> { ["audit"] = findings.Select(AuditFindingDto.From).ToList() },
        };

    private static Problems.Problem Reused(Encounter encounter, string code, string holderRegion, string settlementKey) =>
        ProblemTypes.Rejection(TraceCodes.Reused(encounter, code, holderRegion), settlementKey) with
        {
            Extensions = new Dictionary<string, object?> { ["traceCode"] = code, ["holderTreatmentRegion"] = holderRegion },
        };
}

/// <summary>A settlement request validated and priced, with the record and evaluation request it makes (nothing written yet).</summary>
public sealed record PreparedSettlement(SettlementRecord Record, PricedEncounter Priced, RegionCode Home, IReadOnlyList<AuditFinding> Findings);

/// <summary>A trial settlement's answer (nothing written): the split the home region's rules give, with their explanation.</summary>
public sealed record TrialSettlementView(bool Trial, string HospitalSettlementId, string HomeRegion, string TreatmentRegion, SplitDto Split,
    IReadOnlyDictionary<string, decimal> National, decimal Ratio, decimal DeductibleDue, string PackId, string PackVersion, string CatalogVersion,
    List<ExplanationDto> Explanation, IReadOnlyList<AuditFindingDto>? Audit = null);
