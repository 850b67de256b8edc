"""Closing and reopening a complaint, and the steps a complaint shows on the board."""

import itertools

from domain.commands import commands_of
from domain.complaint import Complaint
from domain.errors import (
    AlreadyDoneError,
    IncidentClosedError,
    IncidentNotClosedError,
    InvalidInputError,
    StepOutOfOrderError,
)
from domain.steps import ComplaintStep, handling_path
from domain.values import Channel, ComplaintOutcome, IncidentStatus, Level, WithdrawalConfirmation

from .builders import (
    DAY,
    LOBBY_MANAGER,
    OFFICE,
    T0,
    carried_out_complaint,
    founded_complaint,
    minutes,
    refused,
    replayed,
    reported_complaint,
    resolved_complaint,
    stamp,
    unfounded_complaint,
)

# What the delivery of notifications records goes on after a close (the record of what was sent
# must be complete).
NOTIFICATIONS = {
    "record_notification_due",
    "record_notification_delivered",
    "record_notification_failed",
    "record_notification_given_up",
} | {"reveal_personal_data"}  # and so does an auditor's read: closed incidents are what audits read


def test_a_resolved_complaint_closes_with_its_outcome_and_time() -> None:
    complaint = resolved_complaint()
    assert complaint.status is IncidentStatus.CLOSED
    assert complaint.is_closed
    assert not complaint.is_open
    assert complaint.outcome is ComplaintOutcome.RESOLVED
    assert complaint.closed_at == stamp(DAY + minutes(5)).occurred_at
    assert complaint.closing_summary == "已解决"


def test_a_founded_complaint_cannot_close_before_a_solution_was_carried_out_and_followed_up() -> None:
    complaint = founded_complaint()

    def close() -> None:
        complaint.close(stamp(), outcome=ComplaintOutcome.RESOLVED, summary="结")

    error = refused(complaint, StepOutOfOrderError, close)
    assert "carried out and followed up" in error.message
    complaint.propose_solution(stamp(minutes(20)), solution="补偿")
    complaint.record_customer_response(stamp(minutes(21)), accepted=True)
    complaint.carry_out_solution(stamp(minutes(22)))
    refused(complaint, StepOutOfOrderError, close)


def test_an_unfounded_complaint_closes_after_the_customer_confirmed_it() -> None:
    complaint = unfounded_complaint()

    def close() -> None:
        complaint.close(stamp(DAY), outcome=ComplaintOutcome.UNFOUNDED, summary="不属实")

    refused(complaint, StepOutOfOrderError, close)
    complaint.follow_up(stamp(DAY), satisfied=True)
    close()
    assert complaint.outcome is ComplaintOutcome.UNFOUNDED


def test_an_unfounded_outcome_needs_an_unfounded_finding() -> None:
    complaint = carried_out_complaint()
    complaint.follow_up(stamp(DAY), satisfied=True)
    refused(
        complaint,
        StepOutOfOrderError,
        lambda: complaint.close(stamp(DAY), outcome=ComplaintOutcome.UNFOUNDED, summary="x"),
    )


def test_a_resolved_outcome_needs_a_founded_finding() -> None:
    complaint = unfounded_complaint()
    complaint.follow_up(stamp(DAY), satisfied=True)
    refused(
        complaint,
        StepOutOfOrderError,
        lambda: complaint.close(stamp(DAY), outcome=ComplaintOutcome.RESOLVED, summary="x"),
    )


def test_a_withdrawn_complaint_closes_at_any_time_once_the_withdrawal_is_on_record() -> None:
    complaint = reported_complaint()
    complaint.record_withdrawal(
        stamp(minutes(2)), confirmed_by=WithdrawalConfirmation.PHONE, note="客户来电撤回"
    )
    error = refused(
        complaint,
        InvalidInputError,
        lambda: complaint.close(stamp(), outcome=ComplaintOutcome.WITHDRAWN, summary=""),
    )
    assert error.field == "summary"
    complaint.close(stamp(minutes(3)), outcome=ComplaintOutcome.WITHDRAWN, summary="客户撤回")
    assert complaint.outcome is ComplaintOutcome.WITHDRAWN
    assert complaint.next_expected_step is ComplaintStep.DONE


