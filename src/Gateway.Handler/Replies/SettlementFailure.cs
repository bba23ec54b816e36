using Gateway.Contracts;
using Gateway.Storage;

namespace Gateway.Handler.Replies;

/// <summary>
/// Failing a settlement is final (docs/api.md §4): the transition pending → failed is written together with a
/// <c>~void|{id}</c> row (one entity-group transaction), and the home region is sent a <c>void</c> until it answers
/// <c>voided</c> (docs/messages.md). The void reverses what the home region applied, or leaves a tombstone there so a
/// late evaluation is rejected; so after <c>failed</c> the settlement's effect is nil, forever, and the hospital may
/// resubmit the encounter under a new id.
/// </summary>
public static class SettlementFailure
{
    /// <summary>The void for a settlement (its dispatched request with kind void), or null when it never had a valid request.</summary>
    public static string? VoidMessage(SettlementRecord s, DateTimeOffset now)
    {
        try
        {
            var original = GatewayJson.Deserialize<EvaluationRequestMessage>(s.RequestMessage);
            if (original.Encounter is null || original.SettlementId != s.SettlementId) return null;
            return GatewayJson.Serialize(original with { Kind = EvaluationRequestMessage.Void, CancelReason = null, SentAt = now });
        }
        catch (Newtonsoft.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Moves a pending settlement to failed with the void owed (resent after <paramref name="resendAfter"/> unless confirmed).
    /// Returns the record as stored, and the void to send now when this call made the transition (null otherwise).
    /// </summary>
    public static async Task<(SettlementRecord? Record, string? Void)> FailAsync(SettlementStore settlements, string hospitalCode, string hospitalSettlementId,
        string reason, DateTimeOffset now, TimeSpan resendAfter, CancellationToken ct)
    {
        string? voidMessage = null;
        var updated = await settlements.UpdateAsync(hospitalCode, hospitalSettlementId,
            c => c.Status == SettlementStatus.Pending ? c with { Status = SettlementStatus.Failed, FailureReason = reason, CompletedAt = now } : null, ct,
            (before, after) =>
            {
                voidMessage = before.Status == SettlementStatus.Pending ? VoidMessage(after, now) : null;
                return voidMessage is null ? [] : [SettlementStore.VoidEntity(hospitalCode, hospitalSettlementId, now + resendAfter, 1)];
            }).ConfigureAwait(false);
        var madeIt = updated is { Status: SettlementStatus.Failed } && updated.FailureReason == reason && updated.CompletedAt == now;
        return (updated, madeIt ? voidMessage : null);
    }

    /// <summary>When an unconfirmed void is sent again: the resend interval doubling per send, at most 64 times it.</summary>
    public static DateTimeOffset NextResend(DateTimeOffset now, TimeSpan resendAfter, int sends) =>
        now + resendAfter * Math.Pow(2, Math.Clamp(sends - 1, 0, 6));
}
