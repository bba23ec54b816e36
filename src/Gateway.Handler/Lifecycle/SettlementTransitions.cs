using Gateway.Contracts;
using Gateway.Handler.Intake;
using Gateway.Handler.Replies;
using Gateway.Messaging;
using Gateway.Storage;

namespace Gateway.Handler.Lifecycle;

/// <summary>What one lifecycle event did to a settlement: the record as stored, the decision, and the callback it owes (if any).</summary>
public sealed record TransitionOutcome(SettlementRecord Record, Decision Decision, string? Callback)
{
    public bool Changed => Decision.Changed;
    public LifecycleRefusal Refusal => Decision.Refusal;
}

/// <summary>
/// The adapter between <see cref="SettlementLifecycle"/> and the stores and queues: reads the settlement, decides with the
/// lifecycle, writes the new state with the work owed in its transaction (<see cref="SettlementStore.UpdateAsync"/>), then does
/// the work owed after it, in order: sends (through <see cref="Dispatcher"/>), postings (<see cref="SettlementPostings"/>),
/// markers removed, waiters woken. Every step is idempotent, so a redelivered message or a second sweep does it again safely.
/// The hospital's callback is returned, not sent: a queue-triggered function puts it on its output binding, others send it
/// through the messaging port (<see cref="Dispatcher.NotifyAsync"/>).
/// </summary>
public sealed class SettlementTransitions(SettlementStore settlements, SettlementPostings postings, Dispatcher dispatcher, SettlementSignals signals,
    ClaimCheck claims, LifecyclePolicy policy, TimeProvider clock, ILogger<SettlementTransitions> log, TraceCodeStore? codes = null,
    ReviewStore? reviews = null)
{
    public LifecyclePolicy Policy => policy;

    /// <summary>The lifecycle's decision function: <see cref="SettlementLifecycle.Decide"/>; the simulator's planted-bug tests replace it.</summary>
    internal Func<SettlementState, LifecycleEvent, DateTimeOffset, LifecyclePolicy, Decision> Decide { get; init; } = SettlementLifecycle.Decide;

    /// <summary>A planted bug for the simulator's tests: post the journal before the transition is stored.</summary>
    internal bool PlantPostBeforeTransition { get; init; }

    /// <summary>
    /// Applies <paramref name="e"/> to the stored settlement; null when there is none. <paramref name="payload"/> adds what
    /// the event carries (the home region's outcome) to a record the decision changed.
    /// </summary>
    public async Task<TransitionOutcome?> ApplyAsync(string hospitalCode, string hospitalSettlementId, LifecycleEvent e, CancellationToken ct,
        Func<SettlementRecord, Decision, SettlementRecord>? payload = null)
    {
        var now = clock.GetUtcNow();
        Decision? decision = null;
        if (PlantPostBeforeTransition && await settlements.GetAsync(hospitalCode, hospitalSettlementId, ct).ConfigureAwait(false) is { } before)
        {
            var early = Decide(before.State(), e, now, policy);
            if (early.Changed && early.After.Contains(new Work.Post(Posting.Journal)))
                await postings.PostAsync(payload is null ? before.With(early.State) : payload(before.With(early.State), early), Posting.Journal, ct).ConfigureAwait(false);
        }
        var stored = await settlements.UpdateAsync(hospitalCode, hospitalSettlementId, current =>
            {
                decision = Decide(current.State(), e, now, policy);
                if (!decision.Changed) return null;
                var next = current.With(decision.State);
                return payload is null ? next : payload(next, decision);
            }, ct,
            (_, _) => decision!.WithTransition).ConfigureAwait(false);
        if (stored is null) return null;
        return await DoAfterAsync(stored, decision!, ct).ConfigureAwait(false);
    }

    /// <summary>Does the work a decision owes once its state is stored, in order; the callback owed, if any, is returned.</summary>
    public async Task<TransitionOutcome> DoAfterAsync(SettlementRecord s, Decision decision, CancellationToken ct)
    {
        string? callback = null;
        foreach (var work in decision.After)
        {
            switch (work)
            {
                case Work.SendEvaluation:
                    await dispatcher.DispatchAsync(s.RequestMessage, ct).ConfigureAwait(false);
                    break;
                case Work.SendCancel when LifecycleMessages.Cancel(s, clock.GetUtcNow()) is { } cancel:
                    await dispatcher.DispatchAsync(cancel, ct).ConfigureAwait(false);
                    break;
                case Work.SendVoid when LifecycleMessages.Void(s, clock.GetUtcNow()) is { } voidMessage:
                    await dispatcher.DispatchAsync(voidMessage, ct).ConfigureAwait(false);
                    break;
                case Work.SendCancel or Work.SendVoid:
                    log.LogError("Settlement {Settlement} holds no valid request: its {Work} cannot be built.", s.SettlementId, work.GetType().Name);
                    break;
                case Work.OweVoid or Work.OweCancel:
                    await settlements.RescheduleAsync(s.HospitalCode, s.HospitalSettlementId, work, ct).ConfigureAwait(false);
                    break;
                case Work.Post p:
                    await postings.PostAsync(s, p.Entry, ct).ConfigureAwait(false);
                    // A flagged settlement is listed for its home region's review with its posting (repaired with it, idempotent).
                    if (p.Entry == Posting.Journal && s.Status == SettlementStatus.Completed && reviews is not null && Clearing.Reviews.ItemFor(s) is { } item)
                        await reviews.ListAsync(item, ct).ConfigureAwait(false);
                    break;
                case Work.RepairPostings:
                    if (await postings.RepairAsync(s, ct).ConfigureAwait(false)) log.LogWarning("The posting of {Settlement} was repaired by the sweep.", s.SettlementId);
                    if (s.Status == SettlementStatus.Completed && reviews is not null && Clearing.Reviews.ItemFor(s) is { } listed) await reviews.ListAsync(listed, ct).ConfigureAwait(false);
                    break;
                case Work.DiscardPosting:
                    // Only what this decision posted (or, repairing, what the state it read implies) clears the marker.
                    var upTo = decision.After.Any(w => w is Work.Post { Entry: Posting.Reversal }) || (decision.After.Any(w => w is Work.RepairPostings) && s.Status == SettlementStatus.Cancelled)
                        ? Posting.Reversal : Posting.Journal;
                    await settlements.CompletePostingAsync(s.HospitalCode, s.HospitalSettlementId, upTo, ct, s.PostMarkerETag).ConfigureAwait(false);
                    break;
                case Work.ReleaseCodes when codes is not null:
                    await SettlementIntake.ReleaseAsync(codes, s, ct).ConfigureAwait(false);
                    break;
                case Work.ReleaseCodes:
                    break;
                case Work.DiscardRelease:
                    await settlements.CompleteOwedAsync(s.HospitalCode, SettlementStore.ReleasePrefix + s.HospitalSettlementId, ct).ConfigureAwait(false);
                    break;
                case Work.DiscardVoid:
                    await settlements.CompleteOwedAsync(s.HospitalCode, SettlementStore.VoidPrefix + s.HospitalSettlementId, ct).ConfigureAwait(false);
                    break;
                case Work.DiscardCancel:
                    await settlements.CompleteOwedAsync(s.HospitalCode, SettlementStore.CancelPrefix + s.HospitalSettlementId, ct).ConfigureAwait(false);
                    break;
                case Work.StopTrackingPending:
                    await settlements.CompleteOwedAsync(s.HospitalCode, SettlementStore.WaitPrefix + s.HospitalSettlementId, ct).ConfigureAwait(false);
                    break;
                case Work.WakeWaiters:
                    signals.Signal(s.SettlementId, s);
                    break;
                case Work.NotifyHospital when s.CallbackUrl is { } url:
                    callback = await claims.WrapAsync(GatewayJson.Serialize(new CallbackMessage
                    {
                        SettlementId = s.SettlementId,
                        HospitalCode = s.HospitalCode,
                        Url = url,
                        Body = GatewayJson.Serialize(SettlementView.From(s)),
                    }), ct).ConfigureAwait(false);
                    break;
                case Work.NotifyHospital:
                    break;
                default:
                    throw new InvalidOperationException($"{work.GetType().Name} is not work done after a transition.");
            }
        }
        return new TransitionOutcome(s, decision, callback);
    }
}

/// <summary>The messages the lifecycle sends besides the stored evaluation: the void and the cancel, built from it.</summary>
public static class LifecycleMessages
{
    /// <summary>The void for a settlement (its dispatched request with kind void), or null when it never had a valid request.</summary>
    public static string? Void(SettlementRecord s, DateTimeOffset now) =>
        Original(s) is { } original ? GatewayJson.Serialize(original with { Kind = EvaluationRequestMessage.Void, CancelReason = null, SentAt = now }) : null;

    /// <summary>The cancel (撤销) the hospital asked for, with its reason.</summary>
    public static string? Cancel(SettlementRecord s, DateTimeOffset now) =>
        Original(s) is { } original && s.CancelReason is { } reason
            ? GatewayJson.Serialize(original with { Kind = EvaluationRequestMessage.Cancel, CancelReason = reason, SentAt = now })
            : null;

    private static EvaluationRequestMessage? Original(SettlementRecord s)
    {
        try
        {
            var original = GatewayJson.Deserialize<EvaluationRequestMessage>(s.RequestMessage);
            return original.Encounter is null || original.SettlementId != s.SettlementId ? null : original;
        }
        catch (Newtonsoft.Json.JsonException)
        {
            return null;
        }
    }
}