def test_a_founded_complaint_cannot_close_as_withdrawn_without_the_customer_s_withdrawal() -> None:
    complaint = founded_complaint()

    def close() -> None:
        complaint.close(stamp(DAY, actor=OFFICE), outcome=ComplaintOutcome.WITHDRAWN, summary="客户撤回")

    error = refused(complaint, StepOutOfOrderError, close)
    assert "record_withdrawal" in error.message
    complaint.record_withdrawal(stamp(DAY), confirmed_by=WithdrawalConfirmation.IN_PERSON, note="当面签字")
    close()
    assert complaint.outcome is ComplaintOutcome.WITHDRAWN


def test_nor_can_a_complaint_whose_facts_were_not_checked() -> None:
    complaint = reported_complaint()
    refused(
        complaint,
        StepOutOfOrderError,
        lambda: complaint.close(stamp(DAY), outcome=ComplaintOutcome.WITHDRAWN, summary="撤回"),
    )


def test_the_withdrawal_records_how_it_was_confirmed_and_by_whom() -> None:
    complaint = founded_complaint()
    complaint.record_withdrawal(stamp(DAY, actor=LOBBY_MANAGER), confirmed_by=WithdrawalConfirmation.WRITTEN)
    event = complaint.pending_events[-1]
    assert isinstance(event, Complaint.WithdrawalRecorded)
    assert event.confirmed_by is WithdrawalConfirmation.WRITTEN
    assert event.actor == LOBBY_MANAGER
    assert complaint.withdrawal_recorded
    assert replayed(complaint).withdrawal_recorded
    refused(
        complaint,
        AlreadyDoneError,
        lambda: complaint.record_withdrawal(stamp(DAY), confirmed_by=WithdrawalConfirmation.PHONE),
    )


def test_a_reopened_complaint_s_earlier_withdrawal_no_longer_stands() -> None:
    complaint = reported_complaint()
    complaint.record_withdrawal(stamp(DAY), confirmed_by=WithdrawalConfirmation.PHONE)
    complaint.close(stamp(DAY, actor=OFFICE), outcome=ComplaintOutcome.WITHDRAWN, summary="撤回")
    complaint.reopen(stamp(3 * DAY, actor=OFFICE), reason="客户再次投诉")
    assert not complaint.withdrawal_recorded
    refused(
        complaint,
        StepOutOfOrderError,
        lambda: complaint.close(stamp(3 * DAY), outcome=ComplaintOutcome.WITHDRAWN, summary="撤回"),
    )


def test_a_complaint_reopened_on_day_20_of_15_is_not_overdue_its_clock_restarts() -> None:
    complaint = reported_complaint()
    complaint.record_withdrawal(stamp(2 * DAY), confirmed_by=WithdrawalConfirmation.PHONE)
    complaint.close(stamp(2 * DAY, actor=OFFICE), outcome=ComplaintOutcome.WITHDRAWN, summary="撤回")
    complaint.reopen(stamp(20 * DAY, actor=OFFICE), reason="客户称并未撤回")
    assert not complaint.is_overdue(T0 + 20 * DAY + minutes(1))
    assert complaint.clock.started_at == T0 + 20 * DAY
    assert complaint.due_at == T0 + 35 * DAY
    assert complaint.is_overdue(T0 + 35 * DAY + minutes(1))
    assert replayed(complaint).due_at == T0 + 35 * DAY


def test_a_reopening_keeps_the_limit_already_granted_and_ends_a_pause() -> None:
    complaint = reported_complaint()
    complaint.extend_deadline(stamp(DAY), reason="复杂")
    complaint.pause_clock(stamp(2 * DAY), reason="鉴定")
    complaint.record_withdrawal(stamp(3 * DAY), confirmed_by=WithdrawalConfirmation.PHONE)
    complaint.close(stamp(3 * DAY, actor=OFFICE), outcome=ComplaintOutcome.WITHDRAWN, summary="撤回")
    complaint.reopen(stamp(40 * DAY, actor=OFFICE), reason="客户再诉")
    assert not complaint.clock.is_paused
    assert complaint.due_at == T0 + 70 * DAY


