using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Gateway.LocalHost;

/// <summary>
/// A serviceBusTrigger (or queueTrigger) on an Azurite queue of the same name, with Service Bus semantics: peek-lock
/// (visibility timeout), DeliveryCount in the metadata, abandon on failure with a short backoff, and dead-lettering
/// to <c>{queue}-poison</c> after MaxDeliveryCount deliveries with the reason.
/// </summary>
public sealed class QueuePump(FunctionDefinition function, Binding trigger, QueueServiceClient queues, Invoker invoker, Settings settings, int maxConcurrent, Action<string> log)
{
    public static readonly TimeSpan LockDuration = TimeSpan.FromSeconds(60);

    public string QueueName { get; } = settings.Resolve(trigger.Get("queueName") ?? trigger.Get("queue") ?? throw new InvalidOperationException($"{function.Name} names no queue."));

    private int MaxDeliveryCount => int.TryParse(settings["MaxDeliveryCount"], out var m) ? m : 5;

    public async Task RunAsync(CancellationToken ct)
    {
        var queue = queues.GetQueueClient(QueueName);
        var poison = queues.GetQueueClient(QueueName + "-poison");
        var slots = new SemaphoreSlim(maxConcurrent);
        var idle = TimeSpan.FromMilliseconds(5);
        while (!ct.IsCancellationRequested)
        {
            QueueMessage[] batch;
            try
            {
                var free = Math.Max(1, Math.Min(32, slots.CurrentCount));
                batch = (await queue.ReceiveMessagesAsync(free, LockDuration, ct)).Value;
            }
            catch (OperationCanceledException) { break; }
            catch (Exception e)
            {
                log($"[{function.Name}] receive failed: {e.Message}");
                await Delay(TimeSpan.FromSeconds(1), ct);
                continue;
            }
            if (batch.Length == 0)
            {
                // Woken at once when this host sends to the queue; otherwise poll with a back-off.
                if (await invoker.Signals.WaitAsync(QueueName, idle, ct)) idle = TimeSpan.FromMilliseconds(5);
                else idle = TimeSpan.FromMilliseconds(Math.Min(200, idle.TotalMilliseconds * 2));
                continue;
            }
            idle = TimeSpan.FromMilliseconds(5);
            foreach (var message in batch)
            {
                await slots.WaitAsync(ct);
                _ = Task.Run(async () =>
                {
                    try { await ProcessAsync(queue, poison, message, ct); }
                    catch (Exception e) when (e is not OperationCanceledException) { log($"[{function.Name}] {e.Message}"); }
                    finally { slots.Release(); }
                }, CancellationToken.None);
            }
        }
    }

    private async Task ProcessAsync(QueueClient queue, QueueClient poison, QueueMessage message, CancellationToken ct)
    {
        var raw = message.Body.ToString();
        var body = await invoker.Claims.UnwrapAsync(raw, ct);
        var deliveryCount = (int)message.DequeueCount;
        JToken data = body;
        var metadata = new JObject
        {
            ["DeliveryCount"] = deliveryCount,
            ["MessageId"] = message.MessageId,
            ["EnqueuedTimeUtc"] = message.InsertedOn?.UtcDateTime.ToString("O"),
            ["ExpiresAtUtc"] = message.ExpiresOn?.UtcDateTime.ToString("O"),
            ["LockedUntilUtc"] = DateTime.UtcNow.Add(LockDuration).ToString("O"),
            ["ContentType"] = "application/json",
            ["UserProperties"] = new JObject(),
            ["sys"] = HttpTriggers.Sys(function.Name),
        };
        var outcome = await invoker.InvokeAsync(function, new JObject { [trigger.Name] = data }, metadata, ct);
        if (outcome.Succeeded)
        {
            await invoker.SendQueueOutputsAsync(function, outcome.Outputs, ct);
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, ct);
            if (Duplicates.Roll(settings))
            {
                // Reliability harness: at-least-once delivery made visible (LocalHostDuplicateDeliveryRate).
                await queue.SendMessageAsync(raw, ct);
                invoker.Signals.Notify(QueueName);
                log($"[{function.Name}] duplicate delivery injected for {message.MessageId}");
            }
            return;
        }
        var reason = outcome.Logs.LastOrDefault() ?? outcome.Error ?? "the handler failed";
        if (deliveryCount >= MaxDeliveryCount)
        {
            var envelope = new JObject
            {
                ["deadLetterReason"] = "MaxDeliveryCountExceeded",
                ["deadLetterErrorDescription"] = reason,
                ["deliveryCount"] = deliveryCount,
                ["queue"] = QueueName,
                ["messageId"] = message.MessageId,
                ["body"] = raw,
            };
            await poison.SendMessageAsync(envelope.ToString(Formatting.None), ct);
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, ct);
            log($"[{function.Name}] dead-lettered message {message.MessageId} after {deliveryCount} deliveries: {reason}");
            return;
        }
        // Abandon: visible again after a short backoff, like a Service Bus lock released.
        var backoff = TimeSpan.FromMilliseconds(Math.Min(5000, 200 * deliveryCount));
        await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: backoff, cancellationToken: ct);
    }

    /// <summary>Seeded random duplicate deliveries (settings LocalHostDuplicateDeliveryRate, LocalHostDuplicateSeed); off by default.</summary>
    private static class Duplicates
    {
        private static Random? _random;

        public static bool Roll(Settings settings)
        {
            if (!double.TryParse(settings["LocalHostDuplicateDeliveryRate"], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var rate) || rate <= 0) return false;
            var random = LazyInitializer.EnsureInitialized(ref _random, () => new Random(int.TryParse(settings["LocalHostDuplicateSeed"], out var s) ? s : 1));
            lock (random) return random.NextDouble() < rate;
        }
    }

    private static async Task Delay(TimeSpan t, CancellationToken ct)
    {
        try { await Task.Delay(t, ct); }
        catch (OperationCanceledException) { }
    }
}
