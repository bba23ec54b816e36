using Gateway.Storage;
using Newtonsoft.Json.Linq;

namespace Gateway.Handler.Hosting;

/// <summary>
/// On a queue message's last delivery (DeliveryCount = MaxDeliveryCount) a failure will dead-letter it; before
/// that happens, the settlement it belongs to is marked failed with the reason, so it never stays pending.
/// </summary>
public sealed class DeadLetterRecorder(SettlementStore settlements, Intake.SettlementSignals signals, HandlerSettings settings, TimeProvider clock, ILogger<DeadLetterRecorder> log)
{
    public async Task RecordIfLastAsync(string function, InvocationRequest invocation, Exception error, CancellationToken ct)
    {
        if (invocation.DeliveryCount < settings.MaxDeliveryCount) return;
        string? settlementId = null;
        try { settlementId = JObject.Parse(invocation.MessageText("msg"))["settlementId"]?.ToString(); }
        catch (Newtonsoft.Json.JsonException) { }
        if (settlementId is null || !Keys.TrySplitSettlementKey(settlementId, out var hospital, out var id)) return;
        var reason = $"{function} failed {invocation.DeliveryCount} times; the message was dead-lettered: {error.GetType().Name}: {error.Message}";
        var now = clock.GetUtcNow();
        var updated = await settlements.UpdateAsync(hospital, id,
            c => c.Status == SettlementStatus.Pending ? c with { Status = SettlementStatus.Failed, FailureReason = reason, CompletedAt = now } : null, ct).ConfigureAwait(false);
        signals.Signal(settlementId, updated);
        log.LogError("Settlement {Settlement} failed: {Reason}", settlementId, reason);
    }
}
