"""A complaint under its time limit: extensions, pauses, new facts and overdue checks."""

from domain.commands import commands_of
from domain.complaint import Complaint
from domain.errors import (
    AlreadyDoneError,
    ApprovalRequiredError,
    ClockStateError,
    ExtensionRefusedError,
    InvalidInputError,
)
from domain.values import Actor, Role

from .builders import (
    BRANCH_HEAD,
    CALL_CENTRE,
    DAY,
    OFFICE,
    T0,
    minutes,
    refused,
    reported_complaint,
    resolved_complaint,
    stamp,
)


def test_a_complaint_is_due_15_days_after_it_was_received_not_after_it_was_recorded() -> None:
    complaint = reported_complaint(stamp=stamp(recorded_after=2 * DAY))
    assert complaint.due_at == T0 + 15 * DAY


def test_an_open_complaint_becomes_overdue_after_its_due_time() -> None:
    complaint = reported_complaint()
    assert not complaint.is_overdue(T0 + 15 * DAY)
    assert complaint.is_overdue(T0 + 15 * DAY + minutes(1))


def test_a_closed_complaint_is_never_overdue() -> None:
    complaint = resolved_complaint()
    assert not complaint.is_overdue(T0 + 100 * DAY)


def test_the_first_extension_gives_30_days_for_a_complex_case() -> None:
    complaint = reported_complaint()
    complaint.extend_deadline(stamp(10 * DAY), reason="涉及多个部门，案情复杂")
    assert complaint.extensions == 1
    assert complaint.clock.limit_days == 30
    assert complaint.due_at == T0 + 30 * DAY
    [*_, event] = complaint.collect_events()
    assert isinstance(event, Complaint.DeadlineExtended)
    assert event.limit_days == 30
    assert event.approver is None


def test_a_second_extension_adds_30_more_once_a_higher_office_approved_and_the_complainant_told() -> None:
    complaint = reported_complaint()
    complaint.extend_deadline(stamp(10 * DAY), reason="复杂")
    complaint.approve_second_extension(stamp(24 * DAY, actor=OFFICE), reason="需司法鉴定，特别复杂")
    complaint.extend_deadline(stamp(25 * DAY), reason="特别复杂，需司法鉴定", complainant_informed=True)
    assert complaint.clock.limit_days == 60
    assert complaint.due_at == T0 + 60 * DAY
    assert not complaint.is_overdue(T0 + 45 * DAY)
    approved, extended = complaint.collect_events()[-2:]
    assert isinstance(approved, Complaint.SecondExtensionApproved)
    assert approved.actor == OFFICE  # the approver, as their token authenticated them
    assert isinstance(extended, Complaint.DeadlineExtended)
    assert extended.approved_by == OFFICE
    assert extended.approver is None


def test_the_approval_may_come_before_the_first_extension() -> None:
    complaint = reported_complaint()
    complaint.approve_second_extension(stamp(5 * DAY, actor=OFFICE), reason="案情特别复杂")
    complaint.extend_deadline(stamp(10 * DAY), reason="复杂")
    assert complaint.second_extension_approved_by == OFFICE  # the first extension does not use it
    complaint.extend_deadline(stamp(20 * DAY), reason="特别复杂", complainant_informed=True)
    assert complaint.clock.limit_days == 60
    assert complaint.second_extension_approved_by is None


def test_a_second_extension_without_an_approval_is_refused() -> None:
    complaint = reported_complaint()
    complaint.extend_deadline(stamp(10 * DAY), reason="复杂")
    error = refused(
        complaint,
        ApprovalRequiredError,
        lambda: complaint.extend_deadline(stamp(20 * DAY), reason="特别复杂", complainant_informed=True),
    )
    assert "approve_second_extension" in error.message
    assert error.code == "approval_required"


def test_a_second_extension_cannot_name_its_approver_in_free_text() -> None:
    assert "approver" not in commands_of(Complaint)["extend_deadline"].parameters


