using Gateway.Contracts;
using Gateway.Messaging;

namespace Gateway.Handler.Intake;

/// <summary>
/// Puts an evaluation request (<c>evaluate</c>, <c>cancel</c>, <c>void</c>) on its home region's queue
/// <c>eval-requests-{home}</c> through the messaging port (<see cref="IMessageSender"/>: the Service Bus SDK in Azure, the
/// Azurite queue locally), claim-checking a large body first. The <c>MessageId</c> is the settlement id for <c>evaluate</c>
/// (so Service Bus duplicate detection, when switched on, drops a re-dispatch of one already queued) and
/// <c>{settlementId}:{kind}</c> for the others (a void or cancel must never be dropped as a duplicate of the evaluation).
/// A failed send is not lost: the settlement row holds the message and the sweep sends it again.
/// </summary>
public sealed class Dispatcher(IMessageSender sender, ClaimCheck claims, ILogger<Dispatcher> log)
{
    public static string QueueFor(string homeRegion) => "eval-requests-" + homeRegion;

    /// <summary>
    /// Per home region, when the oldest message still on its evaluation queue was enqueued (regions whose queue is empty
    /// or cannot be read right now are left out: unknown is never taken for a backlog).
    /// </summary>
    public async Task<IReadOnlyDictionary<string, DateTimeOffset>> QueueHeadsAsync(IEnumerable<string> homeRegions, CancellationToken ct)
    {
        var heads = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var region in homeRegions)
        {
            try
            {
                if (await sender.OldestWaitingAsync(QueueFor(region), ct).ConfigureAwait(false) is { } oldest) heads[region] = oldest;
            }
            catch (Exception e) when (e is Azure.RequestFailedException or Azure.Messaging.ServiceBus.ServiceBusException or HttpRequestException or TimeoutException
                                          or UnauthorizedAccessException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                log.LogWarning("The queue of {Region} could not be peeked ({Error}); its pending settlements are re-dispatched as due.", region, e.GetType().Name);
            }
        }
        return heads;
    }

    public static string MessageIdFor(EvaluationRequestMessage m) => m.Kind == EvaluationRequestMessage.Evaluate ? m.SettlementId : m.SettlementId + ":" + m.Kind;

    public async Task<bool> DispatchAsync(string requestMessageJson, CancellationToken ct)
    {
        EvaluationRequestMessage message;
        try
        {
            message = GatewayJson.Deserialize<EvaluationRequestMessage>(requestMessageJson);
        }
        catch (Newtonsoft.Json.JsonException)
        {
            log.LogError("Not an evaluation request; nothing dispatched.");
            return false;
        }
        var outgoing = new OutgoingMessage(await claims.WrapAsync(requestMessageJson, ct).ConfigureAwait(false), MessageIdFor(message), message.Kind,
            new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["schemaVersion"] = message.SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["kind"] = message.Kind,
                ["settlementId"] = message.SettlementId,
                ["homeRegion"] = message.HomeRegion,
                ["treatmentRegion"] = message.TreatmentRegion,
            });
        try
        {
            await sender.SendAsync(QueueFor(message.HomeRegion), outgoing, ct).ConfigureAwait(false);
            return true;
        }
        catch (MessageRejectedException e)
        {
            log.LogError("Dispatch of {Kind} {Settlement} refused: {Error}", message.Kind, message.SettlementId, e.Message);
        }
        catch (Exception e) when (e is Azure.RequestFailedException or Azure.Messaging.ServiceBus.ServiceBusException or HttpRequestException or TimeoutException
                                      or TaskCanceledException && !ct.IsCancellationRequested)
        {
            log.LogWarning("Dispatch of {Kind} {Settlement} failed ({Error}); the sweep will retry.", message.Kind, message.SettlementId, e.GetType().Name);
        }
        return false;
    }

    public const string CallbackQueue = "hospital-callbacks";

    /// <summary>
    /// Queues a hospital callback (already claim-checked) for NotifyHospital, from a function that has no output binding for it
    /// (the sweep, the dead-letter path). False when the send failed: the callback is at-least-once from the reply path and
    /// best-effort from these (the hospital can always read the settlement).
    /// </summary>
    public async Task<bool> NotifyAsync(string settlementId, string status, string callback, CancellationToken ct)
    {
        try
        {
            await sender.SendAsync(CallbackQueue, new OutgoingMessage(callback, settlementId + ":notify:" + status, "callback",
                new Dictionary<string, string>(StringComparer.Ordinal) { ["settlementId"] = settlementId }), ct).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is Azure.RequestFailedException or Azure.Messaging.ServiceBus.ServiceBusException or HttpRequestException or TimeoutException
                                      or MessageRejectedException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            log.LogWarning("The callback of {Settlement} was not queued ({Error}).", settlementId, e.GetType().Name);
            return false;
        }
    }
}
