using Gateway.Storage;

namespace Gateway.Handler.Lifecycle;

/// <summary>What recording a submitted settlement came to.</summary>
public enum IntakeResult
{
    /// <summary>Recorded now (with its nonce, in one transaction); its evaluation is sent.</summary>
    Created,
    /// <summary>The same settlement (same id, same body) was recorded before: answered from the record (re-sent while pending).</summary>
    Existing,
    /// <summary>The id was used before with another body: nothing written.</summary>
    Conflict,
    /// <summary>The request's nonce was spent before: nothing written.</summary>
    NonceReplayed,
}

/// <summary>
/// The intake's adapter over the lifecycle: records a new settlement idempotently (the settlement row, its nonce and its
/// pending marker in one entity-group transaction), then does the work the lifecycle owes (<see cref="SettlementLifecycle.Submit"/>
/// for a new one, <see cref="LifecycleEvent.SubmittedAgain"/> for a retry). Used by POST /api/v1/settlements and the simulator.
/// </summary>
public sealed class SettlementIntake(SettlementStore settlements, SettlementTransitions transitions, TimeProvider clock)
{
    /// <summary>A new settlement's record in the lifecycle's first state (pending).</summary>
    public static SettlementRecord Pending(SettlementRecord record) => record with { Status = SettlementLifecycle.Submit(record.SubmittedAt).State.Status, DispatchCount = 0 };

    public async Task<(IntakeResult Result, SettlementRecord? Record)> RecordAsync(SettlementRecord record, NonceUse? nonce, CancellationToken ct)
    {
        var (outcome, stored) = await settlements.CreateAsync(Pending(record), nonce, ct).ConfigureAwait(false);
        if (outcome == CreateOutcome.NonceReplayed) return (IntakeResult.NonceReplayed, null);
        var created = outcome == CreateOutcome.Created;
        if (!created && stored!.RequestHash != record.RequestHash) return (IntakeResult.Conflict, stored);
        // A new settlement's evaluation is sent; a retry of one still pending sends it again (the first dispatch may have been
        // lost with its process; the home side is idempotent, so a duplicate costs nothing).
        var decision = created
            ? SettlementLifecycle.Submit(stored!.SubmittedAt, stored.State().Voidable)
            : SettlementLifecycle.Decide(stored!.State(), new LifecycleEvent.SubmittedAgain(), clock.GetUtcNow(), transitions.Policy);
        await transitions.DoAfterAsync(stored!, decision, ct).ConfigureAwait(false);
        return (created ? IntakeResult.Created : IntakeResult.Existing, stored);
    }
}
