using Gateway.Contracts;
using Gateway.Handler.Hosting;
using Gateway.Storage;

namespace Gateway.Handler.Filings;

/// <summary>
/// Function ApplyFilingReply (queue filing-replies): records the home region's answer on the gateway's filing (pending →
/// filed or refused, under the row's ETag) and wakes a request waiting for it. A redelivered or repeated answer changes
/// nothing; a reply that breaks the contract (or names no filing of ours) fails, so the broker dead-letters it.
/// </summary>
public sealed class ApplyFilingReplyFunction(FilingStore filings, FilingSignals signals, Gateway.Messaging.ClaimCheck claims, TimeProvider clock)
{
    public const string Name = "ApplyFilingReply";

    public async Task<InvocationResult> HandleAsync(InvocationRequest invocation, CancellationToken ct)
    {
        var result = new InvocationResult();
        var reply = GatewayJson.Deserialize<FilingReplyMessage>(await claims.UnwrapAsync(invocation.MessageText("msg"), ct).ConfigureAwait(false));
        if (reply.SchemaVersion != FilingRequestMessage.CurrentSchemaVersion)
            throw new InvalidOperationException($"Unsupported schemaVersion {reply.SchemaVersion}.");
        if (reply.FilingId is null || !Keys.TrySplitSettlementKey(reply.FilingId, out var hospital, out var id))
            throw new InvalidOperationException("The filing reply names no valid filing id.");
        var decided = reply.Outcome switch
        {
            FilingReplyMessage.Filed when reply.Filing is { } f && f.ValidTo >= f.ValidFrom => true,
            FilingReplyMessage.Refused when reply.Refusal is { Code.Length: > 0 } => false,
            _ => throw new InvalidOperationException($"A filing reply is 'filed' with its filing or 'refused' with its refusal, not '{reply.Outcome}'."),
        };
        var now = clock.GetUtcNow();
        var updated = await filings.UpdateAsync(hospital, id, current =>
        {
            if (current.Status != FilingStatus.Pending) return null; // decided already: a replay changes nothing
            if (current.HomeRegion != reply.HomeRegion || current.MemberId != reply.MemberId)
                throw new InvalidOperationException($"The reply for filing {reply.FilingId} names another member or home region.");
            return decided
                ? current with { Status = FilingStatus.Filed, ValidFrom = reply.Filing!.ValidFrom, ValidTo = reply.Filing.ValidTo, DecidedAt = now }
                : current with { Status = FilingStatus.Refused, RefusalCode = reply.Refusal!.Code, RefusalDetail = reply.Refusal.Detail, DecidedAt = now };
        }, ct).ConfigureAwait(false) ?? throw new InvalidOperationException($"Reply for unknown filing {reply.FilingId}.");
        signals.Signal(updated);
        result.Logs.Add($"{reply.Outcome} {reply.FilingId} → {updated.Status}");
        return result;
    }
}