def test_a_closed_complaint_refuses_every_command_but_notes_corrections_and_reopening() -> None:
    complaint = resolved_complaint()
    s = stamp(2 * DAY)
    attempts = {
        "acknowledge": lambda: complaint.acknowledge(s),
        "isolate_customer": lambda: complaint.isolate_customer(s),
        "apologise": lambda: complaint.apologise(s),
        "check_facts": lambda: complaint.check_facts(s, founded=True, findings="x"),
        "propose_solution": lambda: complaint.propose_solution(s, solution="x"),
        "record_customer_response": lambda: complaint.record_customer_response(s, accepted=True),
        "carry_out_solution": lambda: complaint.carry_out_solution(s),
        "follow_up": lambda: complaint.follow_up(s, satisfied=True),
        "escalate": lambda: complaint.escalate(s, reason="x"),
        "extend_deadline": lambda: complaint.extend_deadline(s, reason="x"),
        "pause_clock": lambda: complaint.pause_clock(s, reason="x"),
        "resume_clock": lambda: complaint.resume_clock(s),
        "receive_new_facts": lambda: complaint.receive_new_facts(s, facts="x"),
        "attempt_retention": lambda: complaint.attempt_retention(
            s, real_reason="x", offer="y", retained=True
        ),
        "close": lambda: complaint.close(s, outcome=ComplaintOutcome.WITHDRAWN, summary="x"),
        "approve_second_extension": lambda: complaint.approve_second_extension(s, reason="x"),
        "record_withdrawal": lambda: complaint.record_withdrawal(
            s, confirmed_by=WithdrawalConfirmation.PHONE
        ),
        "warn_deadline": lambda: complaint.warn_deadline(s, due_at=s.occurred_at),
        "flag_idle": lambda: complaint.flag_idle(s, idle_since=complaint.last_event_at),
        "hand_over": lambda: complaint.hand_over(s, to="王主任", reason="x"),
        "change_level": lambda: complaint.change_level(s, level=Level.RED, reason="x"),
    }
    assert set(attempts) == set(commands_of(Complaint)) - {
        "add_note",
        "correct_entry",
        "reopen",
        *NOTIFICATIONS,
    }
    for name, attempt in attempts.items():
        error = refused(complaint, IncidentClosedError, attempt)
        assert name in error.message
        assert error.code == "incident_closed"
    complaint.add_note(s, text="客户来电致谢")
    complaint.correct_entry(s, corrects_version=2, reason="录入错误", correction="受理人应为李经理")
    complaint.reopen(s, reason="客户再次投诉")
    assert complaint.is_open


def test_reopening_a_complaint_needs_a_new_follow_up_before_it_closes_again() -> None:
    complaint = resolved_complaint()
    complaint.reopen(stamp(3 * DAY), reason="客户对结果不满")
    assert complaint.status is IncidentStatus.OPEN
    assert complaint.outcome is None
    assert complaint.closed_at is None
    assert complaint.times_reopened == 1
    assert complaint.next_expected_step is ComplaintStep.FOLLOW_UP
    refused(
        complaint,
        StepOutOfOrderError,
        lambda: complaint.close(stamp(3 * DAY), outcome=ComplaintOutcome.RESOLVED, summary="x"),
    )
    complaint.follow_up(stamp(4 * DAY), satisfied=True)
    complaint.close(stamp(4 * DAY), outcome=ComplaintOutcome.RESOLVED, summary="再次办结")
    assert complaint.is_closed


def test_only_a_closed_complaint_can_be_reopened() -> None:
    complaint = reported_complaint()
    refused(complaint, IncidentNotClosedError, lambda: complaint.reopen(stamp(), reason="重新处理"))


