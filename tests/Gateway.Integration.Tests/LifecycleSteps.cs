using Gateway.Contracts;
using Gateway.Handler.Replies;
using Gateway.Storage;

namespace Gateway.Integration.Tests;

/// <summary>The lifecycle's transitions driven by hand against a store (what ApplyReply does, without the work after it).</summary>
internal static class LifecycleSteps
{
    /// <summary>Owed work due at once (the sweep of the test gateway meets it on its next run).</summary>
    public static readonly LifecyclePolicy Policy = new(TimeSpan.Zero, TimeSpan.FromMinutes(10));

    /// <summary>The record change a reply makes (null: none), as the lifecycle decides it.</summary>
    public static Func<SettlementRecord, SettlementRecord?> Change(EvaluationReplyMessage reply, DateTimeOffset now) => c =>
    {
        var d = SettlementLifecycle.Decide(c.State(), ReplyEvents.Of(reply), now, Policy);
        return d.Changed ? ReplyEvents.WithOutcome(c.With(d.State), reply, d) : null;
    };

    /// <summary>Stores the transition a reply makes with the work written in its transaction (index rows, owed markers), and nothing after.</summary>
    public static Task<SettlementRecord?> TransitionOnlyAsync(SettlementStore store, string hospital, string id, EvaluationReplyMessage reply, DateTimeOffset now)
    {
        Decision? decision = null;
        return store.UpdateAsync(hospital, id, c =>
        {
            decision = SettlementLifecycle.Decide(c.State(), ReplyEvents.Of(reply), now, Policy);
            return decision.Changed ? ReplyEvents.WithOutcome(c.With(decision.State), reply, decision) : null;
        }, CancellationToken.None, (_, _) => decision!.WithTransition);
    }
}
