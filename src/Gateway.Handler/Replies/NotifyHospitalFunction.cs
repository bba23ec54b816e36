using Gateway.Contracts;
using Gateway.Handler.Hosting;

namespace Gateway.Handler.Replies;

/// <summary>Function NotifyHospital (queue hospital-callbacks): delivers a completion callback; a failure is redelivered, then dead-lettered.</summary>
public sealed class NotifyHospitalFunction(CallbackSender sender, Gateway.Messaging.ClaimCheck claims)
{
    public async Task<InvocationResult> HandleAsync(InvocationRequest invocation, CancellationToken ct)
    {
        var message = GatewayJson.Deserialize<CallbackMessage>(await claims.UnwrapAsync(invocation.MessageText("msg"), ct).ConfigureAwait(false));
        await sender.SendAsync(message, ct).ConfigureAwait(false);
        var result = new InvocationResult();
        result.Logs.Add($"callback of {message.SettlementId} delivered (delivery {invocation.DeliveryCount})");
        return result;
    }
}
