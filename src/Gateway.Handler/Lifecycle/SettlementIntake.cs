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
    /// <summary>A traceability code it carries is held by another live settlement (spec §10.1): nothing recorded, nothing held.</summary>
    TraceCodeReused,
}

/// <summary>What recording came to, and for <see cref="IntakeResult.TraceCodeReused"/> the code and its holder's treatment region.</summary>
public sealed record IntakeOutcome(IntakeResult Result, SettlementRecord? Record, string? ReusedCode = null, string? HolderRegion = null)
{
    public void Deconstruct(out IntakeResult result, out SettlementRecord? record) => (result, record) = (Result, Record);
}

/// <summary>
/// The intake's adapter over the lifecycle: records a new settlement idempotently (the settlement row, its nonce and its
/// pending marker in one entity-group transaction), then does the work the lifecycle owes (<see cref="SettlementLifecycle.Submit"/>
/// for a new one, <see cref="LifecycleEvent.SubmittedAgain"/> for a retry). Used by POST /api/v1/settlements and the simulator.
/// <para>
/// Traceability codes (spec §10.1, docs/audit.md) are held in the same flow, before the settlement is recorded: the attempt
/// writes its hold row (<see cref="SettlementStore.HoldPrefix"/>, in the hospital's partition, due for the sweep after
/// <see cref="LifecyclePolicy.RedispatchAfter"/>), holds each code in the registry (<see cref="TraceCodeStore"/>: one row per
/// code, insert-if-absent, so of two racing settlements exactly one holds it), and records the settlement in a transaction that
/// deletes the hold row under its ETag. A code held by another live settlement rejects the submission (its own holds are
/// released); an attempt that dies before recording leaves its hold row, and the sweep releases what it held.
/// </para>
/// </summary>
public sealed class SettlementIntake(SettlementStore settlements, SettlementTransitions transitions, TimeProvider clock, TraceCodeStore? codes = null)
{
    private const int MaxHoldAttempts = 5;

    /// <summary>Each intake attempt's own token (a GUID; the simulator's are deterministic, so its traces are too).</summary>
    public Func<string> NewToken { get; init; } = () => Guid.NewGuid().ToString("N");

    /// <summary>A new settlement's record in the lifecycle's first state (pending).</summary>
    public static SettlementRecord Pending(SettlementRecord record) => record with { Status = SettlementLifecycle.Submit(record.SubmittedAt).State.Status, DispatchCount = 0 };

    public async Task<IntakeOutcome> RecordAsync(SettlementRecord record, NonceUse? nonce, CancellationToken ct)
    {
        CreateOutcome outcome;
        SettlementRecord? stored;
        if (record.TraceCodes.Count == 0 || codes is null)
            (outcome, stored) = await settlements.CreateAsync(Pending(record), nonce, ct).ConfigureAwait(false);
        else
        {
            var held = await HoldAndCreateAsync(record, nonce, ct).ConfigureAwait(false);
            if (held.Reused is { } reused) return new IntakeOutcome(IntakeResult.TraceCodeReused, null, reused.Code, reused.TreatmentRegion);
            (outcome, stored) = (held.Outcome, held.Record);
        }
        if (outcome == CreateOutcome.NonceReplayed) return new(IntakeResult.NonceReplayed, null);
        var created = outcome == CreateOutcome.Created;
        if (!created && stored!.RequestHash != record.RequestHash) return new(IntakeResult.Conflict, stored);
        // A new settlement's evaluation is sent; a retry of one still pending sends it again (the first dispatch may have been
        // lost with its process; the home side is idempotent, so a duplicate costs nothing).
        var decision = created
            ? SettlementLifecycle.Submit(stored!.SubmittedAt, stored.State().Voidable)
            : SettlementLifecycle.Decide(stored!.State(), new LifecycleEvent.SubmittedAgain(), clock.GetUtcNow(), transitions.Policy);
        await transitions.DoAfterAsync(stored!, decision, ct).ConfigureAwait(false);
        return new(created ? IntakeResult.Created : IntakeResult.Existing, stored);
    }

