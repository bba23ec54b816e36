namespace Gateway.Domain;

/// <summary>
/// Where a settlement is in its life, as the hospital sees it. <c>pending</c> is the only state that moves on its own
/// (a reply, the sweep); <c>completed</c> moves only to <c>cancelled</c>; <c>rejected</c>, <c>failed</c> and <c>cancelled</c>
/// are final.
/// </summary>
public enum SettlementStatus { Pending, Completed, Rejected, Failed, Cancelled }

public static class SettlementStatuses
{
    /// <summary>The wire and storage name (<c>pending</c>, <c>completed</c>, …).</summary>
    public static string Name(this SettlementStatus s) => s switch
    {
        SettlementStatus.Pending => "pending",
        SettlementStatus.Completed => "completed",
        SettlementStatus.Rejected => "rejected",
        SettlementStatus.Failed => "failed",
        SettlementStatus.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(s)),
    };

    public static SettlementStatus Parse(string name) => name switch
    {
        "pending" => SettlementStatus.Pending,
        "completed" => SettlementStatus.Completed,
        "rejected" => SettlementStatus.Rejected,
        "failed" => SettlementStatus.Failed,
        "cancelled" => SettlementStatus.Cancelled,
        _ => throw new FormatException($"'{name}' is not a settlement status."),
    };

    /// <summary>Ledger-bearing: a journal entry exists for it (and, cancelled, its reversal).</summary>
    public static bool IsPosted(this SettlementStatus s) => s is SettlementStatus.Completed or SettlementStatus.Cancelled;
}

/// <summary>What the lifecycle knows of one settlement (the settlement record's state; its money lives elsewhere).</summary>
public sealed record SettlementState
{
    public required SettlementStatus Status { get; init; }
    public required DateTimeOffset SubmittedAt { get; init; }
    /// <summary>When it left pending (completed, rejected or failed).</summary>
    public DateTimeOffset? CompletedAt { get; init; }
    public DateTimeOffset? CancelledAt { get; init; }
    /// <summary>Set when the hospital asked for a cancel that the home region has not answered yet (or has done).</summary>
    public string? CancelReason { get; init; }
    public string? FailureReason { get; init; }
    public string? RejectionCode { get; init; }
    public string? RejectionDetail { get; init; }
    /// <summary>Re-dispatches made by the sweep (the first dispatch is not counted).</summary>
    public int Redispatches { get; init; }
    /// <summary>The member's home region (whose queue carries its evaluation); null where unknown.</summary>
    public string? HomeRegion { get; init; }
    /// <summary>The settlement carries a request the home region may have applied, so a failure owes it a void.</summary>
    public bool Voidable { get; init; } = true;
    /// <summary>The settlement carries traceability codes (spec §10.1): it holds them while live, and its way out of live owes their release.</summary>
    public bool HoldsCodes { get; init; }
}

/// <summary>The timings of the lifecycle (settings <c>RedispatchAfterSeconds</c>, <c>SettlementTimeoutSeconds</c>).</summary>
public sealed record LifecyclePolicy(TimeSpan RedispatchAfter, TimeSpan Timeout, int MaxRedispatches = 3)
{
    /// <summary>
    /// When a pending settlement is dispatched again: the interval doubles after each re-dispatch, and a jitter (0–25 % of
    /// it, from the settlement's own <paramref name="jitter"/> in [0, 1)) spreads a backlog's re-dispatches over time, so a
    /// store or queue that fell behind is not handed all its work again at once.
    /// </summary>
    public DateTimeOffset RedispatchDue(SettlementState s, double jitter)
    {
        var wait = RedispatchAfter * Math.Pow(2, Math.Clamp(s.Redispatches, 0, 6));
        return s.SubmittedAt + wait + wait * (0.25 * Math.Clamp(jitter, 0, 0.999));
    }

    /// <summary>
    /// The settlement's evaluation may still be waiting on its home region's queue: the oldest message there was enqueued
    /// no later than the settlement was submitted, so everything dispatched for it since is still behind that message. A
    /// re-dispatch would only add to the backlog; the settlement is lost (and dispatched again) only once the queue has
    /// moved past it. Unknown (no figure for the queue) is not a backlog: the re-dispatch goes as before.
    /// </summary>
    public static bool BehindBacklog(SettlementState s, IReadOnlyDictionary<string, DateTimeOffset>? queueHeads) =>
        s.HomeRegion is { } home && queueHeads is not null && queueHeads.TryGetValue(home, out var oldest) && oldest <= s.SubmittedAt;

