"""A complaint's handling steps: what each command records and what it refuses."""

from datetime import timedelta
from uuid import uuid4

import pytest

from domain.commands import commands_of
from domain.complaint import Complaint
from domain.errors import (
    AlreadyDoneError,
    AlreadyOwnedError,
    InvalidInputError,
    LevelChangeError,
    StepOutOfOrderError,
)
from domain.steps import ComplaintStep
from domain.values import Category, Channel, CustomerContact, IncidentStatus, Level, Subcategory

from .builders import (
    CALL_CENTRE,
    CONTACT,
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
    stamp,
    unfounded_complaint,
)


def test_a_reported_complaint_is_open_blue_and_records_who_reported_it() -> None:
    complaint = reported_complaint(stamp=stamp(recorded_after=timedelta(hours=2)))
    assert complaint.status is IncidentStatus.OPEN
    assert complaint.is_open
    assert complaint.level is Level.BLUE
    assert complaint.channel is Channel.WALK_IN
    assert complaint.received_at == T0
    assert complaint.created_on == T0 + timedelta(hours=2)
    assert complaint.reported_by.name == "王主任"
    assert complaint.contact == CONTACT
    assert complaint.owner is None
    assert complaint.exercise is False
    [event] = complaint.collect_events()
    assert isinstance(event, Complaint.Reported)
    assert event.occurred_at == T0
    assert event.timestamp == T0 + timedelta(hours=2)


def test_a_report_keeps_the_given_id_and_strips_blank_edges() -> None:
    incident_id = uuid4()
    complaint = reported_complaint(incident_id=incident_id, summary="  服务态度差  ")
    assert complaint.id == incident_id
    assert complaint.summary == "服务态度差"


def test_a_complaint_without_a_summary_is_refused() -> None:
    with pytest.raises(InvalidInputError) as raised:
        reported_complaint(summary="   ")
    assert raised.value.field == "summary"
    assert raised.value.code == "invalid_input"


def test_a_summary_over_2000_characters_is_refused() -> None:
    reported_complaint(summary="长" * 2000)
    with pytest.raises(InvalidInputError) as raised:
        reported_complaint(summary="长" * 2001)
    assert raised.value.field == "summary"


def test_a_complaint_without_an_outlet_is_refused() -> None:
    with pytest.raises(InvalidInputError) as raised:
        reported_complaint(outlet="")
    assert raised.value.field == "outlet"


def test_a_subcategory_must_belong_to_the_category() -> None:
    complaint = reported_complaint(subcategory=Subcategory.ATTITUDE)
    assert complaint.subcategory is Subcategory.ATTITUDE
    with pytest.raises(InvalidInputError) as raised:
        reported_complaint(category=Category.SERVICE_QUALITY, subcategory=Subcategory.MISTAKE)
    assert raised.value.field == "subcategory"


def test_a_complaint_reported_as_a_higher_level_or_a_drill_says_so() -> None:
    complaint = reported_complaint(level=Level.YELLOW, exercise=True, contact=None)
    assert complaint.level is Level.YELLOW
    assert complaint.exercise is True
    assert complaint.contact is None


def test_acknowledging_makes_the_actor_the_owner() -> None:
    complaint = reported_complaint()
    complaint.acknowledge(stamp(minutes(1), actor=LOBBY_MANAGER))
    assert complaint.owner == LOBBY_MANAGER
    assert complaint.acknowledged_at == T0 + minutes(1)


def test_an_owned_complaint_cannot_be_acknowledged_again_and_the_error_names_the_owner() -> None:
    complaint = reported_complaint()
    complaint.acknowledge(stamp(minutes(1), actor=LOBBY_MANAGER))
    error = refused(complaint, AlreadyOwnedError, lambda: complaint.acknowledge(stamp(minutes(2))))
    assert "李经理" in error.message
    assert error.code == "already_owned"
    assert isinstance(error, AlreadyDoneError)


def test_isolating_and_apologising_are_recorded() -> None:
    complaint = reported_complaint()
    complaint.isolate_customer(stamp(minutes(1)), place="理财室")
    complaint.apologise(stamp(minutes(2)), note="充分道歉")
    assert complaint.customer_isolated
    assert complaint.isolation_place == "理财室"
    assert complaint.apologised


def test_checking_the_facts_records_whether_it_is_founded() -> None:
    complaint = reported_complaint()
    complaint.check_facts(stamp(minutes(5)), founded=True, findings="出钞记录异常")
    assert complaint.founded is True
    assert complaint.findings == "出钞记录异常"


def test_facts_need_findings() -> None:
    complaint = reported_complaint()
    error = refused(
        complaint,
        InvalidInputError,
        lambda: complaint.check_facts(stamp(), founded=True, findings=" "),
    )
    assert error.field == "findings"


def test_facts_cannot_be_checked_again_after_the_solution_was_carried_out() -> None:
    complaint = carried_out_complaint()
    refused(
        complaint,
        StepOutOfOrderError,
        lambda: complaint.check_facts(stamp(DAY), founded=False, findings="重新核实"),
    )


