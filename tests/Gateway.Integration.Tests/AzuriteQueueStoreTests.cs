using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Gateway.TestSupport;

namespace Gateway.Integration.Tests;

/// <summary>
/// tools/azurite-queue-expiry.py makes Azurite's queue store skip an empty expiry remove and update received and
/// changed messages without re-sorting the message indices (none of their indexed properties changes). Receives must
/// still hand each message to one receiver at a time in order, visibility changes must still apply, and the index
/// Azurite finds a message by (its id) must still find every one: hundreds of messages in two queues are received in
/// batches, some made visible again, and all deleted by id and pop receipt, until both queues are empty.
/// </summary>
public sealed class AzuriteQueueStoreTests
{
    [Fact]
    public async Task Receives_updates_and_deletes_stay_exact_without_re_indexing()
    {
        await using var azurite = await AzuriteFixture.StartAsync();
        var service = new QueueServiceClient(azurite.ConnectionString);
        var a = service.GetQueueClient("alpha");
        var b = service.GetQueueClient("beta");
        await a.CreateIfNotExistsAsync();
        await b.CreateIfNotExistsAsync();
        for (var i = 0; i < 300; i++)
        {
            await a.SendMessageAsync($"a{i:D3}");
            if (i % 3 == 0) await b.SendMessageAsync($"b{i:D3}");
        }

        // Batches of 32, hidden for a minute: each message once, oldest first.
        var seen = new List<string>();
        var held = new List<QueueMessage>();
        for (var round = 0; round < 4; round++)
        {
            QueueMessage[] batch = (await a.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(1))).Value;
            Assert.Equal(32, batch.Length);
            seen.AddRange(batch.Select(m => m.MessageText));
            held.AddRange(batch);
        }
        Assert.Equal(Enumerable.Range(0, 128).Select(i => $"a{i:D3}"), seen);

        // Made visible again (an update): received once more, after the messages visible since they were sent
        // (Azurite hands out the earliest visible first), with its dequeue count raised.
        var again = held[5];
        await a.UpdateMessageAsync(again.MessageId, again.PopReceipt, visibilityTimeout: TimeSpan.Zero);
        held.RemoveAt(5);
        var rest = new List<QueueMessage>();
        while (true)
        {
            QueueMessage[] batch = (await a.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(1))).Value;
            if (batch.Length == 0) break;
            rest.AddRange(batch);
        }
        Assert.Equal(Enumerable.Range(128, 172).Select(i => $"a{i:D3}").Append("a005"), rest.Select(m => m.MessageText));
        Assert.Equal(2L, rest[^1].DequeueCount);
        Assert.All(rest.SkipLast(1), m => Assert.Equal(1L, m.DequeueCount));

        // Deleted by id and pop receipt (found through the message-id index): every one, in both queues.
        foreach (var m in held.Concat(rest)) await a.DeleteMessageAsync(m.MessageId, m.PopReceipt);
        var fromB = 0;
        while (true)
        {
            QueueMessage[] batch = (await b.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(1))).Value;
            if (batch.Length == 0) break;
            foreach (var m in batch) { await b.DeleteMessageAsync(m.MessageId, m.PopReceipt); fromB++; }
        }
        Assert.Equal(100, fromB);
        Assert.Equal(0, (await a.GetPropertiesAsync()).Value.ApproximateMessagesCount);
        Assert.Equal(0, (await b.GetPropertiesAsync()).Value.ApproximateMessagesCount);

        // A stale pop receipt is still refused.
        var receipt = await a.SendMessageAsync("late");
        QueueMessage[] late = (await a.ReceiveMessagesAsync(1, TimeSpan.FromMinutes(1))).Value;
        await Assert.ThrowsAsync<Azure.RequestFailedException>(() => a.DeleteMessageAsync(late[0].MessageId, receipt.Value.PopReceipt));
        await a.DeleteMessageAsync(late[0].MessageId, late[0].PopReceipt);
    }

    [Fact]
    public void The_azurite_the_tests_run_has_the_queue_edits()
    {
        var bin = Environment.GetEnvironmentVariable("GATEWAY_AZURITE");
        Assert.False(string.IsNullOrEmpty(bin), "GATEWAY_AZURITE names the Azurite ./gateway installs");
        var store = Path.Combine(Path.GetDirectoryName(bin)!, "..", "azurite", "dist", "src", "queue", "persistence", "LokiQueueMetadataStore.js");
        var text = File.ReadAllText(store);
        Assert.Contains("/* gateway: no empty remove */", text, StringComparison.Ordinal);
        Assert.Contains("/* gateway: update messages without re-indexing */", text, StringComparison.Ordinal);
        Assert.Equal(3, text.Split("/* gateway: queue first */").Length - 1);
    }

    /// <summary>
    /// Receives, peeks and the expiry clean-up select the queue first (its index) and then the account and the time:
    /// each queue still sees only its own messages, expired messages are cleared and never handed out, and the others
    /// (in the same queue and in the next) stay.
    /// </summary>
    [Fact]
    public async Task Each_queue_sees_only_its_own_messages_and_expired_ones_go()
    {
        await using var azurite = await AzuriteFixture.StartAsync();
        var service = new QueueServiceClient(azurite.ConnectionString);
        var q = new[] { service.GetQueueClient("first"), service.GetQueueClient("second"), service.GetQueueClient("third") };
        foreach (var c in q) await c.CreateIfNotExistsAsync();
        for (var i = 0; i < 40; i++)
        {
            await q[i % 3].SendMessageAsync($"{i % 3}-keep-{i}");
            await q[i % 3].SendMessageAsync($"{i % 3}-expire-{i}", timeToLive: TimeSpan.FromSeconds(1));
        }
        await Task.Delay(TimeSpan.FromSeconds(2.5));

        for (var k = 0; k < 3; k++)
        {
            PeekedMessage[] peeked = (await q[k].PeekMessagesAsync(32)).Value;
            Assert.All(peeked, m => Assert.StartsWith($"{k}-keep-", m.MessageText, StringComparison.Ordinal));
            var received = new List<string>();
            while (true)
            {
                QueueMessage[] batch = (await q[k].ReceiveMessagesAsync(32, TimeSpan.FromMinutes(1))).Value;
                if (batch.Length == 0) break;
                received.AddRange(batch.Select(m => m.MessageText));
                foreach (var m in batch) await q[k].DeleteMessageAsync(m.MessageId, m.PopReceipt);
            }
            var expected = Enumerable.Range(0, 40).Where(i => i % 3 == k).Select(i => $"{k}-keep-{i}").ToList();
            Assert.Equal(expected, received);
            Assert.Equal(expected.Take(peeked.Length), peeked.Select(m => m.MessageText));
        }
    }
}