    /// <summary>When an unconfirmed void (or cancel) is sent again: the interval doubling per send, at most 64 times it.</summary>
    public DateTimeOffset ResendDue(DateTimeOffset now, int sends) => now + RedispatchAfter * Math.Pow(2, Math.Clamp(sends - 1, 0, 6));

    /// <summary>When a posting owed by a transition is checked by the sweep (the reply's own posting normally clears it first).</summary>
    public DateTimeOffset PostingCheckDue(DateTimeOffset now) => now + RedispatchAfter;
}

/// <summary>What can happen to a settlement. Replies of the home region, requests of the hospital, findings of the sweep.</summary>
public abstract record LifecycleEvent
{
    private LifecycleEvent() { }

    /// <summary>The hospital sent the same settlement (same id, same body) again.</summary>
    public sealed record SubmittedAgain : LifecycleEvent;
    /// <summary>The home region replied <c>completed</c>: it applied the split.</summary>
    public sealed record Evaluated : LifecycleEvent;
    /// <summary>The home region replied <c>rejected</c> (nothing applied there).</summary>
    public sealed record RejectedAtHome(string Code, string Detail) : LifecycleEvent;
    /// <summary>The home region replied <c>voided</c>: the settlement has no effect there, now or later.</summary>
    public sealed record VoidConfirmed : LifecycleEvent;
    /// <summary>The home region replied <c>cancelled</c>: it reversed exactly what it had applied.</summary>
    public sealed record CancelledAtHome : LifecycleEvent;
    /// <summary>The home region replied <c>cancelRejected</c>: it has nothing to reverse.</summary>
    public sealed record CancelRefusedAtHome(string Detail) : LifecycleEvent;
    /// <summary>The hospital asked to cancel (撤销).</summary>
    public sealed record CancelRequested(string Reason) : LifecycleEvent;
    /// <summary>A message of the settlement failed its last delivery and goes to the dead-letter queue (its reply is lost).</summary>
    public sealed record DeliveriesExhausted(string Reason) : LifecycleEvent;
    /// <summary>The sweep met the settlement's pending marker: re-dispatch, time out, or nothing yet.</summary>
    /// <summary>
    /// The sweep looked at a pending settlement. <c>QueueHeads</c>: per home region, when the oldest message still on its
    /// evaluation queue was enqueued (regions whose queue is empty or could not be read are absent).
    /// </summary>
    public sealed record PendingChecked(double Jitter, IReadOnlyDictionary<string, DateTimeOffset>? QueueHeads = null) : LifecycleEvent;
    /// <summary>The sweep met an owed void that is due (sent <paramref name="Sends"/> times so far).</summary>
    public sealed record VoidDue(int Sends) : LifecycleEvent;
    /// <summary>The sweep met an owed cancel that is due (sent <paramref name="Sends"/> times so far).</summary>
    public sealed record CancelDue(int Sends) : LifecycleEvent;
    /// <summary>The sweep met an owed posting that is due: its reply may have been lost before the ledger was written.</summary>
    public sealed record PostingDue : LifecycleEvent;
    /// <summary>The sweep met an owed release of traceability codes that is due: the release after the transition may have been lost.</summary>
    public sealed record ReleaseDue : LifecycleEvent;
}

/// <summary>Which journal entry of a settlement: its posting (sequence 0) or the reversal of a cancel (sequence 1).</summary>
public enum Posting { Journal = 0, Reversal = 1 }

/// <summary>
/// Work a decision owes, as data. Items of <see cref="Decision.WithTransition"/> are rows written in the same
/// entity-group transaction as the new state (so they cannot be lost apart from it: only <see cref="TrackPending"/>,
/// <see cref="StopTrackingPending"/> and the <c>Owe…</c> items); items of <see cref="Decision.After"/>
/// are done, in order, once the state is stored, and every one is idempotent (a redelivery does them again).
/// </summary>
public abstract record Work
{
    private Work() { }