def test_reopening_needs_a_reason() -> None:
    complaint = resolved_complaint()
    error = refused(complaint, InvalidInputError, lambda: complaint.reopen(stamp(3 * DAY), reason=""))
    assert error.field == "reason"


def test_a_walk_in_complaint_goes_through_isolation_and_the_whole_solution() -> None:
    assert handling_path(walk_in=True, founded=None) == [
        ComplaintStep.RECORD,
        ComplaintStep.ACKNOWLEDGE,
        ComplaintStep.ISOLATE,
        ComplaintStep.APOLOGISE,
        ComplaintStep.CHECK_FACTS,
        ComplaintStep.PROPOSE_SOLUTION,
        ComplaintStep.ASK_CUSTOMER,
        ComplaintStep.CARRY_OUT,
        ComplaintStep.FOLLOW_UP,
        ComplaintStep.CLOSE,
    ]


def test_a_phone_complaint_found_unfounded_skips_isolation_and_the_solution() -> None:
    assert handling_path(walk_in=False, founded=False) == [
        ComplaintStep.RECORD,
        ComplaintStep.ACKNOWLEDGE,
        ComplaintStep.APOLOGISE,
        ComplaintStep.CHECK_FACTS,
        ComplaintStep.FOLLOW_UP,
        ComplaintStep.CLOSE,
    ]


def test_the_steps_of_a_walk_in_complaint_advance_with_each_command() -> None:
    complaint = reported_complaint(channel=Channel.WALK_IN)
    seen = [(complaint.current_step, complaint.next_expected_step)]
    complaint.acknowledge(stamp(minutes(1)))
    seen.append((complaint.current_step, complaint.next_expected_step))
    complaint.isolate_customer(stamp(minutes(2)))
    seen.append((complaint.current_step, complaint.next_expected_step))
    complaint.apologise(stamp(minutes(3)))
    seen.append((complaint.current_step, complaint.next_expected_step))
    complaint.check_facts(stamp(minutes(4)), founded=True, findings="属实")
    seen.append((complaint.current_step, complaint.next_expected_step))
    complaint.propose_solution(stamp(minutes(5)), solution="补偿")
    seen.append((complaint.current_step, complaint.next_expected_step))
    complaint.record_customer_response(stamp(minutes(6)), accepted=True)
    seen.append((complaint.current_step, complaint.next_expected_step))
    complaint.carry_out_solution(stamp(minutes(7)))
    seen.append((complaint.current_step, complaint.next_expected_step))
    complaint.follow_up(stamp(DAY), satisfied=True)
    seen.append((complaint.current_step, complaint.next_expected_step))
    complaint.close(stamp(DAY), outcome=ComplaintOutcome.RESOLVED, summary="办结")
    seen.append((complaint.current_step, complaint.next_expected_step))
    steps = list(ComplaintStep)
    assert seen == list(itertools.pairwise(steps))


def test_a_phone_complaint_is_not_asked_to_isolate_the_customer() -> None:
    complaint = reported_complaint(channel=Channel.CALL_CENTRE_PHONE)
    complaint.acknowledge(stamp(minutes(1)))
    assert complaint.current_step is ComplaintStep.ACKNOWLEDGE
    assert complaint.next_expected_step is ComplaintStep.APOLOGISE


def test_a_skipped_situational_step_does_not_pull_the_complaint_back() -> None:
    complaint = founded_complaint(channel=Channel.WALK_IN)
    assert not complaint.customer_isolated
    assert complaint.current_step is ComplaintStep.CHECK_FACTS
    assert complaint.next_expected_step is ComplaintStep.PROPOSE_SOLUTION


def test_an_unfounded_complaint_is_next_confirmed_at_follow_up() -> None:
    complaint = unfounded_complaint()
    assert complaint.next_expected_step is ComplaintStep.FOLLOW_UP


def test_every_step_has_both_labels() -> None:
    for step in ComplaintStep:
        assert step.zh
        assert step.en
    assert ComplaintStep.ISOLATE.zh == "迅速隔离客户"
    assert Level.RED.zh == "红色"
