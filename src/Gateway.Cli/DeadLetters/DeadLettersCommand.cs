using System.CommandLine;
using Gateway.Messaging;
using Spectre.Console;

namespace Gateway.Cli.DeadLetters;

/// <summary>
/// <c>gateway dead-letters list|show|resubmit --queue Q</c>: the dead-letter sub-queue of a queue. In Azure
/// (<c>--namespace NS.servicebus.windows.net</c>, signed in with Azure.Identity, or <c>--servicebus CONNECTION</c>) the Service
/// Bus <c>$DeadLetterQueue</c>; locally (default: the queues of the running <c>./gateway up</c>) the local host's
/// <c>{queue}-deadletter</c>. <c>resubmit</c> puts the message back on its queue with its MessageId, body and properties
/// and removes the dead letter; the consumers are idempotent, so resubmitting is safe to repeat.
/// </summary>
public static class DeadLettersCommand
{
    public static Command Create()
    {
        var queue = new Option<string>("--queue") { Description = "The queue (e.g. eval-requests-511300, eval-replies, filing-replies, hospital-callbacks).", Required = true };
        var ns = new Option<string?>("--namespace") { Description = "Service Bus namespace (fully qualified) to reach with your Azure sign-in (DefaultAzureCredential)." };
        var sb = new Option<string?>("--servicebus") { Description = "Service Bus connection string (instead of --namespace)." };
        var storage = new Option<string?>("--storage") { Description = "Storage connection of the local queues (default: the one ./gateway up wrote)." };
        var max = new Option<int>("--max") { Description = "At most this many (list).", DefaultValueFactory = _ => 32 };
        var id = new Option<string>("--id") { Description = "The dead letter's MessageId.", Required = true };

        var list = new Command("list", "List the dead letters of a queue: id, when, deliveries, reason.") { queue, ns, sb, storage, max };
        list.SetAction(async (p, ct) => await WithQueuesAsync(p.GetValue(ns), p.GetValue(sb), p.GetValue(storage), async q =>
        {
            var letters = await q.ListAsync(p.GetValue(queue)!, p.GetValue(max), ct);
            string[] Row(DeadLetter d) => [d.MessageId, d.EnqueuedTime.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture),
                d.DeliveryCount.ToString(System.Globalization.CultureInfo.InvariantCulture), d.Subject ?? "", d.Reason ?? "", d.Description ?? ""];
            string[] header = ["messageId", "enqueued (UTC)", "deliveries", "subject", "reason", "description"];
            if (Console.IsOutputRedirected)
            {
                // Piped: tab-separated lines, one per dead letter, for scripts.
                Console.WriteLine(string.Join('\t', header));
                foreach (var d in letters) Console.WriteLine(string.Join('\t', Row(d)));
            }
            else
            {
                var table = new Table().AddColumns(header);
                foreach (var d in letters) table.AddRow(Row(d).Select(Markup.Escape).ToArray());
                AnsiConsole.Write(table);
            }
            Console.WriteLine($"{letters.Count} dead letter(s) on {p.GetValue(queue)}");
            return 0;
        }));

        var show = new Command("show", "Show one dead letter whole: its properties and body.") { queue, id, ns, sb, storage };
        show.SetAction(async (p, ct) => await WithQueuesAsync(p.GetValue(ns), p.GetValue(sb), p.GetValue(storage), async q =>
        {
            var d = (await q.ListAsync(p.GetValue(queue)!, 1000, ct)).FirstOrDefault(x => x.MessageId == p.GetValue(id));
            if (d is null)
            {
                Console.Error.WriteLine($"No dead letter {p.GetValue(id)} on {p.GetValue(queue)}.");
                return 1;
            }
            Console.WriteLine($"messageId:   {d.MessageId}");
            Console.WriteLine($"enqueued:    {d.EnqueuedTime:O}");
            Console.WriteLine($"deliveries:  {d.DeliveryCount}");
            Console.WriteLine($"subject:     {d.Subject}");
            Console.WriteLine($"reason:      {d.Reason}");
            Console.WriteLine($"description: {d.Description}");
            foreach (var (k, v) in d.Properties) Console.WriteLine($"property:    {k} = {v}");
            Console.WriteLine("body:");
            Console.WriteLine(d.Body);
            return 0;
        }));

        var resubmit = new Command("resubmit", "Put a dead letter back on its queue (same MessageId) and remove it from the dead-letter queue.") { queue, id, ns, sb, storage };
        resubmit.SetAction(async (p, ct) => await WithQueuesAsync(p.GetValue(ns), p.GetValue(sb), p.GetValue(storage), async q =>
        {
            if (await q.ResubmitAsync(p.GetValue(queue)!, p.GetValue(id)!, ct))
            {
                Console.WriteLine($"resubmitted {p.GetValue(id)} to {p.GetValue(queue)}");
                return 0;
            }
            Console.WriteLine($"no dead letter {p.GetValue(id)} on {p.GetValue(queue)} (already resubmitted?)");
            return 1;
        }));

        return new Command("dead-letters", "Operate the dead-letter queues: list, show, resubmit.") { list, show, resubmit };
    }

    private static async Task<int> WithQueuesAsync(string? ns, string? sb, string? storage, Func<IDeadLetterQueues, Task<int>> run)
    {
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (ns is not null || sb is not null)
        {
            settings[MessagingFactory.TransportSetting] = "ServiceBus";
            settings[MessagingFactory.ConnectionSetting] = sb;
            settings[MessagingFactory.ConnectionSetting + ":fullyQualifiedNamespace"] = ns;
        }
        else
        {
            var connection = storage ?? LocalGateway.StorageConnection();
            if (string.IsNullOrEmpty(connection))
            {
                Console.Error.WriteLine("Give --namespace or --servicebus (Azure), --storage, or run ./gateway up first.");
                return 2;
            }
            settings[MessagingFactory.TransportSetting] = "StorageQueues";
            settings[MessagingFactory.ConnectionSetting] = connection;
        }
        await using var queues = MessagingFactory.DeadLetters(name => settings.GetValueOrDefault(name));
        return await run(queues);
    }
}
