using Gateway.Contracts;
using Gateway.Handler.Hosting;
using Gateway.Storage;

namespace Gateway.Handler.Replies;

/// <summary>Until the ledger is wired in: a reply has no further effect.</summary>
public sealed class NoReplyEffects : IReplyEffects
{
    public Task ApplyAsync(SettlementRecord settlement, EvaluationReplyMessage reply, InvocationResult result, CancellationToken ct) => Task.CompletedTask;
}
