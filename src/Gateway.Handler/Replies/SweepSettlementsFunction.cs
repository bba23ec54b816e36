using Azure;
using Gateway.Handler.Hosting;
using Gateway.Handler.Intake;
using Gateway.Handler.Lifecycle;
using Gateway.Handler.Reference;
using Gateway.Storage;

namespace Gateway.Handler.Replies;

/// <summary>What one sweep did.</summary>
public sealed record SweepReport(int Redispatched, int Failed, int VoidsSent, int CancelsSent, int PostingsRepaired, int Deferred, int BehindBacklog = 0)
{
    /// <summary>Owed work not done because of an error (retried by the next sweep): a sweep with errors is not a complete one.</summary>
    public int Errors { get; init; }

    public override string ToString() =>
        $"sweep: {Redispatched} re-dispatched, {Failed} failed, {VoidsSent} voids sent, {CancelsSent} cancels sent, {PostingsRepaired} postings repaired, {Deferred} deferred, {BehindBacklog} left queued behind a backlog";
}

/// <summary>
/// Function SweepSettlements (timer), an adapter: finishes what was started. It reads the work markers of each hospital
/// partition (<see cref="SettlementStore.SweepAsync"/>: one RowKey-range query per hospital, never a table walk) and hands
/// each to the lifecycle as an event: a pending settlement (<see cref="LifecycleEvent.PendingChecked"/>: re-dispatched with
/// backoff and jitter, failed with its void owed past the timeout), an owed void or cancel (sent again, backing off), an
/// owed posting (checked, and posted if its reply was lost). Sends per sweep are bounded
/// (<see cref="MaxSendsPerSweep"/>): the rest waits for the next sweep, so a backlog is never handed to a slow queue all at once.
/// A settlement whose evaluation may still be waiting on its home region's queue (the oldest message there is no newer
/// than the settlement: <see cref="LifecyclePolicy.BehindBacklog"/>) is not dispatched again: it is queued, not lost.
/// </summary>
public sealed class SweepSettlementsFunction(SettlementStore settlements, SettlementTransitions transitions, TimeProvider clock,
    HospitalRegistry hospitals, Dispatcher dispatcher, RulePackSet packs, ILogger<SweepSettlementsFunction> log, SettlementIntake? intake = null)
{
    public const int MaxSendsPerSweep = 200;

    public async Task<InvocationResult> HandleAsync(CancellationToken ct)
    {
        var report = await SweepAsync(ct).ConfigureAwait(false);
        var result = new InvocationResult();
        result.Logs.Add(report.ToString());
        return result;
    }

    public async Task<SweepReport> SweepAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var policy = transitions.Policy;
        int redispatched = 0, failed = 0, voids = 0, cancels = 0, repaired = 0, deferred = 0, sends = 0, errors = 0, backlogged = 0;
        // One peek per home region's queue per sweep: what is merely queued is told from what was lost.
        var heads = await dispatcher.QueueHeadsAsync(packs.Regions.Select(r => r.Value).Order(StringComparer.Ordinal), ct).ConfigureAwait(false);
        foreach (var hospital in hospitals.All.Select(h => h.Code).Order(StringComparer.Ordinal))
        await foreach (var item in settlements.SweepAsync(hospital, now - policy.RedispatchAfter, now, ct).ConfigureAwait(false))
        {
            var owed = item.Owed;
            if (item.Kind == SettlementStore.HoldPrefix)
            {
                // An intake attempt that never recorded its settlement: release what it held (spec §10.1; not a lifecycle event:
                // there is no settlement of it to decide on).
                try
                {
                    if (intake is not null && await intake.RepairHoldAsync(owed.HospitalCode, owed.RowKey, ct).ConfigureAwait(false))
                        log.LogWarning("Traceability codes held by an unrecorded attempt of {Settlement} were released by the sweep.", owed.SettlementId);
                }
                catch (Exception x) when (x is RequestFailedException or InvalidOperationException)
                {
                    errors++;
                    log.LogWarning("Hold repair of {Settlement} not done ({Error}); the next sweep retries.", owed.SettlementId, FailureText.Describe(x));
                }
                continue;
            }
            LifecycleEvent e = item.Kind switch
            {
                SettlementStore.ReleasePrefix => new LifecycleEvent.ReleaseDue(),
                SettlementStore.WaitPrefix => new LifecycleEvent.PendingChecked(Jitter(owed.SettlementId), heads),
                SettlementStore.VoidPrefix => new LifecycleEvent.VoidDue(owed.Sends),
                SettlementStore.CancelPrefix => new LifecycleEvent.CancelDue(owed.Sends),
                _ => new LifecycleEvent.PostingDue(),
            };
            if (sends >= MaxSendsPerSweep && e is not (LifecycleEvent.PostingDue or LifecycleEvent.ReleaseDue))
            {
                deferred++;
                continue;
            }
            try
            {
                var outcome = await transitions.ApplyAsync(owed.HospitalCode, owed.HospitalSettlementId, e, ct).ConfigureAwait(false);
                if (outcome is null)
                {
                    await settlements.CompleteOwedAsync(owed.HospitalCode, owed.RowKey, ct).ConfigureAwait(false); // a marker without its settlement
                    continue;
                }
                var after = outcome.Decision.After;
                if (after.Any(w => w is Work.SendEvaluation)) { redispatched++; sends++; }
                else if (e is LifecycleEvent.PendingChecked && outcome.Record.Status == SettlementStatus.Pending && LifecyclePolicy.BehindBacklog(outcome.Record.State(), heads)) backlogged++;
                if (after.Any(w => w is Work.SendVoid)) { voids++; sends++; }
                if (after.Any(w => w is Work.SendCancel)) { cancels++; sends++; }
                if (outcome.Changed && outcome.Record.Status == SettlementStatus.Failed)
                {
                    failed++;
                    log.LogError("Settlement {Settlement} failed: {Reason}", outcome.Record.SettlementId, outcome.Record.FailureReason);
                }
                if (after.Any(w => w is Work.RepairPostings)) repaired++;
                if (e is LifecycleEvent.VoidDue { Sends: >= 5 } && after.Any(w => w is Work.SendVoid))
                    log.LogError("The void of failed settlement {Settlement} is still unconfirmed after {Sends} sends.", owed.SettlementId, owed.Sends);
                if (outcome.Callback is { } callback) await dispatcher.NotifyAsync(outcome.Record.SettlementId, outcome.Record.Status.Name(), callback, ct).ConfigureAwait(false);
            }
            catch (Exception x) when (x is RequestFailedException or InvalidOperationException or HttpRequestException or TimeoutException)
            {
                errors++;
                log.LogWarning("Owed work {Kind} of {Settlement} not done ({Error}); the next sweep retries.", item.Kind, owed.SettlementId, FailureText.Describe(x));
            }
        }
        return new SweepReport(redispatched, failed, voids, cancels, repaired, deferred, backlogged) { Errors = errors };
    }

    /// <summary>A settlement's own jitter in [0, 1): stable, so one sweep after another agree on when it is due.</summary>
    public static double Jitter(string settlementId) =>
        (System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(settlementId))) >> 8) / (double)(1 << 24);
}
