using Azure;
using Gateway.Handler.Hosting;
using Gateway.Handler.Intake;
using Gateway.Handler.Reference;
using Gateway.Storage;

namespace Gateway.Handler.Replies;

/// <summary>
/// Function SweepSettlements (timer): finishes what was started. A settlement pending past
/// RedispatchAfterSeconds is re-dispatched (the home side is idempotent); past SettlementTimeoutSeconds it is
/// failed with the reason, so nothing stays "pending" forever, and its home region is sent a <c>void</c> (failed is final:
/// <see cref="SettlementFailure"/>). Owed work written with a transition is done here too: a void not yet confirmed is sent
/// again (backing off), and a completed or cancelled settlement whose reply ran out of deliveries before its ledger posting
/// is posted. All three are side rows of the hospital's partition (<c>~wait|</c> written with the pending settlement and
/// deleted by its transition out of pending; <c>~void|</c> / <c>~post|</c> written by the transition that owes them), so they
/// cannot be missed, and are deleted when done (only open work matches). The sweep reads them with one RowKey-range query per
/// hospital partition (every hospital of <see cref="HospitalRegistry"/>), never the whole table: O(hospitals + open work).
/// </summary>
public sealed class SweepSettlementsFunction(SettlementStore settlements, SettlementSignals signals, IReplyEffects effects, HandlerSettings settings, TimeProvider clock,
    HospitalRegistry hospitals, Dispatcher dispatcher, ILogger<SweepSettlementsFunction> log)
{
    public const int MaxDispatches = 3;

    public async Task<InvocationResult> HandleAsync(CancellationToken ct)
    {
        var result = new InvocationResult();
        var now = clock.GetUtcNow();
        // Sent through the messaging port as they are found (a send that fails is owed still: the row stays, the next sweep retries).
        async Task Send(string message)
        {
            if (!await dispatcher.DispatchAsync(message, ct).ConfigureAwait(false)) log.LogWarning("A sweep send failed; the next sweep retries it.");
        }
        int failed = 0, resent = 0, voids = 0, repaired = 0;
        foreach (var hospital in hospitals.All.Select(h => h.Code).Order(StringComparer.Ordinal))
        await foreach (var item in settlements.SweepAsync(hospital, now - settings.RedispatchAfter, now, ct).ConfigureAwait(false))
        {
            if (item is { Owed: var wait, Kind: SettlementStore.WaitPrefix })
            {
                // A settlement that was pending when its wait row was read: read it (it may have moved on meanwhile, or its
                // wait row may be a leftover of a backfill that raced its transition: then the row goes).
                SettlementRecord? s;
                try
                {
                    s = await settlements.GetAsync(wait.HospitalCode, wait.HospitalSettlementId, ct).ConfigureAwait(false);
                    if (s is not { Status: SettlementStatus.Pending })
                    {
                        await settlements.CompleteOwedAsync(wait.HospitalCode, wait.RowKey, ct).ConfigureAwait(false);
                        continue;
                    }
                }
                catch (RequestFailedException e)
                {
                    log.LogWarning("Pending settlement {Settlement} not checked ({Error}); the next sweep retries.", wait.SettlementId, e.Message);
                    continue;
                }
                if (now - s.SubmittedAt > settings.SettlementTimeout)
                {
                    var reason = $"No reply from home region {s.HomeRegion} within {settings.SettlementTimeout.TotalSeconds:0} s (the request may have been dead-lettered).";
                    var (updated, voidMessage) = await SettlementFailure.FailAsync(settlements, s.HospitalCode, s.HospitalSettlementId, reason, now, settings.RedispatchAfter, ct).ConfigureAwait(false);
                    signals.Signal(s.SettlementId, updated);
                    if (voidMessage is not null)
                    {
                        await Send(voidMessage).ConfigureAwait(false);
                        voids++;
                    }
                    failed++;
                }
                else if (s.DispatchCount < MaxDispatches)
                {
                    var updated = await settlements.UpdateAsync(s.HospitalCode, s.HospitalSettlementId,
                        c => c.Status == SettlementStatus.Pending ? c with { DispatchCount = c.DispatchCount + 1 } : null, ct).ConfigureAwait(false);
                    if (updated?.Status != SettlementStatus.Pending) continue;
                    await Send(s.RequestMessage).ConfigureAwait(false);
                    resent++;
                }
            }
            else if (item is { Owed: var w, Kind: SettlementStore.VoidPrefix })
            {
                // A void not confirmed (no "voided" reply yet): send it again, each time later.
                try
                {
                    var f = await settlements.GetAsync(w.HospitalCode, w.HospitalSettlementId, ct).ConfigureAwait(false);
                    if (f is not { Status: SettlementStatus.Failed } || SettlementFailure.VoidMessage(f, now) is not { } voidMessage)
                    {
                        await settlements.CompleteOwedAsync(w.HospitalCode, w.RowKey, ct).ConfigureAwait(false);
                        continue;
                    }
                    await settlements.RescheduleVoidAsync(w, SettlementFailure.NextResend(now, settings.RedispatchAfter, w.Sends + 1), w.Sends + 1, ct).ConfigureAwait(false);
                    await Send(voidMessage).ConfigureAwait(false);
                    voids++;
                    if (w.Sends >= 5) log.LogError("The void of failed settlement {Settlement} is still unconfirmed after {Sends} sends.", w.SettlementId, w.Sends);
                }
                catch (RequestFailedException e)
                {
                    log.LogWarning("Void of {Settlement} not re-sent ({Error}); the next sweep retries.", w.SettlementId, e.Message);
                }
            }
            else if (item is { Owed: var p, Kind: SettlementStore.PostPrefix })
            {
                // A completed or cancelled settlement whose posting may have been lost with its reply message.
                try
                {
                    var c = await settlements.GetAsync(p.HospitalCode, p.HospitalSettlementId, ct).ConfigureAwait(false);
                    if (c is not null)
                    {
                        var before = result.Logs.Count;
                        await effects.RepairAsync(c, result, ct).ConfigureAwait(false);
                        if (result.Logs.Count != before) repaired++;
                    }
                    await settlements.CompleteOwedAsync(p.HospitalCode, p.RowKey, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogWarning("Posting of {Settlement} not checked ({Error}); the next sweep retries.", p.SettlementId, e.Message);
                }
            }
        }

        result.Logs.Add($"sweep: {resent} re-dispatched, {failed} failed, {voids} voids sent, {repaired} postings repaired");
        return result;
    }
}