def test_an_unfounded_recheck_drops_a_pending_proposal() -> None:
    complaint = founded_complaint()
    complaint.propose_solution(stamp(minutes(20)), solution="补偿")
    complaint.check_facts(stamp(minutes(30)), founded=False, findings="复核不属实")
    assert complaint.solution is None
    assert complaint.solution_accepted is None


def test_a_founded_complaint_gets_a_solution_promised_by_a_time() -> None:
    complaint = founded_complaint()
    complaint.propose_solution(stamp(minutes(20)), solution="三日内退还", promised_by=T0 + 3 * DAY)
    assert complaint.solution == "三日内退还"
    assert complaint.promised_by == T0 + 3 * DAY
    assert complaint.solution_accepted is None


def test_a_solution_needs_the_facts_checked_first() -> None:
    complaint = reported_complaint()
    refused(
        complaint,
        StepOutOfOrderError,
        lambda: complaint.propose_solution(stamp(), solution="补偿"),
    )


def test_an_unfounded_complaint_gets_no_solution() -> None:
    complaint = unfounded_complaint()
    refused(
        complaint,
        StepOutOfOrderError,
        lambda: complaint.propose_solution(stamp(), solution="补偿"),
    )


def test_no_solution_is_proposed_once_one_was_carried_out() -> None:
    complaint = carried_out_complaint()
    refused(
        complaint,
        StepOutOfOrderError,
        lambda: complaint.propose_solution(stamp(DAY), solution="另一方案"),
    )


def test_a_solution_needs_text_and_an_aware_promise() -> None:
    complaint = founded_complaint()
    error = refused(complaint, InvalidInputError, lambda: complaint.propose_solution(stamp(), solution=""))
    assert error.field == "solution"
    naive = T0.replace(tzinfo=None)
    error = refused(
        complaint,
        InvalidInputError,
        lambda: complaint.propose_solution(stamp(), solution="补偿", promised_by=naive),
    )
    assert error.field == "promised_by"


def test_the_customer_accepts_the_proposed_solution() -> None:
    complaint = founded_complaint()
    complaint.propose_solution(stamp(minutes(20)), solution="补偿")
    complaint.record_customer_response(stamp(minutes(21)), accepted=True, comment="同意")
    assert complaint.solution_accepted is True


def test_a_rejected_solution_asks_for_a_new_proposal() -> None:
    complaint = founded_complaint()
    complaint.propose_solution(stamp(minutes(20)), solution="口头致歉")
    complaint.record_customer_response(stamp(minutes(21)), accepted=False)
    assert complaint.next_expected_step is ComplaintStep.PROPOSE_SOLUTION
    complaint.propose_solution(stamp(minutes(30)), solution="书面致歉并补偿")
    assert complaint.solution_accepted is None


def test_a_response_needs_a_proposal_awaiting_it() -> None:
    complaint = founded_complaint()
    refused(
        complaint,
        StepOutOfOrderError,
        lambda: complaint.record_customer_response(stamp(), accepted=True),
    )
    complaint.propose_solution(stamp(minutes(20)), solution="补偿")
    complaint.record_customer_response(stamp(minutes(21)), accepted=True)
    refused(
        complaint,
        StepOutOfOrderError,
        lambda: complaint.record_customer_response(stamp(), accepted=False),
    )


def test_an_accepted_solution_is_carried_out_once() -> None:
    complaint = carried_out_complaint()
    assert complaint.solution_carried_out
    refused(complaint, AlreadyDoneError, lambda: complaint.carry_out_solution(stamp(DAY)))


def test_only_an_accepted_solution_is_carried_out() -> None:
    complaint = founded_complaint()
    complaint.propose_solution(stamp(minutes(20)), solution="补偿")
    refused(complaint, StepOutOfOrderError, lambda: complaint.carry_out_solution(stamp()))
    complaint.record_customer_response(stamp(minutes(21)), accepted=False)
    refused(complaint, StepOutOfOrderError, lambda: complaint.carry_out_solution(stamp()))


def test_follow_up_records_the_customers_satisfaction() -> None:
    complaint = carried_out_complaint()
    complaint.follow_up(stamp(DAY), satisfied=False, comment="仍不满意")
    assert complaint.followed_up
    assert complaint.satisfied is False
    complaint.follow_up(stamp(2 * DAY), satisfied=True)
    assert complaint.satisfied is True


def test_an_unfounded_complaint_is_confirmed_with_the_customer_at_follow_up() -> None:
    complaint = unfounded_complaint()
    complaint.follow_up(stamp(DAY), satisfied=True, comment="客户确认")
    assert complaint.followed_up


def test_follow_up_waits_for_the_solution_or_an_unfounded_finding() -> None:
    complaint = founded_complaint()
    refused(complaint, StepOutOfOrderError, lambda: complaint.follow_up(stamp(), satisfied=True))
    untouched = reported_complaint()
    refused(untouched, StepOutOfOrderError, lambda: untouched.follow_up(stamp(), satisfied=True))