    /// <summary>The pending marker the sweep reads (written with the pending settlement).</summary>
    public sealed record TrackPending : Work;
    /// <summary>Remove the pending marker (with the transition out of pending, or after, when a leftover).</summary>
    public sealed record StopTrackingPending : Work;
    /// <summary>Send the stored evaluation request to the home region.</summary>
    public sealed record SendEvaluation : Work;
    /// <summary>Send the cancel to the home region.</summary>
    public sealed record SendCancel : Work;
    /// <summary>Send the void to the home region.</summary>
    public sealed record SendVoid : Work;
    /// <summary>A void is owed until confirmed: the marker, due again at <paramref name="Due"/>, sent <paramref name="Sends"/> times.</summary>
    public sealed record OweVoid(DateTimeOffset Due, int Sends) : Work;
    /// <summary>The void was confirmed (or is moot): remove its marker.</summary>
    public sealed record DiscardVoid : Work;
    /// <summary>A cancel is owed until the home region answers it.</summary>
    public sealed record OweCancel(DateTimeOffset Due, int Sends) : Work;
    public sealed record DiscardCancel : Work;
    /// <summary>A ledger entry is owed (its index rows and the marker the sweep checks after <paramref name="Due"/>).</summary>
    public sealed record OwePosting(Posting Entry, DateTimeOffset Due) : Work;
    /// <summary>Post the ledger entry (idempotent by settlement id and sequence).</summary>
    public sealed record Post(Posting Entry) : Work;
    /// <summary>Check that the entries the state implies are in the ledger, and post what is missing (the sweep's repair).</summary>
    public sealed record RepairPostings : Work;
    /// <summary>The postings are made: remove the marker.</summary>
    public sealed record DiscardPosting : Work;
    /// <summary>The settlement's traceability codes are to be released (it left live): the marker the sweep checks after <paramref name="Due"/>.</summary>
    public sealed record OweRelease(DateTimeOffset Due) : Work;
    /// <summary>Release the traceability codes this settlement holds (idempotent: only rows naming it as holder are removed).</summary>
    public sealed record ReleaseCodes : Work;
    /// <summary>The codes are released: remove the marker.</summary>
    public sealed record DiscardRelease : Work;
    /// <summary>Wake requests waiting on this settlement (Prefer: wait).</summary>
    public sealed record WakeWaiters : Work;
    /// <summary>Tell the hospital (its callback URL, if it gave one): at least once.</summary>
    public sealed record NotifyHospital : Work;
}

/// <summary>Why a request of the hospital is refused by the lifecycle.</summary>
public enum LifecycleRefusal { None, NotCancellable }

/// <summary>The outcome of one event: the state after it (<see cref="Changed"/> when it differs), and the work owed.</summary>
public sealed record Decision(SettlementState State, bool Changed, IReadOnlyList<Work> WithTransition, IReadOnlyList<Work> After, LifecycleRefusal Refusal = LifecycleRefusal.None)
{
    public static Decision Unchanged(SettlementState s, params Work[] after) => new(s, false, [], after);
}

/// <summary>
/// The settlement lifecycle (docs/design.md has the diagram; docs/reliability.md the rules). A pure function: state and
/// event in, new state and owed work out. No I/O, no clock (the caller passes <c>now</c>), no randomness (the sweep passes
/// the settlement's jitter).
/// <code>
///   submit ─▶ pending ──evaluated──▶ completed ──cancel requested / cancelled at home──▶ cancelled
///               │  │                    (posting owed, then made)       (reversal owed, then made)
///               │  └──rejected at home──▶ rejected
///               └──timed out / deliveries exhausted──▶ failed (void owed until confirmed; nothing moves it again)
/// </code>
/// Rules, each a transition below: failed is final (no reply revives it, a late evaluation only meets the void);
/// a void is owed until the home region confirms it; a posting is owed with the transition that causes it, so a lost
/// reply is repaired by the sweep; a cancel is owed until the home region answers it; nothing stays pending past its
/// timeout; re-dispatches are bounded and spread.
/// </summary>
public static class SettlementLifecycle
{
    /// <summary>A new settlement: pending, its marker written with it, its evaluation sent.</summary>
    public static Decision Submit(DateTimeOffset now, bool voidable = true) =>
        new(new SettlementState { Status = SettlementStatus.Pending, SubmittedAt = now, Voidable = voidable }, true,
            [new Work.TrackPending()], [new Work.SendEvaluation()]);