    private async Task<(CreateOutcome Outcome, SettlementRecord? Record, TraceHold? Reused)> HoldAndCreateAsync(SettlementRecord record, NonceUse? nonce, CancellationToken ct)
    {
        // A settlement recorded before (a retry, or a reused id) is answered from its record: its codes were held when it was.
        if (await settlements.GetAsync(record.HospitalCode, record.HospitalSettlementId, ct).ConfigureAwait(false) is not null)
        {
            var (o, r) = await settlements.CreateAsync(Pending(record), nonce, ct).ConfigureAwait(false);
            return (o, r, null);
        }
        for (var attempt = 0; ; attempt++)
        {
            var now = clock.GetUtcNow();
            var hold = await settlements.WriteHoldAsync(new SettlementStore.HoldAttempt(record.HospitalCode, record.HospitalSettlementId, NewToken(),
                record.RequestHash, record.TraceCodes, now + transitions.Policy.RedispatchAfter), ct).ConfigureAwait(false);
            var reused = await HoldAllAsync(record, hold, now, ct).ConfigureAwait(false);
            if (reused is not null)
            {
                // Not recorded: what this attempt held goes back, then its row (a crash in between leaves the row: the sweep finishes).
                foreach (var code in record.TraceCodes) await codes!.ReleaseAsync(code, record.SettlementId, hold.Token, ct).ConfigureAwait(false);
                await settlements.CompleteOwedAsync(record.HospitalCode, hold.RowKey, ct).ConfigureAwait(false);
                return (default, null, reused);
            }
            var (outcome, stored) = await settlements.CreateAsync(Pending(record), nonce, ct, (hold.RowKey, hold.ETag)).ConfigureAwait(false);
            if (outcome != CreateOutcome.HoldLost)
            {
                // Recorded by another request meanwhile (Existing): this attempt's row is spent; the codes are the record's to keep or
                // release. Not recorded for this request (a replayed nonce, the id taken by another body): its holds go back.
                if (outcome == CreateOutcome.NonceReplayed || (outcome == CreateOutcome.Existing && stored!.RequestHash != record.RequestHash))
                    foreach (var code in record.TraceCodes) await codes!.ReleaseAsync(code, record.SettlementId, hold.Token, ct).ConfigureAwait(false);
                if (outcome != CreateOutcome.Created) await settlements.CompleteOwedAsync(record.HospitalCode, hold.RowKey, ct).ConfigureAwait(false);
                return (outcome, stored, null);
            }
            // The sweep took this attempt for dead and released its holds: hold again under a new attempt.
            if (attempt + 1 >= MaxHoldAttempts) throw new InvalidOperationException($"Settlement {record.SettlementId}: its traceability codes were released {MaxHoldAttempts} times before it was recorded.");
        }
    }

    /// <summary>Holds every code for the attempt, in order; the first one held by another live settlement is returned (null: all held).</summary>
    private async Task<TraceHold?> HoldAllAsync(SettlementRecord record, SettlementStore.HoldAttempt attempt, DateTimeOffset now, CancellationToken ct)
    {
        // In one order for everyone (ordinal): two bills sharing codes race for the same first code, so one of them holds them all.
        foreach (var code in record.TraceCodes.Order(StringComparer.Ordinal))
        {
            var mine = new TraceHold(code, record.SettlementId, attempt.Token, record.RequestHash, record.TreatmentRegion, now);
            for (var race = 0; ; race++)
            {
                var (held, current) = await codes!.TryHoldAsync(mine, ct).ConfigureAwait(false);
                if (held) break;
                if (current!.Holder == record.SettlementId && current.RequestHash == record.RequestHash)
                {
                    // Held by an earlier attempt of this very request: this attempt takes it over (so that attempt's repair leaves it).
                    if (await codes.TakeOverAsync(current, mine, ct).ConfigureAwait(false)) break;
                }
                else if (!await IsLiveHolderAsync(current, ct).ConfigureAwait(false))
                {
                    // Its holder left live and its release is still owed (or it never was recorded with this request): free to take.
                    if (await codes.TakeOverAsync(current, mine, ct).ConfigureAwait(false)) break;
                }
                else return current;
                if (race >= 20) throw new InvalidOperationException($"Traceability code {code}: no stable answer after {race} races.");
            }
        }
        return null;
    }

