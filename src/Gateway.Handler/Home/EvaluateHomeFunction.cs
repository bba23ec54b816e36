using Gateway.Contracts;
using Gateway.Domain;
using Gateway.Handler.Hosting;
using Gateway.Storage;

namespace Gateway.Handler.Home;

/// <summary>
/// Functions EvaluateHome{region} (queue eval-requests-{region} → eval-replies): the reference home-region
/// evaluator. Exactly-once effect on at-least-once delivery: the accumulator change and the "applied" marker
/// (holding the reply) commit in one transaction under ETags, so a redelivery finds the marker and re-sends
/// the same reply, and two settlements of one member never lose an update.
/// </summary>
public sealed class EvaluateHomeFunction(MemberStore members, RulePackSet packs, NationalDirectory directory, Gateway.Messaging.ClaimCheck claims, TimeProvider clock, ILogger<EvaluateHomeFunction> log,
    AuditRuleSet? audit = null)
{
    public const string ReplyBinding = "reply";
    private const int MaxConflictRetries = 50;

    /// <summary>The output binding of a filing's answer (queue filing-replies).</summary>
    public const string FilingReplyBinding = "filingReply";

    private readonly Filings.HomeFilingEvaluator _filings = new(members, packs, directory, clock);

    public async Task<InvocationResult> HandleAsync(string region, InvocationRequest invocation, CancellationToken ct)
    {
        var result = new InvocationResult();
        var text = await claims.UnwrapAsync(invocation.MessageText("msg"), ct).ConfigureAwait(false);
        if (FilingRequestMessage.IsFiling(text))
        {
            // A hospital's online filing (kind file, FilingRequest v1) shares the region's queue; its answer has its own queue.
            result.Outputs[FilingReplyBinding] = await claims.WrapAsync(await _filings.HandleAsync(region, text, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
            result.Logs.Add("file: replied");
            return result;
        }
        var message = GatewayJson.Deserialize<EvaluationRequestMessage>(text);
        if (message.SchemaVersion != EvaluationRequestMessage.CurrentSchemaVersion)
            throw new InvalidOperationException($"Unsupported schemaVersion {message.SchemaVersion}.");
        if (message.HomeRegion != region)
            throw new InvalidOperationException($"Message for home region {message.HomeRegion} arrived on the queue of {region}.");
        var reply = message.Kind switch
        {
            EvaluationRequestMessage.Evaluate => await EvaluateAsync(message, ct).ConfigureAwait(false),
            EvaluationRequestMessage.Cancel => await CancelAsync(message, ct).ConfigureAwait(false),
            EvaluationRequestMessage.Void => await VoidAsync(message, ct).ConfigureAwait(false),
            _ => throw new InvalidOperationException($"Unknown message kind '{message.Kind}'."),
        };
        // The reply is claim-checked like every queued body: the host re-indents a JSON output string before sending it.
        result.Outputs[ReplyBinding] = await claims.WrapAsync(reply, ct).ConfigureAwait(false);
        result.Logs.Add($"{message.Kind} {message.SettlementId}: {(reply.Length > 0 ? "replied" : "")}");
        return result;
    }

    private async Task<string> EvaluateAsync(EvaluationRequestMessage m, CancellationToken ct)
    {
        var encounter = m.Encounter ?? throw new InvalidOperationException("An evaluate message carries the priced encounter.");
        var home = RegionCode.Parse(m.HomeRegion);
        var year = encounter.DischargeDate.Year;
        var referringKey = encounter.ReferralType == "upward" ? encounter.ReferringSettlementId : null;
        for (var attempt = 0; attempt < MaxConflictRetries; attempt++)
        {
            var state = await members.LoadAsync(home, m.MemberId, year, m.SettlementId, referringKey, ct).ConfigureAwait(false);
            if (state is null && directory.Enabled)
            {
                // Not in the registry: ask the national directory once; a member found there is registered here.
                var (answer, found) = await directory.LookupAsync(home, m.MemberId, ct).ConfigureAwait(false);
                if (answer == DirectoryAnswer.Malformed)
                    return Rejected(m, new Rejection(RejectionCode.UnknownMember, $"Member {m.MemberId} is not in the registry and the national directory's answer was not usable."));
                if (found is not null)
                {
                    await members.UpsertProfileAsync(found, ct).ConfigureAwait(false);
                    state = await members.LoadAsync(home, m.MemberId, year, m.SettlementId, referringKey, ct).ConfigureAwait(false);
                }
            }
            if (state is null) return Rejected(m, new Rejection(RejectionCode.UnknownMember, $"Member {m.MemberId} is not insured in region {home}."));
            if (state.Applied is { } done) // redelivery: same reply, nothing changes; after a void, never applied again
                return done.Status == AppliedStatus.Voided ? VoidedRejection(m) : done.ReplyJson;

            var referringPaid = state.Referring is { Status: AppliedStatus.Applied } r ? r.DeductiblePaid : (decimal?)null;
            SettlementResult outcome;
            IReadOnlyList<AuditFinding> flags;
            try
            {
                var priced = encounter.ToDomain(m.HospitalCode, RegionCode.Parse(m.TreatmentRegion), referringPaid);
                outcome = PolicyEngine.Evaluate(packs.Get(home, priced.Encounter.ServiceDate), priced, state.Profile, state.Accumulators);
                // The audit checks that need the member (age, readmission, visit frequency; spec §10.2), with the member's own settlements.
                var findings = AuditEngine.AtHome((audit ?? AuditRuleSet.Default).For(priced.Encounter.TreatmentRegion, priced.Encounter.ServiceDate), priced.Encounter, state.Profile, state.History);
                if (findings.Any(f => f.Blocks)) throw new RejectedException(new Rejection(RejectionCode.AuditBlocked, AuditEngine.BlockedDetail(findings)));
                flags = findings;
            }
            catch (RejectedException e)
            {
                var rejected = Rejected(m, e.Rejection);
                var marker = new AppliedMarker(m.SettlementId, AppliedStatus.Rejected, year, "", rejected, 0m, 0m);
                if (await members.RecordRejectionAsync(state, marker, ct).ConfigureAwait(false)) return rejected;
                continue;
            }
            catch (FormatException e)
            {
                return Rejected(m, new Rejection(RejectionCode.InvalidEncounter, e.Message));
            }

            var reply = Reply(m, ReplyOutcomes.Completed, SettlementOutcomeDto.From(outcome).WithAudit(flags), null);
            var applied = new AppliedMarker(m.SettlementId, AppliedStatus.Applied, year, GatewayJson.Serialize(AccumulatorDeltaDto.From(outcome.Delta)),
                reply, outcome.Split.Deductible, outcome.Split.AccountPay)
            {
                Admission = encounter.AdmissionDate,
                Discharge = encounter.DischargeDate,
                Diagnosis = encounter.Diagnoses.FirstOrDefault(),
            };
            if (await members.CommitAsync(state, outcome.After, applied, ct).ConfigureAwait(false)) return reply;
            log.LogDebug("Accumulator conflict on {Settlement}, attempt {Attempt}; re-evaluating.", m.SettlementId, attempt + 1);
        }
        throw new InvalidOperationException($"Gave up after {MaxConflictRetries} accumulator conflicts.");
    }

    private async Task<string> CancelAsync(EvaluationRequestMessage m, CancellationToken ct)
    {
        var encounter = m.Encounter ?? throw new InvalidOperationException("A cancel message carries the priced encounter.");
        var home = RegionCode.Parse(m.HomeRegion);
        var year = encounter.DischargeDate.Year;
        for (var attempt = 0; attempt < MaxConflictRetries; attempt++)
        {
            var state = await members.LoadAsync(home, m.MemberId, year, m.SettlementId, null, ct).ConfigureAwait(false);
            if (state?.Applied is not { } marker || marker.Status is AppliedStatus.Rejected or AppliedStatus.Voided)
                return Rejected(m, new Rejection(RejectionCode.InvalidEncounter, "The home region has no completed settlement with this id to cancel."), ReplyOutcomes.CancelRejected);
            var reply = Reply(m, ReplyOutcomes.Cancelled, null, null);
            if (marker.Status == AppliedStatus.Cancelled) return reply; // already reversed: idempotent
            var delta = GatewayJson.Deserialize<AccumulatorDeltaDto>(marker.DeltaJson).ToDomain();
            var after = state.Accumulators.Reverse(delta);
            if (await members.CancelAsync(state, after, marker with { Status = AppliedStatus.Cancelled }, ct).ConfigureAwait(false)) return reply;
        }
        throw new InvalidOperationException($"Gave up after {MaxConflictRetries} accumulator conflicts.");
    }

    /// <summary>
    /// <c>void</c>: the gateway failed this settlement, and its effect here must be nil, now and later. An applied marker is
    /// reversed exactly (like a cancel) and marked voided; no marker yet means the evaluation may still arrive: a tombstone
    /// marker (voided, zero delta) is written so it is rejected then. A rejected, cancelled or voided marker needs nothing.
    /// Every branch answers <c>voided</c>; a redelivery finds the voided marker and answers the same.
    /// </summary>
    private async Task<string> VoidAsync(EvaluationRequestMessage m, CancellationToken ct)
    {
        var encounter = m.Encounter ?? throw new InvalidOperationException("A void message carries the priced encounter.");
        var home = RegionCode.Parse(m.HomeRegion);
        var year = encounter.DischargeDate.Year;
        var voided = Reply(m, ReplyOutcomes.Voided, null, null);
        var tombstone = new AppliedMarker(m.SettlementId, AppliedStatus.Voided, year, "", VoidedRejection(m), 0m, 0m);
        for (var attempt = 0; attempt < MaxConflictRetries; attempt++)
        {
            var state = await members.LoadAsync(home, m.MemberId, year, m.SettlementId, null, ct).ConfigureAwait(false);
            if (state is null)
            {
                // Not in the registry (yet): nothing was applied; the tombstone still guards a later registration (directory).
                if (await members.TombstoneAsync(home, m.MemberId, tombstone, ct).ConfigureAwait(false)) return voided;
                var existing = await members.GetMarkerAsync(home, m.MemberId, m.SettlementId, ct).ConfigureAwait(false);
                if (existing is not null && existing.Status != AppliedStatus.Applied) return voided;
                continue; // the profile appeared in between: decide on the full state
            }
            if (state.Applied is not { } marker)
            {
                if (await members.RecordRejectionAsync(state, tombstone, ct).ConfigureAwait(false)) return voided;
                continue; // the evaluation committed in between: reverse it
            }
            if (marker.Status != AppliedStatus.Applied) return voided; // rejected, cancelled or already voided: nothing to undo
            var delta = GatewayJson.Deserialize<AccumulatorDeltaDto>(marker.DeltaJson).ToDomain();
            var after = state.Accumulators.Reverse(delta);
            if (await members.CancelAsync(state, after, marker with { Status = AppliedStatus.Voided }, ct).ConfigureAwait(false)) return voided;
            log.LogDebug("Accumulator conflict voiding {Settlement}, attempt {Attempt}.", m.SettlementId, attempt + 1);
        }
        throw new InvalidOperationException($"Gave up after {MaxConflictRetries} accumulator conflicts.");
    }

    /// <summary>What an evaluation of a voided settlement answers (typed rejection <c>voided</c>; docs/messages.md).</summary>
    private string VoidedRejection(EvaluationRequestMessage m) => Reply(m with { Kind = EvaluationRequestMessage.Evaluate }, ReplyOutcomes.Rejected, null,
        new RejectionDto(EvaluationReplyMessage.VoidedRejectionCode, "The gateway failed this settlement and the home region voided it; it is never applied. Resubmit the encounter if it is still to be settled."));

    private string Rejected(EvaluationRequestMessage m, Rejection r, string outcome = ReplyOutcomes.Rejected) => Reply(m, outcome, null, RejectionDto.From(r));

    /// <summary>A reply echoes the request's identifiers; see docs/messages.md.</summary>
    private string Reply(EvaluationRequestMessage m, string outcome, SettlementOutcomeDto? result, RejectionDto? rejection) => GatewayJson.Serialize(new EvaluationReplyMessage
    {
        Outcome = outcome,
        CorrelationId = m.CorrelationId,
        SettlementId = m.SettlementId,
        HospitalCode = m.HospitalCode,
        HomeRegion = m.HomeRegion,
        TreatmentRegion = m.TreatmentRegion,
        Result = result,
        Rejection = rejection,
        EvaluatedAt = clock.GetUtcNow(),
    });
}
