using Gateway.Handler.Replies;
using Gateway.Storage;
using Newtonsoft.Json.Linq;

namespace Gateway.Handler.Hosting;

/// <summary>
/// On a queue message's last delivery (DeliveryCount = MaxDeliveryCount) a failure will dead-letter it; before
/// that happens, the settlement it belongs to is marked failed with the reason, so it never stays pending. Failed is
/// final: the transition owes the home region a void (<see cref="SettlementFailure"/>), sent at once through the
/// messaging port and again by the sweep until confirmed. A settlement already completed (its reply ran out of deliveries after
/// the transition) is not failed: its posting is owed by the transition and made by the sweep.
/// </summary>
public sealed class DeadLetterRecorder(SettlementStore settlements, Intake.SettlementSignals signals, HandlerSettings settings, TimeProvider clock, Intake.Dispatcher dispatcher,
    Gateway.Messaging.ClaimCheck claims,
    ILogger<DeadLetterRecorder> log)
{
    public async Task RecordIfLastAsync(string function, InvocationRequest invocation, Exception error, CancellationToken ct)
    {
        if (invocation.DeliveryCount < settings.MaxDeliveryCount) return;
        string? settlementId = null;
        try { settlementId = JObject.Parse(await claims.UnwrapAsync(invocation.MessageText("msg"), ct).ConfigureAwait(false))["settlementId"]?.ToString(); }
        catch (Exception e) when (e is Newtonsoft.Json.JsonException or InvalidDataException or InvocationContractException or Azure.RequestFailedException) { }
        if (settlementId is null || !Keys.TrySplitSettlementKey(settlementId, out var hospital, out var id)) return;
        var reason = $"{function} failed {invocation.DeliveryCount} times; the message was dead-lettered ({FailureText.Describe(error)}).";
        var now = clock.GetUtcNow();
        var (updated, voidMessage) = await SettlementFailure.FailAsync(settlements, hospital, id, reason, now, settings.RedispatchAfter, ct).ConfigureAwait(false);
        signals.Signal(settlementId, updated);
        if (updated?.FailureReason == reason) log.LogError("Settlement {Settlement} failed: {Reason}", settlementId, reason);
        if (voidMessage is null) return;
        // At once; if the dispatch fails the sweep sends it (the ~void row written with the transition).
        await dispatcher.DispatchAsync(voidMessage, ct).ConfigureAwait(false);
    }
}