    /// <summary>
    /// Whether a hold stands: its holder is pending or completed with the request that holds it, or not recorded yet (an intake
    /// attempt in flight: it stands until the sweep finds the attempt dead). A rejected, failed or cancelled holder does not.
    /// </summary>
    private async Task<bool> IsLiveHolderAsync(TraceHold hold, CancellationToken ct)
    {
        if (!Keys.TrySplitSettlementKey(hold.Holder, out var hospital, out var id)) return false;
        var holder = await settlements.GetAsync(hospital, id, ct).ConfigureAwait(false);
        if (holder is null) return true;
        return holder.RequestHash == hold.RequestHash && holder.Status is SettlementStatus.Pending or SettlementStatus.Completed;
    }

    /// <summary>A trial's check (预结算): the first code held by another live settlement, holding nothing.</summary>
    public async Task<TraceHold?> CheckAsync(string settlementId, IReadOnlyList<string> traceCodes, CancellationToken ct)
    {
        if (codes is null) return null;
        foreach (var code in traceCodes)
        {
            if (await codes.GetAsync(code, ct).ConfigureAwait(false) is { } current && current.Holder != settlementId && await IsLiveHolderAsync(current, ct).ConfigureAwait(false))
                return current;
        }
        return null;
    }

    /// <summary>
    /// The sweep's repair of an intake attempt's hold row that is due: the attempt never recorded its settlement with these holds
    /// (it died, or it was answered otherwise). The row is first marked releasing, under its ETag, so an attempt that records its
    /// settlement meanwhile keeps its holds (its transaction fails instead, and it holds again); then the attempt's holds are
    /// released, then the row deleted (a crash in between leaves the marked row: the next sweep finishes the release).
    /// </summary>
    public async Task<bool> RepairHoldAsync(string hospitalCode, string rowKey, CancellationToken ct)
    {
        if (codes is null || await settlements.GetHoldAsync(hospitalCode, rowKey, ct).ConfigureAwait(false) is not { } attempt) return false;
        var recorded = await settlements.GetAsync(hospitalCode, attempt.HospitalSettlementId, ct).ConfigureAwait(false);
        var sameRequest = recorded is not null && recorded.RequestHash == attempt.RequestHash;
        // Recorded and live with this request (by this attempt or another): the holds are the settlement's (its way out of live
        // releases them); the row is only spent.
        if (sameRequest && recorded!.Status is SettlementStatus.Pending or SettlementStatus.Completed)
        {
            await settlements.DeleteIfUnchangedAsync(hospitalCode, rowKey, attempt.ETag, ct).ConfigureAwait(false);
            return false;
        }
        if (!attempt.Releasing && !await settlements.MarkHoldReleasingAsync(attempt, ct).ConfigureAwait(false)) return false;
        var released = false;
        foreach (var code in attempt.Codes)
            released |= await codes.ReleaseAsync(code, attempt.SettlementId, sameRequest ? null : attempt.Token, ct).ConfigureAwait(false);
        await settlements.CompleteOwedAsync(hospitalCode, rowKey, ct).ConfigureAwait(false);
        return released;
    }

    /// <summary>Releases every code the settlement holds (its transition out of live owed it): <see cref="Work.ReleaseCodes"/>.</summary>
    public static async Task ReleaseAsync(TraceCodeStore codes, SettlementRecord s, CancellationToken ct)
    {
        foreach (var code in s.TraceCodes) await codes.ReleaseAsync(code, s.SettlementId, null, ct).ConfigureAwait(false);
    }
}
