using Gateway.Domain;
using Xunit;
using E = Gateway.Domain.LifecycleEvent;
using W = Gateway.Domain.Work;

namespace Gateway.Domain.Tests.Lifecycle;

/// <summary>Every rule of docs/reliability.md as a transition of the lifecycle.</summary>
public sealed class SettlementLifecycleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly LifecyclePolicy Policy = new(TimeSpan.FromSeconds(60), TimeSpan.FromMinutes(10));

    private static SettlementState Pending => SettlementLifecycle.Submit(T0).State;

    private static SettlementState Completed => Decide(Pending, new E.Evaluated(), T0.AddSeconds(5)).State;

    private static SettlementState Failed => Decide(Pending, new E.DeliveriesExhausted("lost"), T0.AddSeconds(5)).State;

    private static Decision Decide(SettlementState s, LifecycleEvent e, DateTimeOffset at) => SettlementLifecycle.Decide(s, e, at, Policy);

    private static readonly LifecycleEvent[] Replies =
        [new E.Evaluated(), new E.RejectedAtHome("x", "y"), new E.CancelledAtHome(), new E.CancelRefusedAtHome("n"), new E.VoidConfirmed()];

    private static readonly LifecycleEvent[] Everything =
    [
        .. Replies, new E.SubmittedAgain(), new E.CancelRequested("r"), new E.DeliveriesExhausted("d"), new E.PendingChecked(0.5),
        new E.VoidDue(1), new E.CancelDue(1), new E.PostingDue(),
    ];

    [Fact]
    public void Leaving_live_with_traceability_codes_owes_their_release_with_the_transition_and_releases_them_first()
    {
        var pending = Pending with { HoldsCodes = true };
        var completed = Decide(pending, new E.Evaluated(), T0.AddSeconds(5)).State;
        Assert.DoesNotContain(Decide(pending, new E.Evaluated(), T0.AddSeconds(5)).WithTransition, w => w is W.OweRelease); // completed still holds them
        foreach (var d in new[]
        {
            Decide(pending, new E.RejectedAtHome("x", "y"), T0.AddSeconds(5)),
            Decide(pending, new E.DeliveriesExhausted("lost"), T0.AddSeconds(5)),
            Decide(completed, new E.CancelledAtHome(), T0.AddSeconds(9)),
        })
        {
            Assert.True(d.Changed);
            Assert.Contains(d.WithTransition, w => w is W.OweRelease);
            Assert.Equal([new W.ReleaseCodes(), new W.DiscardRelease()], d.After.Take(2));
            // The sweep's repair: a settlement that left live releases again; a live one keeps its codes.
            Assert.Equal([new W.ReleaseCodes(), new W.DiscardRelease()], Decide(d.State, new E.ReleaseDue(), T0.AddMinutes(5)).After);
        }
        Assert.Equal([new W.DiscardRelease()], Decide(completed, new E.ReleaseDue(), T0.AddMinutes(5)).After);
        // Without codes nothing is owed.
        Assert.DoesNotContain(Decide(Pending, new E.RejectedAtHome("x", "y"), T0.AddSeconds(5)).WithTransition, w => w is W.OweRelease);
    }

    [Fact]
    public void A_new_settlement_is_pending_tracked_with_it_and_its_evaluation_sent()
    {
        var d = SettlementLifecycle.Submit(T0);
        Assert.Equal(SettlementStatus.Pending, d.State.Status);
        Assert.Equal([new W.TrackPending()], d.WithTransition);
        Assert.Equal([new W.SendEvaluation()], d.After);
    }

    [Fact]
    public void Evaluated_completes_with_the_posting_owed_in_the_transition_then_made_then_the_marker_removed()
    {
        var d = Decide(Pending, new E.Evaluated(), T0.AddSeconds(3));
        Assert.True(d.Changed);
        Assert.Equal(SettlementStatus.Completed, d.State.Status);
        Assert.Equal(T0.AddSeconds(3), d.State.CompletedAt);
        Assert.Contains(new W.StopTrackingPending(), d.WithTransition);
        Assert.Contains(new W.OwePosting(Posting.Journal, T0.AddSeconds(63)), d.WithTransition);
        // The posting comes before its marker is removed: a crash between the two leaves the marker, and the sweep repairs.
        Assert.True(d.After.ToList().IndexOf(new W.Post(Posting.Journal)) < d.After.ToList().IndexOf(new W.DiscardPosting()));
        Assert.Contains(new W.NotifyHospital(), d.After);
    }

    [Fact]
    public void Failed_is_final_no_event_moves_it_and_nothing_is_ever_posted_for_it()
    {
        foreach (var e in Everything)
        {
            var d = Decide(Failed, e, T0.AddMinutes(30));
            Assert.False(d.Changed, $"{e} moved a failed settlement");
            Assert.Equal(SettlementStatus.Failed, d.State.Status);
            Assert.DoesNotContain(d.After.Concat(d.WithTransition), w => w is W.Post or W.OwePosting or W.RepairPostings or W.SendEvaluation or W.SendCancel);
        }
    }

    [Fact]
    public void A_late_completed_reply_never_revives_a_failed_settlement()
    {
        var d = Decide(Failed, new E.Evaluated(), T0.AddMinutes(11));
        Assert.Equal(SettlementStatus.Failed, d.State.Status);
        Assert.Equal("lost", d.State.FailureReason);
    }

    [Fact]
    public void Failing_owes_a_void_in_the_transition_and_sends_it_at_once()
    {
        var d = Decide(Pending, new E.DeliveriesExhausted("dead-lettered"), T0.AddSeconds(9));
        Assert.Equal(SettlementStatus.Failed, d.State.Status);
        Assert.Equal("dead-lettered", d.State.FailureReason);
        Assert.Contains(new W.OweVoid(T0.AddSeconds(69), 1), d.WithTransition);
        Assert.Contains(new W.StopTrackingPending(), d.WithTransition);
        Assert.Equal(new W.SendVoid(), d.After[0]);
    }

    [Fact]
    public void A_void_is_resent_backing_off_until_confirmed_and_the_confirmation_only_removes_the_debt()
    {
        var due = new List<DateTimeOffset>();
        for (var sends = 1; sends <= 8; sends++)
        {
            var d = Decide(Failed, new E.VoidDue(sends), T0);
            Assert.Contains(new W.SendVoid(), d.After);
            due.Add(Assert.Single(d.After.OfType<W.OweVoid>()).Due);
        }
        Assert.Equal([120, 240, 480, 960, 1920, 3840, 3840, 3840], due.Select(d => (d - T0).TotalSeconds));
        var confirmed = Decide(Failed, new E.VoidConfirmed(), T0);
        Assert.False(confirmed.Changed);
        Assert.Equal([new W.DiscardVoid()], confirmed.After);
        // A void marker of a settlement that is not failed (never owed, or a leftover) is dropped, not sent.
        Assert.Equal([new W.DiscardVoid()], Decide(Completed, new E.VoidDue(1), T0).After);
    }

    [Fact]
    public void A_settlement_without_a_valid_request_fails_without_a_void()
    {
        var d = Decide(Pending with { Voidable = false }, new E.DeliveriesExhausted("x"), T0);
        Assert.Equal(SettlementStatus.Failed, d.State.Status);
        Assert.DoesNotContain(d.After.Concat(d.WithTransition), w => w is W.SendVoid or W.OweVoid);
    }

    [Fact]
    public void A_lost_posting_is_repaired_by_the_sweep_and_a_replayed_reply_posts_again_idempotently()
    {
        Assert.Equal([new W.RepairPostings(), new W.DiscardPosting()], Decide(Completed, new E.PostingDue(), T0).After);
        var replay = Decide(Completed, new E.Evaluated(), T0.AddSeconds(30));
        Assert.False(replay.Changed);
        Assert.Equal(Completed.CompletedAt, replay.State.CompletedAt);
        Assert.Contains(new W.Post(Posting.Journal), replay.After);
        Assert.Contains(new W.NotifyHospital(), replay.After);
        Assert.Equal([new W.DiscardPosting()], Decide(Pending, new E.PostingDue(), T0).After);
    }

    [Fact]
    public void Nothing_stays_pending_past_its_timeout()
    {
        var d = Decide(Pending, new E.PendingChecked(0), T0 + Policy.Timeout + TimeSpan.FromSeconds(1));
        Assert.Equal(SettlementStatus.Failed, d.State.Status);
        Assert.Contains("No reply from the home region", d.State.FailureReason);
        Assert.Contains(new W.OweVoid(T0 + Policy.Timeout + TimeSpan.FromSeconds(61), 1), d.WithTransition);
    }

    [Fact]
    public void Redispatches_are_bounded_backed_off_and_spread_by_jitter()
    {
        var s = Pending;
        Assert.False(Decide(s, new E.PendingChecked(0), T0.AddSeconds(59)).Changed);
        var first = Decide(s, new E.PendingChecked(0), T0.AddSeconds(60));
        Assert.Equal(1, first.State.Redispatches);
        Assert.Equal([new W.SendEvaluation()], first.After);
        // The next one waits twice as long; a settlement's jitter moves it later by up to a quarter.
        Assert.False(Decide(first.State, new E.PendingChecked(0), T0.AddSeconds(119)).Changed);
        Assert.True(Decide(first.State, new E.PendingChecked(0), T0.AddSeconds(120)).Changed);
        Assert.False(Decide(first.State, new E.PendingChecked(0.9), T0.AddSeconds(120)).Changed);
        Assert.True(Decide(first.State, new E.PendingChecked(0.9), T0.AddSeconds(147)).Changed);
        var exhausted = s with { Redispatches = Policy.MaxRedispatches };
        Assert.False(Decide(exhausted, new E.PendingChecked(0), T0.AddMinutes(9)).Changed);
        Assert.Empty(Decide(exhausted, new E.PendingChecked(0), T0.AddMinutes(9)).After);
    }

    [Fact]
    public void A_settlement_queued_behind_a_backlog_is_not_dispatched_again_but_one_the_queue_moved_past_is()
    {
        var s = Pending with { HomeRegion = "511300" };
        var due = T0.AddSeconds(60);
        // The oldest message on Nanchong's queue is from before the submission: its evaluation is still waiting there.
        var backlog = new Dictionary<string, DateTimeOffset> { ["511300"] = T0.AddSeconds(-30) };
        Assert.True(LifecyclePolicy.BehindBacklog(s, backlog));
        var held = Decide(s, new E.PendingChecked(0, backlog), due);
        Assert.False(held.Changed);
        Assert.Empty(held.After);
        // The queue has moved past it (its oldest message is newer): the evaluation was consumed, the reply is lost.
        var movedOn = new Dictionary<string, DateTimeOffset> { ["511300"] = T0.AddSeconds(1) };
        Assert.Equal([new W.SendEvaluation()], Decide(s, new E.PendingChecked(0, movedOn), due).After);
        // An empty queue, another region's backlog, or no figure at all: dispatched again as before.
        Assert.Equal([new W.SendEvaluation()], Decide(s, new E.PendingChecked(0, new Dictionary<string, DateTimeOffset>()), due).After);
        Assert.Equal([new W.SendEvaluation()], Decide(s, new E.PendingChecked(0, new Dictionary<string, DateTimeOffset> { ["440300"] = T0.AddSeconds(-30) }), due).After);
        Assert.Equal([new W.SendEvaluation()], Decide(s, new E.PendingChecked(0), due).After);
        Assert.False(LifecyclePolicy.BehindBacklog(s with { HomeRegion = null }, backlog));
        // A backlog never keeps a settlement pending past its timeout.
        Assert.Equal(SettlementStatus.Failed, Decide(s, new E.PendingChecked(0, backlog), T0 + Policy.Timeout + TimeSpan.FromSeconds(1)).State.Status);
    }

    [Fact]
    public void A_pending_marker_of_a_settlement_that_moved_on_is_removed()
    {
        Assert.Equal([new W.StopTrackingPending()], Decide(Completed, new E.PendingChecked(0), T0.AddMinutes(5)).After);
    }

    [Fact]
    public void A_retry_of_a_pending_settlement_sends_it_again_and_of_any_other_sends_nothing()
    {
        Assert.Equal([new W.SendEvaluation()], Decide(Pending, new E.SubmittedAgain(), T0).After);
        Assert.Empty(Decide(Completed, new E.SubmittedAgain(), T0).After);
    }

    [Fact]
    public void Only_a_completed_settlement_can_be_cancelled_and_the_cancel_is_owed_until_answered()
    {
        foreach (var s in new[] { Pending, Failed, Decide(Pending, new E.RejectedAtHome("c", "d"), T0).State })
            Assert.Equal(LifecycleRefusal.NotCancellable, Decide(s, new E.CancelRequested("r"), T0).Refusal);
        var asked = Decide(Completed, new E.CancelRequested("wrong patient"), T0.AddSeconds(10));
        Assert.Equal("wrong patient", asked.State.CancelReason);
        Assert.Equal(SettlementStatus.Completed, asked.State.Status);
        Assert.Contains(new W.OweCancel(T0.AddSeconds(70), 1), asked.WithTransition);
        Assert.Equal([new W.SendCancel()], asked.After);
        // Asked again: sent again, the first reason kept.
        var again = Decide(asked.State, new E.CancelRequested("other"), T0.AddSeconds(11));
        Assert.False(again.Changed);
        Assert.Equal([new W.SendCancel()], again.After);
        // The sweep re-sends an unanswered cancel; once cancelled the marker goes.
        Assert.Contains(new W.SendCancel(), Decide(asked.State, new E.CancelDue(1), T0.AddSeconds(80)).After);
        var cancelled = Decide(asked.State, new E.CancelledAtHome(), T0.AddSeconds(12));
        Assert.Equal(SettlementStatus.Cancelled, cancelled.State.Status);
        Assert.Contains(new W.OwePosting(Posting.Reversal, T0.AddSeconds(72)), cancelled.WithTransition);
        Assert.Contains(new W.DiscardCancel(), cancelled.After);
        Assert.True(cancelled.After.ToList().IndexOf(new W.Post(Posting.Reversal)) < cancelled.After.ToList().IndexOf(new W.DiscardPosting()));
        Assert.Equal([new W.DiscardCancel()], Decide(cancelled.State, new E.CancelDue(2), T0.AddSeconds(90)).After);
        Assert.Empty(Decide(cancelled.State, new E.CancelRequested("again"), T0).After);
    }

    [Fact]
    public void A_cancel_the_home_region_refuses_is_no_longer_owed_and_can_be_asked_again()
    {
        var asked = Decide(Completed, new E.CancelRequested("r"), T0).State;
        var refused = Decide(asked, new E.CancelRefusedAtHome("nothing to reverse"), T0);
        Assert.Null(refused.State.CancelReason);
        Assert.Contains(new W.DiscardCancel(), refused.After);
        Assert.True(Decide(refused.State, new E.CancelRequested("r2"), T0).Changed);
    }

    [Fact]
    public void Rejected_is_final_and_a_replay_only_wakes_and_notifies()
    {
        var rejected = Decide(Pending, new E.RejectedAtHome("unknown-member", "not insured"), T0).State;
        Assert.Equal(("unknown-member", "not insured"), (rejected.RejectionCode, rejected.RejectionDetail));
        foreach (var e in Everything)
        {
            var d = Decide(rejected, e, T0.AddMinutes(20));
            Assert.False(d.Changed, $"{e} moved a rejected settlement");
            Assert.DoesNotContain(d.After.Concat(d.WithTransition), w => w is W.Post or W.OwePosting or W.SendEvaluation);
        }
    }

    [Fact]
    public void Every_state_and_event_has_a_decision_whose_owed_rows_are_only_the_kinds_written_with_a_transition()
    {
        SettlementState[] states = [Pending, Completed, Failed, Decide(Completed, new E.CancelledAtHome(), T0).State, Decide(Pending, new E.RejectedAtHome("a", "b"), T0).State];
        foreach (var s in states)
        foreach (var e in Everything)
        {
            var d = Decide(s, e, T0.AddMinutes(1));
            Assert.All(d.WithTransition, w => Assert.True(w is W.TrackPending or W.StopTrackingPending or W.OweVoid or W.OweCancel or W.OwePosting, $"{w} in a transaction"));
            if (!d.Changed) Assert.Empty(d.WithTransition);
            // Only completed moves to cancelled; only pending moves at all otherwise.
            if (d.Changed && d.State.Status != s.Status)
                Assert.True(s.Status == SettlementStatus.Pending || (s.Status, d.State.Status) == (SettlementStatus.Completed, SettlementStatus.Cancelled), $"{s.Status} → {d.State.Status}");
        }
    }
}