def test_only_a_person_of_an_office_above_the_outlet_approves_a_second_extension() -> None:
    outlet_office = Actor(id="u-0101-office", role=Role.OFFICE, unit="0101", name="网点内勤")
    system = Actor(id="policy:complaint-clock", role=Role.SYSTEM, unit="")
    for actor in (BRANCH_HEAD, CALL_CENTRE, outlet_office, system):
        complaint = reported_complaint()
        error = refused(
            complaint,
            ApprovalRequiredError,
            lambda complaint=complaint, actor=actor: complaint.approve_second_extension(
                stamp(DAY, actor=actor), reason="特别复杂"
            ),
        )
        assert "higher office" in error.message


def test_a_second_extension_is_approved_once_and_with_a_reason() -> None:
    complaint = reported_complaint()
    error = refused(
        complaint,
        InvalidInputError,
        lambda: complaint.approve_second_extension(stamp(DAY, actor=OFFICE), reason=" "),
    )
    assert error.field == "reason"
    complaint.approve_second_extension(stamp(DAY, actor=OFFICE), reason="特别复杂")
    refused(
        complaint,
        AlreadyDoneError,
        lambda: complaint.approve_second_extension(stamp(2 * DAY, actor=OFFICE), reason="再批"),
    )


def test_one_approval_allows_one_extension_and_none_after_the_second() -> None:
    complaint = reported_complaint()
    complaint.extend_deadline(stamp(10 * DAY), reason="复杂")
    complaint.approve_second_extension(stamp(20 * DAY, actor=OFFICE), reason="特别复杂")
    complaint.extend_deadline(stamp(20 * DAY), reason="特别复杂", complainant_informed=True)
    refused(
        complaint,
        ExtensionRefusedError,
        lambda: complaint.approve_second_extension(stamp(21 * DAY, actor=OFFICE), reason="再批"),
    )


def test_a_second_extension_without_telling_the_complainant_is_refused() -> None:
    complaint = reported_complaint()
    complaint.extend_deadline(stamp(10 * DAY), reason="复杂")
    complaint.approve_second_extension(stamp(20 * DAY, actor=OFFICE), reason="特别复杂")
    error = refused(
        complaint,
        ExtensionRefusedError,
        lambda: complaint.extend_deadline(stamp(20 * DAY), reason="特别复杂"),
    )
    assert "informed" in error.message


def test_there_is_no_third_extension() -> None:
    complaint = reported_complaint()
    complaint.extend_deadline(stamp(10 * DAY), reason="复杂")
    complaint.approve_second_extension(stamp(20 * DAY, actor=OFFICE), reason="特别复杂")
    complaint.extend_deadline(stamp(20 * DAY), reason="特别复杂", complainant_informed=True)
    error = refused(
        complaint,
        ExtensionRefusedError,
        lambda: complaint.extend_deadline(stamp(50 * DAY), reason="再延", complainant_informed=True),
    )
    assert error.code == "extension_refused"


def test_an_extension_needs_a_reason() -> None:
    complaint = reported_complaint()
    error = refused(complaint, InvalidInputError, lambda: complaint.extend_deadline(stamp(), reason=""))
    assert error.field == "reason"


def test_time_paused_for_an_outside_appraisal_does_not_count() -> None:
    complaint = reported_complaint()
    complaint.pause_clock(stamp(5 * DAY), reason="送公安机关鉴定钞票真伪")
    assert complaint.due_at is None
    assert not complaint.is_overdue(T0 + 40 * DAY)
    complaint.resume_clock(stamp(12 * DAY), note="鉴定结果已返回")
    assert complaint.due_at == T0 + 22 * DAY
    assert not complaint.is_overdue(T0 + 22 * DAY)
    assert complaint.is_overdue(T0 + 22 * DAY + minutes(1))


def test_a_paused_clock_cannot_be_paused_again() -> None:
    complaint = reported_complaint()
    complaint.pause_clock(stamp(DAY), reason="鉴定")
    refused(complaint, ClockStateError, lambda: complaint.pause_clock(stamp(2 * DAY), reason="x"))


