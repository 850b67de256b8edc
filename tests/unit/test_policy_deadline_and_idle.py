"""What the policies record on incidents: deadline warnings and passive-waiting flags, as domain rules."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from eventsourcing.domain import Snapshot

from domain.commands import commands_of
from domain.complaint import Complaint
from domain.complaint_clock import STANDARD_LIMIT_DAYS
from domain.emergency import Emergency
from domain.errors import (
    AlreadyDoneError,
    ClockStateError,
    IncidentClosedError,
    InvalidInputError,
    RuleBrokenError,
)
from domain.incident import Incident
from domain.values import Actor, Role

from .builders import (
    DAY,
    OFFICE,
    T0,
    closed_emergency,
    minutes,
    refused,
    replayed,
    reported_complaint,
    reported_emergency,
    resolved_complaint,
    stamp,
)

POLICY = Actor(id="policy:test", role=Role.SYSTEM, unit="HQ", name="测试策略 Test policy")
DUE = T0 + timedelta(days=STANDARD_LIMIT_DAYS)


# -- deadline warnings ---------------------------------------------------------------------


def test_a_deadline_warning_records_the_due_time_it_warns_of() -> None:
    complaint = reported_complaint()
    complaint.warn_deadline(stamp(12 * DAY, actor=POLICY), due_at=DUE)
    warned = complaint.collect_events()[-1]
    assert isinstance(warned, Complaint.DeadlineWarned)
    assert warned.due_at == DUE
    assert warned.actor == POLICY
    assert complaint.warned_for_due_at == DUE


def test_the_owner_is_warned_once_per_due_time() -> None:
    complaint = reported_complaint()
    complaint.warn_deadline(stamp(12 * DAY, actor=POLICY), due_at=DUE)
    refused(complaint, AlreadyDoneError, lambda: complaint.warn_deadline(stamp(13 * DAY), due_at=DUE))


def test_an_extension_moves_the_due_time_and_allows_a_new_warning() -> None:
    complaint = reported_complaint()
    complaint.warn_deadline(stamp(12 * DAY, actor=POLICY), due_at=DUE)
    complaint.extend_deadline(stamp(13 * DAY, actor=OFFICE), reason="复杂案件")
    assert complaint.due_at == T0 + 30 * DAY
    complaint.warn_deadline(stamp(27 * DAY, actor=POLICY), due_at=T0 + 30 * DAY)
    assert complaint.warned_for_due_at == T0 + 30 * DAY


def test_a_warning_of_a_due_time_that_is_not_the_complaints_is_refused() -> None:
    complaint = reported_complaint()
    complaint.extend_deadline(stamp(DAY, actor=OFFICE), reason="复杂案件")
    refused(complaint, ClockStateError, lambda: complaint.warn_deadline(stamp(12 * DAY), due_at=DUE))


def test_a_paused_clock_has_no_due_time_to_warn_of() -> None:
    complaint = reported_complaint()
    complaint.pause_clock(stamp(DAY), reason="送人民银行鉴定")
    refused(complaint, ClockStateError, lambda: complaint.warn_deadline(stamp(12 * DAY), due_at=DUE))


def test_a_naive_due_time_is_refused() -> None:
    complaint = reported_complaint()
    error = refused(
        complaint,
        InvalidInputError,
        lambda: complaint.warn_deadline(stamp(12 * DAY), due_at=DUE.replace(tzinfo=None)),
    )
    assert error.field == "due_at"


def test_a_closed_complaint_is_not_warned_or_flagged() -> None:
    complaint = resolved_complaint()
    error = refused(
        complaint, IncidentClosedError, lambda: complaint.warn_deadline(stamp(12 * DAY), due_at=DUE)
    )
    assert "warn_deadline" in error.message
    since = complaint.last_event_at
    error = refused(
        complaint, IncidentClosedError, lambda: complaint.flag_idle(stamp(9 * DAY), idle_since=since)
    )
    assert "flag_idle" in error.message


def test_a_closed_emergency_is_not_flagged() -> None:
    emergency = closed_emergency()
    since = emergency.last_event_at
    refused(emergency, IncidentClosedError, lambda: emergency.flag_idle(stamp(3 * DAY), idle_since=since))


def test_the_new_commands_are_listed_for_the_api() -> None:
    assert {"warn_deadline", "flag_idle"} <= set(commands_of(Complaint))
    assert "flag_idle" in commands_of(Emergency)
    assert "warn_deadline" not in commands_of(Emergency)


# -- passive waiting -----------------------------------------------------------------------

KINDS: list[Callable[[], Incident]] = [reported_complaint, reported_emergency]


@pytest.fixture(params=KINDS, ids=["complaint", "emergency"])
def incident(request: pytest.FixtureRequest) -> Incident:
    build: Callable[[], Incident] = request.param
    return build()


def test_an_idle_incident_is_flagged_with_the_time_it_is_idle_since(incident: Incident) -> None:
    incident.add_note(stamp(minutes(10)), text="已受理")
    incident.flag_idle(stamp(DAY + minutes(10), actor=POLICY), idle_since=T0 + minutes(10))
    flagged = incident.collect_events()[-1]
    assert isinstance(flagged, Incident.IdleFlagged)
    assert type(flagged).__qualname__ == f"{type(incident).__name__}.IdleFlagged"
    assert incident.idle_flagged_since == T0 + minutes(10)


def test_the_flag_does_not_count_as_activity(incident: Incident) -> None:
    incident.flag_idle(stamp(DAY, actor=POLICY), idle_since=T0)
    assert incident.last_event_at == T0
    assert incident.last_actor != POLICY
    assert incident.idle_flagged_since == T0


def test_the_same_idle_stretch_is_flagged_once(incident: Incident) -> None:
    incident.flag_idle(stamp(DAY, actor=POLICY), idle_since=T0)
    refused(incident, AlreadyDoneError, lambda: incident.flag_idle(stamp(2 * DAY), idle_since=T0))


def test_an_idle_time_that_is_not_the_last_activity_is_refused(incident: Incident) -> None:
    incident.add_note(stamp(minutes(5)), text="现场已处置")
    refused(incident, RuleBrokenError, lambda: incident.flag_idle(stamp(DAY), idle_since=T0))


def test_anyone_working_the_incident_clears_the_flag(incident: Incident) -> None:
    incident.flag_idle(stamp(DAY, actor=POLICY), idle_since=T0)
    incident.add_note(stamp(DAY + minutes(1)), text="已联系客户")
    assert incident.idle_flagged_since is None
    assert incident.last_event_at == T0 + DAY + minutes(1)
    incident.flag_idle(stamp(3 * DAY, actor=POLICY), idle_since=T0 + DAY + minutes(1))
    assert incident.idle_flagged_since == T0 + DAY + minutes(1)


def test_what_the_system_records_does_not_clear_the_flag_or_count_as_activity() -> None:
    complaint = reported_complaint()
    complaint.flag_idle(stamp(DAY, actor=POLICY), idle_since=T0)
    complaint.warn_deadline(stamp(12 * DAY, actor=POLICY), due_at=DUE)
    complaint.escalate(stamp(16 * DAY, actor=POLICY), reason="超时 overdue")
    assert complaint.idle_flagged_since == T0
    assert complaint.last_event_at == T0


def test_flags_and_warnings_survive_a_replay() -> None:
    complaint = reported_complaint()
    complaint.flag_idle(stamp(DAY, actor=POLICY), idle_since=T0)
    complaint.warn_deadline(stamp(12 * DAY, actor=POLICY), due_at=DUE)
    again = replayed(complaint)
    assert again.idle_flagged_since == T0
    assert again.warned_for_due_at == DUE
    assert again.last_event_at == T0


def test_a_snapshot_taken_before_flags_existed_still_loads() -> None:
    complaint = reported_complaint()
    complaint.collect_events()
    snapshot = Snapshot.take(complaint)
    del snapshot.state["idle_flagged_since"]
    del snapshot.state["warned_for_due_at"]
    loaded = snapshot.mutate(None)
    assert isinstance(loaded, Complaint)
    assert loaded.idle_flagged_since is None
    assert loaded.warned_for_due_at is None
    loaded.warn_deadline(stamp(12 * DAY, actor=POLICY), due_at=DUE)
