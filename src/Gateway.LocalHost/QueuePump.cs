using System.Text;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Gateway.Messaging;

namespace Gateway.LocalHost;

/// <summary>
/// A serviceBusTrigger on the Azurite queue of the same name, with the broker's semantics as the handler can see them:
/// peek-lock (visibility timeout = the queue's lock duration), DeliveryCount, abandon on failure (visible again at once, as
/// Service Bus makes an abandoned message), and after MaxDeliveryCount deliveries the broker's dead-lettering to the
/// queue's dead-letter sub-queue (<c>{queue}-deadletter</c>, <see cref="LocalQueueEnvelope"/> with
/// <c>DeadLetterReason</c> = <c>MaxDeliveryCountExceeded</c>). Invocations are shaped by <see cref="HostContract"/>.
/// </summary>
public sealed class QueuePump(FunctionDefinition function, Binding trigger, QueueServiceClient queues, Invoker invoker, Settings settings, int maxConcurrent, QueueStatistics stats, Action<string> log)
{
    public static readonly TimeSpan LockDuration = TimeSpan.FromSeconds(60);

    public string QueueName { get; } = settings.Resolve(trigger.Get("queueName") ?? trigger.Get("queue") ?? throw new InvalidOperationException($"{function.Name} names no queue."));

    private int MaxDeliveryCount => int.TryParse(settings["MaxDeliveryCount"], out var m) ? m : 5;

    private long _sequence;

    public async Task RunAsync(CancellationToken ct)
    {
        var queue = queues.GetQueueClient(QueueName);
        var deadLetters = queues.GetQueueClient(LocalQueueEnvelope.DeadLetterQueueName(QueueName));
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
                // Woken at once when a message is sent to the queue by this host or the handler; otherwise poll with a back-off.
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
                    try { await ProcessAsync(queue, deadLetters, message, ct); }
                    catch (Exception e) when (e is not OperationCanceledException) { log($"[{function.Name}] {e.Message}"); }
                    finally { slots.Release(); }
                }, CancellationToken.None);
            }
        }
    }

    private async Task ProcessAsync(QueueClient queue, QueueClient deadLetters, QueueMessage message, CancellationToken ct)
    {
        var raw = message.Body.ToString();
        var envelope = LocalQueueEnvelope.Parse(raw, message.MessageId, message.InsertedOn ?? TimeProvider.System.GetUtcNow());
        var deliveryCount = (int)message.DequeueCount;
        stats.Received(QueueName, Encoding.UTF8.GetByteCount(envelope.Body));
        var (data, metadata) = HostContract.ServiceBus(function.Name, trigger.Name, envelope, deliveryCount, Interlocked.Increment(ref _sequence),
            LockToken(message), message.ExpiresOn ?? envelope.EnqueuedTimeUtc.AddDays(14), TimeProvider.System.GetUtcNow(), Guid.NewGuid());
        var outcome = await invoker.InvokeAsync(function, data, metadata, ct);
        if (outcome.Succeeded)
        {
            // Outputs first, then complete: at-least-once, as the host does.
            await invoker.SendQueueOutputsAsync(function, outcome.Outputs, ct);
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, ct);
            if (Duplicates.Roll(settings))
            {
                // Reliability harness: at-least-once delivery made visible (LocalHostDuplicateDeliveryRate).
                await queue.SendMessageAsync(raw, ct);
                invoker.Signals.Notify(QueueName);
                log($"[{function.Name}] duplicate delivery injected for {envelope.MessageId}");
            }
            return;
        }
        if (deliveryCount >= MaxDeliveryCount)
        {
            // The broker's dead-lettering: reason and description as Service Bus writes them.
            var dead = envelope with
            {
                DeadLetterReason = "MaxDeliveryCountExceeded",
                DeadLetterErrorDescription = $"Message could not be consumed after {deliveryCount} delivery attempts.",
                DeliveryCount = deliveryCount,
            };
            await deadLetters.SendMessageAsync(dead.ToText(), ct);
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, ct);
            stats.DeadLettered(QueueName);
            log($"[{function.Name}] dead-lettered message {envelope.MessageId} after {deliveryCount} deliveries ({outcome.Error})");
            return;
        }
        // Abandon: the lock is released and the message is available again at once, as on Service Bus.
        await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero, cancellationToken: ct);
        invoker.Signals.Notify(QueueName);
    }

    /// <summary>A Service Bus lock token is a GUID; the storage queue's pop receipt is this delivery's lock, so its hash stands in.</summary>
    private static string LockToken(QueueMessage m) =>
        new Guid(System.Security.Cryptography.MD5.HashData(Encoding.UTF8.GetBytes(m.MessageId + "|" + m.PopReceipt))).ToString();

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

/// <summary>What the local host has seen per queue: messages received, the largest body (bytes, as Service Bus counts the size), dead letters.</summary>
public sealed class QueueStatistics
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Entry> _queues = new(StringComparer.Ordinal);

    public sealed class Entry
    {
        public long Received;
        public long LargestBodyBytes;
        public long DeadLettered;
        public long Sent;
        public long LargestSentBytes;
    }

    private Entry For(string q) => _queues.GetOrAdd(q, _ => new Entry());

    public void Received(string queue, long bytes)
    {
        var e = For(queue);
        Interlocked.Increment(ref e.Received);
        long seen;
        while (bytes > (seen = Interlocked.Read(ref e.LargestBodyBytes)) && Interlocked.CompareExchange(ref e.LargestBodyBytes, bytes, seen) != seen) { }
    }

    public void Sent(string queue, long bytes)
    {
        var e = For(queue);
        Interlocked.Increment(ref e.Sent);
        long seen;
        while (bytes > (seen = Interlocked.Read(ref e.LargestSentBytes)) && Interlocked.CompareExchange(ref e.LargestSentBytes, bytes, seen) != seen) { }
    }

    public void DeadLettered(string queue) => Interlocked.Increment(ref For(queue).DeadLettered);

    public IReadOnlyDictionary<string, Entry> Snapshot => _queues;
}