def test_a_pause_inside_a_running_pause_adds_nothing_to_the_deadline() -> None:
    complaint = reported_complaint()
    complaint.pause_clock(stamp(5 * DAY), reason="鉴定")
    refused(complaint, ClockStateError, lambda: complaint.pause_clock(stamp(6 * DAY), reason="再次鉴定"))
    complaint.resume_clock(stamp(10 * DAY))
    assert complaint.due_at == T0 + 20 * DAY


def test_a_pause_cannot_begin_before_the_complaint_was_received() -> None:
    complaint = reported_complaint()
    # Within the clocks' disagreement the stamp itself is accepted: the pause rule still refuses it.
    error = refused(
        complaint, InvalidInputError, lambda: complaint.pause_clock(stamp(-minutes(3)), reason="x")
    )
    assert error.field == "occurred_at"
    assert "received" in error.message
    assert complaint.due_at == T0 + 15 * DAY


def test_a_pause_cannot_be_back_dated_before_the_last_pause_ended() -> None:
    complaint = reported_complaint()
    complaint.pause_clock(stamp(5 * DAY), reason="鉴定")
    complaint.resume_clock(stamp(10 * DAY))
    for at in (6 * DAY, 10 * DAY - minutes(1)):
        error = refused(
            complaint, InvalidInputError, lambda at=at: complaint.pause_clock(stamp(at), reason="补记鉴定")
        )
        assert error.field == "occurred_at"
        assert "last pause ended" in error.message
    complaint.pause_clock(stamp(10 * DAY), reason="第二次鉴定")  # back to back is no overlap
    complaint.resume_clock(stamp(12 * DAY))
    assert complaint.due_at == T0 + 22 * DAY


def test_a_pause_cannot_be_back_dated_before_the_clock_last_restarted() -> None:
    complaint = reported_complaint()
    complaint.receive_new_facts(stamp(8 * DAY), facts="客户补充材料")
    error = refused(complaint, InvalidInputError, lambda: complaint.pause_clock(stamp(7 * DAY), reason="x"))
    assert "restarted" in error.message


def test_a_running_clock_cannot_be_resumed() -> None:
    complaint = reported_complaint()
    error = refused(complaint, ClockStateError, lambda: complaint.resume_clock(stamp(DAY)))
    assert error.code == "clock_state"


def test_a_clock_cannot_resume_before_its_pause_began() -> None:
    complaint = reported_complaint()
    complaint.pause_clock(stamp(5 * DAY), reason="鉴定")
    error = refused(complaint, InvalidInputError, lambda: complaint.resume_clock(stamp(4 * DAY)))
    assert error.field == "occurred_at"


def test_a_pause_needs_a_reason() -> None:
    complaint = reported_complaint()
    error = refused(complaint, InvalidInputError, lambda: complaint.pause_clock(stamp(), reason=""))
    assert error.field == "reason"


def test_new_facts_restart_the_clock_from_their_receipt() -> None:
    complaint = reported_complaint()
    complaint.extend_deadline(stamp(5 * DAY), reason="复杂")
    complaint.pause_clock(stamp(8 * DAY), reason="鉴定")
    complaint.receive_new_facts(stamp(14 * DAY), facts="客户补充提交了取款凭条")
    assert complaint.clock.started_at == T0 + 14 * DAY
    assert not complaint.clock.is_paused
    assert complaint.due_at == T0 + 44 * DAY
    assert complaint.new_facts_received == 1


def test_new_facts_need_text_and_cannot_predate_the_complaint() -> None:
    complaint = reported_complaint(stamp=stamp(DAY))
    error = refused(complaint, InvalidInputError, lambda: complaint.receive_new_facts(stamp(DAY), facts=""))
    assert error.field == "facts"
    error = refused(complaint, InvalidInputError, lambda: complaint.receive_new_facts(stamp(), facts="x"))
    assert error.field == "occurred_at"
