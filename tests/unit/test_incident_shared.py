"""What complaints and emergencies share: stamps, notes, corrections and activity marks."""

from collections.abc import Callable
from datetime import timedelta

import pytest

from domain.complaint import Complaint
from domain.emergency import Emergency
from domain.errors import CorrectionTargetError, InvalidInputError
from domain.incident import Incident
from domain.values import Actor, Role, Stamp

from .builders import (
    CALL_CENTRE,
    LOBBY_MANAGER,
    T0,
    minutes,
    refused,
    reported_complaint,
    reported_emergency,
    stamp,
)

KINDS: list[Callable[[], Incident]] = [reported_complaint, reported_emergency]


@pytest.fixture(params=KINDS, ids=["complaint", "emergency"])
def incident(request: pytest.FixtureRequest) -> Incident:
    """A freshly reported incident of each kind."""
    build: Callable[[], Incident] = request.param
    return build()


def test_a_note_is_recorded_with_its_author_time_and_version(incident: Incident) -> None:
    incident.add_note(stamp(minutes(3), actor=LOBBY_MANAGER), text="客户情绪已平复")
    [note] = incident.collect_events()[1:]
    assert note.text == "客户情绪已平复"  # type: ignore[attr-defined]
    assert note.actor == LOBBY_MANAGER  # type: ignore[attr-defined]
    assert note.actor.role is Role.BRANCH  # type: ignore[attr-defined]
    assert note.occurred_at == T0 + minutes(3)  # type: ignore[attr-defined]
    assert note.originator_version == incident.version == 2
    assert incident.notes_count == 1


def test_an_empty_note_is_refused(incident: Incident) -> None:
    error = refused(incident, InvalidInputError, lambda: incident.add_note(stamp(), text="  "))
    assert error.field == "text"


def test_a_correction_points_at_an_earlier_event_and_edits_nothing(incident: Incident) -> None:
    incident.add_note(stamp(minutes(1)), text="客户姓王")
    incident.correct_entry(stamp(minutes(2)), corrects_version=2, reason="记录错误", correction="客户姓汪")
    _, note, correction = incident.collect_events()
    assert note.text == "客户姓王"  # type: ignore[attr-defined]
    assert correction.corrects_version == 2  # type: ignore[attr-defined]
    assert correction.originator_version == 3
    assert correction.correction == "客户姓汪"  # type: ignore[attr-defined]
    assert incident.corrections_count == 1


@pytest.mark.parametrize("target", [0, -1, 2, 99])
def test_a_correction_must_point_at_an_existing_event(incident: Incident, target: int) -> None:
    error = refused(
        incident,
        CorrectionTargetError,
        lambda: incident.correct_entry(stamp(), corrects_version=target, reason="r", correction="c"),
    )
    assert error.field == "corrects_version"
    assert error.code == "correction_target"


def test_a_correction_needs_a_reason_and_the_correction(incident: Incident) -> None:
    error = refused(
        incident,
        InvalidInputError,
        lambda: incident.correct_entry(stamp(), corrects_version=1, reason="", correction="c"),
    )
    assert error.field == "reason"
    error = refused(
        incident,
        InvalidInputError,
        lambda: incident.correct_entry(stamp(), corrects_version=1, reason="r", correction=""),
    )
    assert error.field == "correction"


def test_an_event_reported_late_keeps_both_times(incident: Incident) -> None:
    incident.apologise(stamp(minutes(5), recorded_after=timedelta(hours=3)))
    [*_, event] = incident.collect_events()
    assert isinstance(event, Incident.Event)
    assert event.occurred_at == T0 + minutes(5)
    assert event.timestamp == T0 + minutes(5) + timedelta(hours=3)
    assert incident.modified_on == event.timestamp


def test_the_last_activity_is_the_latest_occurrence_and_the_last_actor(incident: Incident) -> None:
    incident.add_note(stamp(minutes(30), actor=LOBBY_MANAGER), text="后续")
    incident.add_note(stamp(minutes(10), actor=CALL_CENTRE), text="补录较早的情况")
    assert incident.last_event_at == T0 + minutes(30)
    assert incident.last_actor == CALL_CENTRE


def test_an_occurred_at_in_the_future_is_refused(incident: Incident) -> None:
    late = Stamp(actor=LOBBY_MANAGER, occurred_at=T0 + minutes(5) + timedelta(seconds=1), recorded_at=T0)
    error = refused(incident, InvalidInputError, lambda: incident.add_note(late, text="x"))
    assert error.field == "occurred_at"
    assert "future" in error.message


def test_a_client_clock_up_to_five_minutes_ahead_is_tolerated(incident: Incident) -> None:
    ahead = Stamp(actor=LOBBY_MANAGER, occurred_at=T0 + minutes(5), recorded_at=T0)
    incident.add_note(ahead, text="客户端时钟略快")


@pytest.mark.parametrize("field", ["occurred_at", "recorded_at"])
def test_naive_times_are_refused(incident: Incident, field: str) -> None:
    times = {"occurred_at": T0, "recorded_at": T0} | {field: T0.replace(tzinfo=None)}
    naive = Stamp(actor=LOBBY_MANAGER, **times)
    error = refused(incident, InvalidInputError, lambda: incident.add_note(naive, text="x"))
    assert error.field == field


def test_an_actor_without_an_id_is_refused(incident: Incident) -> None:
    nobody = Stamp(actor=Actor(id="", role=Role.BRANCH, unit="0101"), occurred_at=T0, recorded_at=T0)
    error = refused(incident, InvalidInputError, lambda: incident.add_note(nobody, text="x"))
    assert error.field == "actor"


def test_a_report_with_a_future_occurred_at_is_refused() -> None:
    future = Stamp(actor=LOBBY_MANAGER, occurred_at=T0 + minutes(6), recorded_at=T0)
    with pytest.raises(InvalidInputError):
        reported_complaint(stamp=future)
    with pytest.raises(InvalidInputError):
        reported_emergency(stamp=future)


def test_texts_over_2000_characters_are_refused(incident: Incident) -> None:
    error = refused(incident, InvalidInputError, lambda: incident.add_note(stamp(), text="字" * 2001))
    assert error.field == "text"


def test_each_kind_declares_its_own_shared_events() -> None:
    for name in ("NoteAdded", "EntryCorrected", "CustomerIsolated", "Apologised", "Closed"):
        complaint_event = getattr(Complaint, name)
        emergency_event = getattr(Emergency, name)
        assert complaint_event is not emergency_event
        assert issubclass(complaint_event, getattr(Incident, name))
        assert issubclass(emergency_event, getattr(Incident, name))
        assert complaint_event.__qualname__ == f"Complaint.{name}"
        assert emergency_event.__qualname__ == f"Emergency.{name}"
