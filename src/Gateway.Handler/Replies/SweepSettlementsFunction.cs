using Gateway.Contracts;
using Gateway.Handler.Hosting;
using Gateway.Handler.Intake;
using Gateway.Storage;

namespace Gateway.Handler.Replies;

/// <summary>
/// Function SweepSettlements (timer): finishes what was started. A settlement pending past
/// RedispatchAfterSeconds is re-dispatched (the home side is idempotent); past SettlementTimeoutSeconds it is
/// failed with the reason, so nothing stays "pending" forever.
/// </summary>
public sealed class SweepSettlementsFunction(SettlementStore settlements, SettlementSignals signals, HandlerSettings settings, TimeProvider clock)
{
    public const int MaxDispatches = 3;

    public async Task<InvocationResult> HandleAsync(CancellationToken ct)
    {
        var result = new InvocationResult();
        var now = clock.GetUtcNow();
        var redispatch = new Dictionary<string, List<string>>();
        int failed = 0, resent = 0;
        await foreach (var s in settlements.PendingBeforeAsync(now - settings.RedispatchAfter, ct).ConfigureAwait(false))
        {
            if (now - s.SubmittedAt > settings.SettlementTimeout)
            {
                var reason = $"No reply from home region {s.HomeRegion} within {settings.SettlementTimeout.TotalSeconds:0} s (the request may have been dead-lettered).";
                var updated = await settlements.UpdateAsync(s.HospitalCode, s.HospitalSettlementId,
                    c => c.Status == SettlementStatus.Pending ? c with { Status = SettlementStatus.Failed, FailureReason = reason, CompletedAt = now } : null, ct).ConfigureAwait(false);
                signals.Signal(s.SettlementId, updated);
                failed++;
            }
            else if (s.DispatchCount < MaxDispatches)
            {
                var updated = await settlements.UpdateAsync(s.HospitalCode, s.HospitalSettlementId,
                    c => c.Status == SettlementStatus.Pending ? c with { DispatchCount = c.DispatchCount + 1 } : null, ct).ConfigureAwait(false);
                if (updated?.Status != SettlementStatus.Pending) continue;
                var binding = DispatchFunction.OutputBinding(s.HomeRegion);
                if (!redispatch.TryGetValue(binding, out var list)) redispatch[binding] = list = [];
                list.Add(s.RequestMessage);
                resent++;
            }
        }
        foreach (var (binding, messages) in redispatch) result.Outputs[binding] = messages;
        result.Logs.Add($"sweep: {resent} re-dispatched, {failed} failed");
        return result;
    }
}