    public static Decision Decide(SettlementState s, LifecycleEvent e, DateTimeOffset now, LifecyclePolicy policy) => (s.Status, e) switch
    {
        // A retry of a settlement still pending dispatches again: the first dispatch may have been lost with its process
        // (the home side is idempotent). Anything else is answered from the record.
        (SettlementStatus.Pending, LifecycleEvent.SubmittedAgain) => Decision.Unchanged(s, new Work.SendEvaluation()),
        (_, LifecycleEvent.SubmittedAgain) => Decision.Unchanged(s),

        (SettlementStatus.Pending, LifecycleEvent.Evaluated) => Changed(s with { Status = SettlementStatus.Completed, CompletedAt = now, FailureReason = null },
            [new Work.StopTrackingPending(), new Work.OwePosting(Posting.Journal, policy.PostingCheckDue(now))],
            [new Work.Post(Posting.Journal), new Work.DiscardPosting(), new Work.WakeWaiters(), new Work.NotifyHospital()]),

        (SettlementStatus.Pending, LifecycleEvent.RejectedAtHome r) => Changed(
            s with { Status = SettlementStatus.Rejected, CompletedAt = now, RejectionCode = r.Code, RejectionDetail = r.Detail, FailureReason = null },
            Release(s, now, policy, new Work.StopTrackingPending()), Released(s, new Work.WakeWaiters(), new Work.NotifyHospital())),

        (SettlementStatus.Pending, LifecycleEvent.DeliveriesExhausted x) => Fail(s, x.Reason, now, policy),

        (SettlementStatus.Pending, LifecycleEvent.PendingChecked p) =>
            now - s.SubmittedAt > policy.Timeout
                ? Fail(s, $"No reply from the home region within {policy.Timeout.TotalSeconds:0} s (the request may have been dead-lettered).", now, policy)
                : s.Redispatches < policy.MaxRedispatches && now >= policy.RedispatchDue(s, p.Jitter) && !LifecyclePolicy.BehindBacklog(s, p.QueueHeads)
                    ? Changed(s with { Redispatches = s.Redispatches + 1 }, [], [new Work.SendEvaluation()])
                    : Decision.Unchanged(s),
        (_, LifecycleEvent.PendingChecked) => Decision.Unchanged(s, new Work.StopTrackingPending()),

        // The hospital's cancel: only a completed settlement, once (a repeat re-sends it: the first may be lost).
        (SettlementStatus.Completed, LifecycleEvent.CancelRequested c) when s.CancelReason is null =>
            Changed(s with { CancelReason = c.Reason }, [new Work.OweCancel(policy.ResendDue(now, 1), 1)], [new Work.SendCancel()]),
        (SettlementStatus.Completed, LifecycleEvent.CancelRequested) => Decision.Unchanged(s, new Work.SendCancel()),
        (SettlementStatus.Cancelled, LifecycleEvent.CancelRequested) => Decision.Unchanged(s),
        (_, LifecycleEvent.CancelRequested) => new Decision(s, false, [], [], LifecycleRefusal.NotCancellable),

        (SettlementStatus.Completed, LifecycleEvent.CancelledAtHome) => Changed(s with { Status = SettlementStatus.Cancelled, CancelledAt = now },
            Release(s, now, policy, new Work.OwePosting(Posting.Reversal, policy.PostingCheckDue(now))),
            Released(s, new Work.DiscardCancel(), new Work.Post(Posting.Journal), new Work.Post(Posting.Reversal), new Work.DiscardPosting(), new Work.WakeWaiters(), new Work.NotifyHospital())),
        (SettlementStatus.Completed, LifecycleEvent.CancelRefusedAtHome) when s.CancelReason is not null =>
            Changed(s with { CancelReason = null }, [], [new Work.DiscardCancel(), new Work.WakeWaiters()]),
        (_, LifecycleEvent.CancelRefusedAtHome) => Decision.Unchanged(s, new Work.DiscardCancel()),

        (SettlementStatus.Completed, LifecycleEvent.CancelDue c) when s.CancelReason is not null =>
            Decision.Unchanged(s, new Work.OweCancel(policy.ResendDue(now, c.Sends + 1), c.Sends + 1), new Work.SendCancel()),
        (_, LifecycleEvent.CancelDue) => Decision.Unchanged(s, new Work.DiscardCancel()),

        // A void is owed by a failed settlement until confirmed; the confirmation changes nothing else.
        (_, LifecycleEvent.VoidConfirmed) => Decision.Unchanged(s, new Work.DiscardVoid()),
        (SettlementStatus.Failed, LifecycleEvent.VoidDue v) when s.Voidable =>
            Decision.Unchanged(s, new Work.OweVoid(policy.ResendDue(now, v.Sends + 1), v.Sends + 1), new Work.SendVoid()),
        (_, LifecycleEvent.VoidDue) => Decision.Unchanged(s, new Work.DiscardVoid()),

        (SettlementStatus.Completed or SettlementStatus.Cancelled, LifecycleEvent.PostingDue) => Decision.Unchanged(s, new Work.RepairPostings(), new Work.DiscardPosting()),
        (_, LifecycleEvent.PostingDue) => Decision.Unchanged(s, new Work.DiscardPosting()),

        // An owed release: a settlement that left live releases its codes (again: idempotent); a live one keeps them.
        (SettlementStatus.Rejected or SettlementStatus.Failed or SettlementStatus.Cancelled, LifecycleEvent.ReleaseDue) => Decision.Unchanged(s, new Work.ReleaseCodes(), new Work.DiscardRelease()),
        (_, LifecycleEvent.ReleaseDue) => Decision.Unchanged(s, new Work.DiscardRelease()),

        // A late or repeated reply on a settlement that moved on: failed stays failed (its void forestalls or reverses the home
        // region's effect), and nothing is posted for it. Otherwise the reply's effects are done again (idempotent), because
        // a crash may have lost them the first time: the postings the state implies, waking waiters, the callback.
        (SettlementStatus.Failed, _) => Decision.Unchanged(s, new Work.WakeWaiters(), new Work.NotifyHospital()),
        (SettlementStatus.Completed, LifecycleEvent.Evaluated or LifecycleEvent.CancelledAtHome) =>
            Decision.Unchanged(s, new Work.Post(Posting.Journal), new Work.DiscardPosting(), new Work.WakeWaiters(), new Work.NotifyHospital()),
        (SettlementStatus.Cancelled, LifecycleEvent.Evaluated or LifecycleEvent.CancelledAtHome) =>
            Decision.Unchanged(s, new Work.Post(Posting.Journal), new Work.Post(Posting.Reversal), new Work.DiscardPosting(), new Work.WakeWaiters(), new Work.NotifyHospital()),
        (SettlementStatus.Rejected, LifecycleEvent.RejectedAtHome) => Decision.Unchanged(s, new Work.WakeWaiters(), new Work.NotifyHospital()),
        _ => Decision.Unchanged(s),
    };