def test_escalation_without_a_level_keeps_the_level() -> None:
    complaint = reported_complaint(level=Level.YELLOW)
    complaint.escalate(stamp(minutes(5), actor=CALL_CENTRE), reason="客户威胁找媒体")
    assert complaint.level is Level.YELLOW
    assert complaint.times_escalated == 1


def test_escalation_can_raise_the_level_or_keep_it() -> None:
    complaint = reported_complaint()
    complaint.escalate(stamp(minutes(5), actor=CALL_CENTRE), reason="客户威胁找媒体")
    complaint.escalate(stamp(minutes(6), actor=OFFICE), reason="媒体已介入", level=Level.ORANGE)
    complaint.escalate(stamp(minutes(7), actor=OFFICE), reason="维持", level=Level.ORANGE)
    assert complaint.level is Level.ORANGE
    assert complaint.times_escalated == 3


def test_escalation_never_lowers_the_level() -> None:
    complaint = reported_complaint(level=Level.ORANGE)
    refused(
        complaint,
        LevelChangeError,
        lambda: complaint.escalate(stamp(), reason="降级", level=Level.BLUE),
    )


def test_escalation_needs_a_reason() -> None:
    complaint = reported_complaint()
    error = refused(complaint, InvalidInputError, lambda: complaint.escalate(stamp(), reason=""))
    assert error.field == "reason"


def test_the_office_lowers_a_complaint_s_level_with_a_reason_keeping_the_old_one() -> None:
    complaint = reported_complaint(level=Level.ORANGE)
    complaint.change_level(
        stamp(minutes(5), actor=OFFICE), level=Level.BLUE, reason="经核实为个案 an isolated case"
    )
    lowered = complaint.pending_events[-1]
    assert isinstance(lowered, Complaint.LevelChanged)
    assert (lowered.previous, lowered.level, lowered.actor) == (Level.ORANGE, Level.BLUE, OFFICE)
    assert (complaint.level, complaint.level_reason) == (Level.BLUE, "经核实为个案 an isolated case")
    assert complaint.times_escalated == 0  # a grading, not an escalation
    assert replayed(complaint).level is Level.BLUE


def test_a_level_change_must_change_the_level_and_give_a_reason() -> None:
    complaint = reported_complaint(level=Level.YELLOW)
    s = stamp(actor=OFFICE)
    refused(complaint, LevelChangeError, lambda: complaint.change_level(s, level=Level.YELLOW, reason="x"))
    error = refused(
        complaint, InvalidInputError, lambda: complaint.change_level(s, level=Level.BLUE, reason="")
    )
    assert error.field == "reason"


def test_the_colour_of_an_escalation_and_a_level_change_are_the_office_s_decision() -> None:
    escalate, change_level = commands_of(Complaint)["escalate"], commands_of(Complaint)["change_level"]
    assert not escalate.is_office_decision({"reason": "督办"})
    assert not escalate.is_office_decision({"reason": "督办", "level": None})
    assert escalate.is_office_decision({"reason": "督办", "level": Level.BLUE})
    assert escalate.office_fields_given({"reason": "督办", "level": Level.RED}) == ["level"]
    assert change_level.is_office_decision({"level": Level.BLUE, "reason": "x"})


def test_retention_attempts_record_the_outcome_and_a_second_contact() -> None:
    complaint = reported_complaint()
    complaint.attempt_retention(
        stamp(minutes(30)),
        real_reason="对处理速度不满",
        offer="提供专属客户经理",
        retained=False,
        second_contact=CustomerContact(phone="13800138000"),
    )
    assert complaint.retention_attempts == 1
    assert complaint.retained is False
    [*_, event] = complaint.collect_events()
    assert isinstance(event, Complaint.RetentionAttempted)
    assert event.second_contact == CustomerContact(phone="13800138000")
    assert "13800138000" not in repr(event.second_contact)  # personal data


def test_a_customer_not_retained_must_leave_a_contact_for_a_second_attempt() -> None:
    complaint = reported_complaint()
    for contact in (None, CustomerContact()):

        def attempt(contact: CustomerContact | None = contact) -> None:
            complaint.attempt_retention(
                stamp(minutes(30)), real_reason="利率", offer="优惠", retained=False, second_contact=contact
            )

        error = refused(complaint, InvalidInputError, attempt)
        assert error.field == "second_contact"
        assert "二次挽留" in error.message


def test_a_retained_customer_needs_no_second_contact() -> None:
    complaint = reported_complaint()
    complaint.attempt_retention(stamp(minutes(30)), real_reason="利率", offer="优惠", retained=True)
    [*_, event] = complaint.collect_events()
    assert isinstance(event, Complaint.RetentionAttempted)
    assert event.second_contact is None


def test_a_retention_attempt_needs_the_real_reason_and_an_offer() -> None:
    complaint = reported_complaint()
    error = refused(
        complaint,
        InvalidInputError,
        lambda: complaint.attempt_retention(stamp(), real_reason="", offer="x", retained=True),
    )
    assert error.field == "real_reason"
    error = refused(
        complaint,
        InvalidInputError,
        lambda: complaint.attempt_retention(stamp(), real_reason="x", offer=" ", retained=True),
    )
    assert error.field == "offer"
