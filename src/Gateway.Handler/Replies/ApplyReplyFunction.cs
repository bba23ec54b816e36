using Gateway.Contracts;
using Gateway.Handler.Hosting;
using Gateway.Handler.Intake;
using Gateway.Storage;

namespace Gateway.Handler.Replies;

/// <summary>
/// Function ApplyReply (queue eval-replies): records the home region's answer on the settlement (with the index rows
/// of the ledger posting it causes, in the same transaction), posts the ledger, wakes waiting requests with the record
/// as written. Every step is idempotent, so a redelivered reply changes nothing. A completed or cancelled transition also
/// writes a <c>~post|{id}</c> row, deleted once the posting succeeded: if this message runs out of deliveries before the
/// posting, the sweep posts it.
/// A <c>failed</c> settlement is final: no reply moves it, and <c>voided</c> (the home region's confirmation of a void)
/// only clears the owed void.
/// </summary>
public sealed class ApplyReplyFunction(SettlementStore settlements, SettlementSignals signals, IReplyEffects effects, Gateway.Messaging.ClaimCheck claims, HandlerSettings settings, TimeProvider clock)
{
    public const string CallbackBinding = "callback";

    public async Task<InvocationResult> HandleAsync(InvocationRequest invocation, CancellationToken ct)
    {
        var result = new InvocationResult();
        var reply = GatewayJson.Deserialize<EvaluationReplyMessage>(await claims.UnwrapAsync(invocation.MessageText("msg"), ct).ConfigureAwait(false));
        if (!Keys.TrySplitSettlementKey(reply.SettlementId, out var hospital, out var id))
            throw new InvalidOperationException("The reply names no valid settlement id.");
        var now = clock.GetUtcNow();
        var updated = await settlements.UpdateAsync(hospital, id, current => Transition(current, reply, now), ct,
                (before, after) => [.. effects.WrittenWithTransition(before, after), .. OwedWithTransition(before, after, now + settings.RedispatchAfter)]).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Reply for unknown settlement {reply.SettlementId}.");
        if (reply.Outcome == "voided") await settlements.CompleteOwedAsync(hospital, SettlementStore.VoidPrefix + id, ct).ConfigureAwait(false);
        await effects.ApplyAsync(updated, reply, result, ct).ConfigureAwait(false);
        // Posted (ApplyAsync returned): the owed posting is done, so the sweep meets only postings that were really lost.
        if (reply.Outcome is "completed" or "cancelled" && updated.Status is SettlementStatus.Completed or SettlementStatus.Cancelled)
            await settlements.CompleteOwedAsync(hospital, SettlementStore.PostPrefix + id, ct).ConfigureAwait(false);
        signals.Signal(reply.SettlementId, updated);
        // At least once: also on a replay, since a crash may have lost the first one (hospitals dedupe by settlement id).
        if (updated.CallbackUrl is { } url && updated.Status is not SettlementStatus.Pending)
        {
            result.Outputs[CallbackBinding] = await claims.WrapAsync(GatewayJson.Serialize(new CallbackMessage
            {
                SettlementId = updated.SettlementId,
                HospitalCode = updated.HospitalCode,
                Url = url,
                Body = GatewayJson.Serialize(SettlementView.From(updated)),
            }), ct).ConfigureAwait(false);
        }
        result.Logs.Add($"{reply.Outcome} {reply.SettlementId} → {updated.Status}");
        return result;
    }

    /// <summary>The posting a completed or cancelled transition owes, checked by the sweep after <paramref name="due"/>.</summary>
    public static IReadOnlyList<Azure.Data.Tables.TableEntity> OwedWithTransition(SettlementRecord before, SettlementRecord after, DateTimeOffset due) =>
        after.Status is SettlementStatus.Completed or SettlementStatus.Cancelled && before.Status != after.Status
            ? [SettlementStore.PostEntity(after.HospitalCode, after.HospitalSettlementId, due)]
            : [];

    /// <summary>
    /// The state machine; null = already there (a replay), or nothing to do. <c>failed</c> is final: a late <c>completed</c>
    /// or <c>rejected</c> does not move it (the void sent when it failed reverses or forestalls the home region's effect),
    /// and <c>voided</c> never changes a settlement.
    /// </summary>
    public static SettlementRecord? Transition(SettlementRecord current, EvaluationReplyMessage reply, DateTimeOffset now)
    {
        switch (reply.Outcome)
        {
            case "completed" when current.Status is SettlementStatus.Pending:
                var outcome = reply.Result ?? throw new InvalidOperationException("A completed reply carries the result.");
                return current with
                {
                    Status = SettlementStatus.Completed,
                    CompletedAt = now,
                    Outcome = GatewayJson.Serialize(outcome),
                    Total = outcome.Split.Total,
                    FundTotal = outcome.Split.FundTotal,
                    AccountPay = outcome.Split.AccountPay,
                    CashPay = outcome.Split.CashPay,
                    FailureReason = null,
                };
            case "rejected" when current.Status is SettlementStatus.Pending:
                return current with
                {
                    Status = SettlementStatus.Rejected,
                    CompletedAt = now,
                    RejectionCode = reply.Rejection?.Code ?? "rejected",
                    RejectionDetail = reply.Rejection?.Detail ?? "",
                    FailureReason = null,
                };
            case "cancelled" when current.Status == SettlementStatus.Completed:
                return current with { Status = SettlementStatus.Cancelled, CancelledAt = now };
            default:
                return null;
        }
    }
}

/// <summary>What else a reply causes (ledger posting, hospital callback); idempotent.</summary>
public interface IReplyEffects
{
    /// <summary>
    /// Rows of the settlement's partition to upsert in the same transaction as the transition from <paramref name="before"/>
    /// to <paramref name="after"/> (side rows: RowKey from <see cref="SettlementStore.SideRows"/>); they must be idempotent.
    /// </summary>
    IReadOnlyList<Azure.Data.Tables.TableEntity> WrittenWithTransition(SettlementRecord before, SettlementRecord after);

    /// <summary>Runs after the settlement's state is stored (on every delivery, replays included).</summary>
    Task ApplyAsync(SettlementRecord settlement, EvaluationReplyMessage reply, InvocationResult result, CancellationToken ct);

    /// <summary>
    /// The sweep's repair of a completed (or cancelled) settlement whose reply ran out of deliveries before its effects were
    /// done: does what <see cref="ApplyAsync"/> would have done, idempotently.
    /// </summary>
    Task RepairAsync(SettlementRecord settlement, InvocationResult result, CancellationToken ct);
}
