"""The read surface complaints and emergencies share: what boards and views read, never asking the kind."""

from collections.abc import Callable
from datetime import timedelta

import pytest

from domain.complaint_terms import Category
from domain.emergency_terms import EmergencyKind
from domain.incident import Incident
from domain.incident_type import IncidentType
from domain.labelled import Bilingual
from domain.playbooks import PLAYBOOKS
from domain.steps import ComplaintStep, EmergencyStep

from .builders import (
    DAY,
    OFFICE,
    T0,
    carried_out_complaint,
    closed_emergency,
    reported_complaint,
    reported_emergency,
    resolved_complaint,
    stamp,
    stood_down_emergency,
)

# Every name of the surface; a board or a view reads only these.
SURFACE = (
    "TYPE",
    "kind_label",
    "current_step",
    "next_expected_step",
    "open_actions",
    "done_actions",
    "owner",
    "due_at",
    "clock_paused",
    "deadline_warned",
)


def read_surface(incident: Incident) -> dict[str, object]:
    return {name: getattr(incident, name) for name in SURFACE} | {"overdue": incident.is_overdue(T0)}


def assert_labelled(item: Bilingual) -> None:
    assert item.code
    assert item.zh
    assert item.en
    assert item.zh != item.en  # a Chinese label, not the English one copied


INCIDENTS = {
    "complaint": reported_complaint,
    "closed complaint": resolved_complaint,
    "emergency": reported_emergency,
    "stood-down emergency": stood_down_emergency,
    "closed emergency": closed_emergency,
}


@pytest.mark.parametrize("build", INCIDENTS.values(), ids=INCIDENTS.keys())
def test_every_incident_answers_the_whole_surface_with_labelled_kind_and_steps(
    build: Callable[[], Incident],
) -> None:
    incident = build()
    read_surface(incident)  # every name answers, whatever the kind
    assert_labelled(incident.kind_label)
    assert_labelled(incident.next_expected_step)
    if incident.current_step is not None:
        assert_labelled(incident.current_step)
    for action in [*incident.open_actions, *incident.done_actions]:
        assert_labelled(action)


def test_the_surface_is_declared_on_incident_so_a_reader_needs_no_kind() -> None:
    assert [n for n in SURFACE if not (hasattr(Incident, n) or n in Incident.__annotations__)] == []
    assert hasattr(Incident, "is_overdue")


def test_the_type_values_are_the_strings_board_rows_and_the_api_carry() -> None:
    assert reported_complaint().TYPE is IncidentType.COMPLAINT
    assert reported_emergency().TYPE is IncidentType.EMERGENCY
    # Board rows and JSON already hold these strings: changing them is a migration, not a rename.
    assert [t.value for t in IncidentType] == ["complaint", "emergency"]
    assert reported_complaint().NOUN == "complaint"
    assert reported_emergency().NOUN == "emergency"


def test_each_type_is_named_in_chinese_and_english_and_by_its_api_collection() -> None:
    for kind in IncidentType:
        assert_labelled(kind)
    # The API's paths (/api/v1/complaints, /api/v1/emergencies) are public: they never change.
    assert [kind.plural for kind in IncidentType] == ["complaints", "emergencies"]


def test_a_complaint_reads_its_category_steps_and_clock_and_has_no_playbook_actions() -> None:
    complaint = carried_out_complaint()
    assert complaint.kind_label is Category.SERVICE_QUALITY
    assert complaint.current_step is ComplaintStep.CARRY_OUT
    assert complaint.next_expected_step is ComplaintStep.FOLLOW_UP
    assert complaint.open_actions == []
    assert complaint.done_actions == []
    assert complaint.owner is not None
    assert complaint.due_at == T0 + timedelta(days=15)
    assert not complaint.clock_paused
    assert not complaint.deadline_warned
    assert complaint.is_overdue(T0 + 16 * DAY)


def test_a_complaint_warned_of_its_due_time_reads_as_warned_until_the_due_time_moves() -> None:
    complaint = reported_complaint()
    due_at = complaint.due_at
    assert due_at is not None
    complaint.warn_deadline(stamp(due_at - DAY, actor=OFFICE), due_at=due_at)
    assert complaint.deadline_warned
    complaint.extend_deadline(stamp(due_at - DAY, actor=OFFICE), reason="案情复杂")
    assert not complaint.deadline_warned


def test_an_emergency_reads_its_kind_and_playbook_and_has_no_step_owner_or_clock() -> None:
    emergency = reported_emergency(EmergencyKind.FIRE)
    assert emergency.kind_label is EmergencyKind.FIRE
    assert emergency.current_step is None
    assert emergency.next_expected_step == emergency.playbook[0]
    assert emergency.owner is None
    assert emergency.due_at is None
    assert not emergency.clock_paused
    assert not emergency.deadline_warned
    assert not emergency.is_overdue(T0 + 365 * DAY)


def test_an_emergency_past_its_playbook_is_next_stood_down_then_closed_then_done() -> None:
    assert stood_down_emergency().next_expected_step is EmergencyStep.CLOSE
    assert closed_emergency().next_expected_step is EmergencyStep.DONE
    emergency = reported_emergency(EmergencyKind.CUSTOMER_SURGE)
    for action in emergency.open_actions:
        emergency.complete_playbook_action(stamp(DAY), action=action.code)
    assert emergency.next_expected_step is EmergencyStep.STAND_DOWN


@pytest.mark.parametrize("step", list(ComplaintStep) + list(EmergencyStep))
def test_every_step_of_either_kind_has_a_chinese_and_an_english_label(step: Bilingual) -> None:
    assert_labelled(step)


@pytest.mark.parametrize("step", list(ComplaintStep))
def test_a_complaint_step_code_is_labelled_by_its_step(step: ComplaintStep) -> None:
    for category in Category:
        assert IncidentType.COMPLAINT.step_named(category.value, step.code) is step


@pytest.mark.parametrize("kind", list(EmergencyKind))
def test_every_action_and_step_code_of_every_playbook_is_labelled_as_that_playbook_says(
    kind: EmergencyKind,
) -> None:
    for action in PLAYBOOKS[kind]:
        assert_labelled(action)
        # The same code (report_superior, call_police) reads differently per playbook.
        assert IncidentType.EMERGENCY.step_named(kind.value, action.code) == action
    for step in EmergencyStep:
        assert IncidentType.EMERGENCY.step_named(kind.value, step.code) is step


def test_no_playbook_action_code_is_one_of_the_emergency_steps() -> None:
    steps = {step.code for step in EmergencyStep}
    assert not [a.code for actions in PLAYBOOKS.values() for a in actions if a.code in steps]


def test_an_action_code_no_longer_in_its_playbook_reads_as_its_code() -> None:
    label = IncidentType.EMERGENCY.step_named(EmergencyKind.FIRE.value, "retired_action")
    assert (label.code, label.zh, label.en) == ("retired_action", "retired_action", "retired_action")


def test_every_kind_code_of_either_type_names_its_kind() -> None:
    assert [IncidentType.COMPLAINT.kind_named(c.value) for c in Category] == list(Category)
    assert [IncidentType.EMERGENCY.kind_named(k.value) for k in EmergencyKind] == list(EmergencyKind)