    /// <summary>pending → failed: final; the void owed with it (when there is something to void), sent at once.</summary>
    private static Decision Fail(SettlementState s, string reason, DateTimeOffset now, LifecyclePolicy policy) =>
        Changed(s with { Status = SettlementStatus.Failed, CompletedAt = now, FailureReason = reason },
            Release(s, now, policy, s.Voidable ? [new Work.StopTrackingPending(), new Work.OweVoid(policy.ResendDue(now, 1), 1)] : [new Work.StopTrackingPending()]),
            Released(s, s.Voidable ? [new Work.SendVoid(), new Work.WakeWaiters(), new Work.NotifyHospital()] : [new Work.WakeWaiters(), new Work.NotifyHospital()]));

    /// <summary>A transition out of live (rejected, failed, cancelled) of a settlement holding codes owes their release with it.</summary>
    private static Work[] Release(SettlementState s, DateTimeOffset now, LifecyclePolicy policy, params Work[] withTransition) =>
        s.HoldsCodes ? [.. withTransition, new Work.OweRelease(policy.PostingCheckDue(now))] : withTransition;

    /// <summary>… and releases them once the state is stored, first (a hospital told "cancelled" may reuse the codes at once).</summary>
    private static Work[] Released(SettlementState s, params Work[] after) =>
        s.HoldsCodes ? [new Work.ReleaseCodes(), new Work.DiscardRelease(), .. after] : after;

    private static Decision Changed(SettlementState next, Work[] withTransition, Work[] after) => new(next, true, withTransition, after);
}
