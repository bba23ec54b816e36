using Gateway.Handler.Lifecycle;
using Gateway.Storage;
using Newtonsoft.Json.Linq;

namespace Gateway.Handler.Hosting;

/// <summary>
/// On a queue message's last delivery (DeliveryCount = MaxDeliveryCount) a failure will dead-letter it; before that
/// happens, its settlement gets the lifecycle event <see cref="LifecycleEvent.DeliveriesExhausted"/>: a pending one fails
/// with the reason (final, its void owed and sent at once), so it never stays pending; a completed one (its reply ran out of
/// deliveries after the transition) is not failed: its posting is owed by the transition and made by the sweep.
/// </summary>
public sealed class DeadLetterRecorder(SettlementTransitions transitions, HandlerSettings settings, Intake.Dispatcher dispatcher,
    Gateway.Messaging.ClaimCheck claims, ILogger<DeadLetterRecorder> log)
{
    public async Task RecordIfLastAsync(string function, InvocationRequest invocation, Exception error, CancellationToken ct)
    {
        if (invocation.DeliveryCount < settings.MaxDeliveryCount) return;
        string? settlementId = null;
        try { settlementId = JObject.Parse(await claims.UnwrapAsync(invocation.MessageText("msg"), ct).ConfigureAwait(false))["settlementId"]?.ToString(); }
        catch (Exception e) when (e is Newtonsoft.Json.JsonException or InvalidDataException or InvocationContractException or Azure.RequestFailedException) { }
        if (settlementId is null || !Keys.TrySplitSettlementKey(settlementId, out var hospital, out var id)) return;
        var reason = $"{function} failed {invocation.DeliveryCount} times; the message was dead-lettered ({FailureText.Describe(error)}).";
        var outcome = await transitions.ApplyAsync(hospital, id, new LifecycleEvent.DeliveriesExhausted(reason), ct).ConfigureAwait(false);
        if (outcome is not { Changed: true }) return;
        log.LogError("Settlement {Settlement} failed: {Reason}", settlementId, reason);
        if (outcome.Callback is { } callback) await dispatcher.NotifyAsync(settlementId, outcome.Record.Status.Name(), callback, ct).ConfigureAwait(false);
    }
}
