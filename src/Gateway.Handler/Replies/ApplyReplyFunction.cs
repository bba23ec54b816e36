using Gateway.Contracts;
using Gateway.Handler.Hosting;
using Gateway.Handler.Lifecycle;
using Gateway.Storage;

namespace Gateway.Handler.Replies;

/// <summary>
/// Function ApplyReply (queue eval-replies), an adapter: reads the home region's reply, turns it into a lifecycle event
/// (<see cref="ReplyEvents"/>), and lets <see cref="SettlementTransitions"/> store the transition and do the work it owes
/// (postings, markers, waiters); the callback it owes goes on the output binding. Every step is idempotent, so a
/// redelivered reply changes nothing and redoes only what a crash may have lost.
/// </summary>
public sealed class ApplyReplyFunction(SettlementTransitions transitions, Gateway.Messaging.ClaimCheck claims)
{
    public const string CallbackBinding = "callback";

    public async Task<InvocationResult> HandleAsync(InvocationRequest invocation, CancellationToken ct)
    {
        var reply = GatewayJson.Deserialize<EvaluationReplyMessage>(await claims.UnwrapAsync(invocation.MessageText("msg"), ct).ConfigureAwait(false));
        var outcome = await ApplyAsync(transitions, reply, ct).ConfigureAwait(false);
        var result = new InvocationResult();
        if (outcome.Callback is { } callback) result.Outputs[CallbackBinding] = callback;
        result.Logs.Add($"{reply.Outcome} {reply.SettlementId} → {outcome.Record.Status.Name()}{(outcome.Changed ? "" : " (unchanged)")}");
        return result;
    }

    /// <summary>Applies one reply of a home region to its settlement.</summary>
    public static async Task<TransitionOutcome> ApplyAsync(SettlementTransitions transitions, EvaluationReplyMessage reply, CancellationToken ct)
    {
        if (!Keys.TrySplitSettlementKey(reply.SettlementId, out var hospital, out var id))
            throw new InvalidOperationException("The reply names no valid settlement id.");
        var e = ReplyEvents.Of(reply);
        return await transitions.ApplyAsync(hospital, id, e, ct, (next, decision) => ReplyEvents.WithOutcome(next, reply, decision)).ConfigureAwait(false)
               ?? throw new InvalidOperationException($"Reply for unknown settlement {reply.SettlementId}.");
    }
}

/// <summary>The home region's reply outcomes (docs/messages.md) as lifecycle events.</summary>
public static class ReplyEvents
{
    public static LifecycleEvent Of(EvaluationReplyMessage reply) => reply.Outcome switch
    {
        ReplyOutcomes.Completed => reply.Result is not null ? new LifecycleEvent.Evaluated() : throw new InvalidOperationException("A completed reply carries the result."),
        ReplyOutcomes.Rejected => new LifecycleEvent.RejectedAtHome(reply.Rejection?.Code ?? "rejected", reply.Rejection?.Detail ?? ""),
        ReplyOutcomes.Cancelled => new LifecycleEvent.CancelledAtHome(),
        ReplyOutcomes.CancelRejected => new LifecycleEvent.CancelRefusedAtHome(reply.Rejection?.Detail ?? ""),
        ReplyOutcomes.Voided => new LifecycleEvent.VoidConfirmed(),
        _ => throw new InvalidOperationException($"Unknown reply outcome '{reply.Outcome}'."),
    };

    /// <summary>A settlement the reply completes carries the home region's outcome (the split, the explanation, the delta).</summary>
    public static SettlementRecord WithOutcome(SettlementRecord next, EvaluationReplyMessage reply, Decision decision)
    {
        if (!(decision.State.Status == SettlementStatus.Completed && next.Outcome is null && reply.Result is { } outcome)) return next;
        return next with
        {
            Outcome = GatewayJson.Serialize(outcome),
            Total = outcome.Split.Total,
            FundTotal = outcome.Split.FundTotal,
            AccountPay = outcome.Split.AccountPay,
            CashPay = outcome.Split.CashPay,
        };
    }
}
