using Cronos;

namespace Gateway.LocalHost;

/// <summary>Fires a timerTrigger from its six-field CRON schedule (UTC), like the Functions host.</summary>
public sealed class TimerRunner(FunctionDefinition function, Binding trigger, Invoker invoker, Settings settings, Action<string> log)
{
    public async Task RunAsync(CancellationToken ct)
    {
        var schedule = CronExpression.Parse(settings.Resolve(trigger.Get("schedule") ?? throw new InvalidOperationException($"{function.Name} has no schedule.")), CronFormat.IncludeSeconds);
        DateTime? last = null;
        if (trigger.Raw.Value<bool?>("runOnStartup") == true) await FireAsync(schedule, last, ct);
        while (!ct.IsCancellationRequested)
        {
            var next = schedule.GetNextOccurrence(TimeProvider.System.GetUtcNow().UtcDateTime) ?? DateTime.MaxValue;
            var wait = next - TimeProvider.System.GetUtcNow().UtcDateTime;
            try { if (wait > TimeSpan.Zero) await Task.Delay(wait, ct); }
            catch (OperationCanceledException) { break; }
            last = await FireAsync(schedule, last, ct);
        }
    }

    private async Task<DateTime> FireAsync(CronExpression schedule, DateTime? last, CancellationToken ct)
    {
        var now = TimeProvider.System.GetUtcNow().UtcDateTime;
        var (data, metadata) = HostContract.Timer(function.Name, trigger.Name, last, schedule.GetNextOccurrence(now), now, now, false, Guid.NewGuid());
        try
        {
            var outcome = await invoker.InvokeAsync(function, data, metadata, ct);
            if (outcome.Succeeded) await invoker.SendQueueOutputsAsync(function, outcome.Outputs, ct);
            else log($"[{function.Name}] timer invocation failed: {outcome.Error}");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log($"[{function.Name}] timer invocation failed: {e.Message}");
        }
        return now;
    }
}
