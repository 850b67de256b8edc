"""Commands declared once on the aggregates: the list, the fields, the access flags, the values."""

import inspect

import pytest

from domain.commands import Command, command, commands_of
from domain.complaint import Complaint
from domain.emergency import Emergency
from domain.errors import InvalidInputError
from domain.incident import Incident
from domain.level import Level
from domain.outlet_queue import OutletQueue

from .builders import reported_complaint, stamp

KINDS = (Complaint, Emergency, OutletQueue)


def stamped_methods(kind: type) -> set[str]:
    """Every public method whose second parameter is the stamp: the ones that record an event."""
    found = set()
    for name in dir(kind):
        attribute = inspect.getattr_static(kind, name)
        function = getattr(attribute, "method", attribute)
        if name.startswith("_") or not inspect.isfunction(function):
            continue
        if list(inspect.signature(function).parameters)[:2] == ["self", "stamp"]:
            found.add(name)
    return found


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.__name__)
def test_every_method_that_records_an_event_is_a_declared_command(kind: type) -> None:
    assert set(commands_of(kind)) == stamped_methods(kind)


# Written out, not derived: a command that appears, disappears or moves between kinds shows up here.
SHARED = (
    {
        "add_note",
        "apologise",
        "correct_entry",
        "flag_idle",
        "hand_over",
        "isolate_customer",
        "reopen",
    }
    | {
        "record_notification_due",
        "record_notification_delivered",
        "record_notification_failed",
        "record_notification_given_up",
    }
    | {"reveal_personal_data"}
)
COMMANDS: dict[type, set[str]] = {
    Incident: SHARED,
    Complaint: SHARED
    | {
        "acknowledge",
        "approve_second_extension",
        "change_level",
        "attempt_retention",
        "carry_out_solution",
        "check_facts",
        "close",
        "escalate",
        "extend_deadline",
        "follow_up",
        "pause_clock",
        "propose_solution",
        "receive_new_facts",
        "record_customer_response",
        "record_withdrawal",
        "resume_clock",
        "warn_deadline",
    },
    Emergency: SHARED
    | {
        "approve_announcement",
        "change_level",
        "close",
        "complete_playbook_action",
        "follow_up",
        "make_announcement",
        "notify_authority",
        "propose_solution",
        "raise_level",
        "stand_down",
        "take_charge",
    },
    OutletQueue: {"end_surge", "open_surge", "post_reading"},
}


@pytest.mark.parametrize("kind", [Incident, *KINDS], ids=lambda k: k.__name__)
def test_each_kind_has_exactly_its_commands(kind: type) -> None:
    assert set(commands_of(kind)) == COMMANDS[kind]


def test_only_the_office_decides_closing_reopening_levels_and_approvals() -> None:
    decisions = {
        (kind.__name__, name)
        for kind in (Complaint, Emergency)
        for name, declared in commands_of(kind).items()
        if declared.office_decision
    }
    assert decisions == {
        ("Complaint", "close"),
        ("Complaint", "reopen"),
        ("Complaint", "approve_second_extension"),
        ("Complaint", "change_level"),
        ("Emergency", "close"),
        ("Emergency", "reopen"),
        ("Emergency", "change_level"),
        ("Emergency", "approve_announcement"),
    }


def test_the_policies_marks_are_the_systems_alone() -> None:
    marks = {
        (kind.__name__, name)
        for kind in (Complaint, Emergency)
        for name, declared in commands_of(kind).items()
        if declared.system
    }
    notifications = {
        (kind, name)
        for kind in ("Complaint", "Emergency")
        for name in (
            "record_notification_due",
            "record_notification_delivered",
            "record_notification_failed",
            "record_notification_given_up",
        )
    }
    assert (
        marks
        == {
            ("Complaint", "warn_deadline"),
            ("Complaint", "flag_idle"),
            ("Emergency", "flag_idle"),
        }
        | notifications
    )


def test_standing_down_is_the_office_s_decision_only_when_it_waives_open_actions() -> None:
    stand_down = commands_of(Emergency)["stand_down"]
    assert not stand_down.is_office_decision({"summary": "现场恢复"})
    assert not stand_down.is_office_decision({"summary": "现场恢复", "waiver_reason": None})
    assert stand_down.is_office_decision({"summary": "现场恢复", "waiver_reason": "已由分行接管"})


def test_fields_that_are_the_office_s_decision_are_declared_on_their_command() -> None:
    declared = {
        (kind.__name__, name): command.office_decision_with
        for kind in (Complaint, Emergency)
        for name, command in commands_of(kind).items()
        if command.office_decision_with
    }
    assert declared == {
        ("Complaint", "escalate"): ("level",),
        ("Emergency", "stand_down"): ("waiver_reason",),
    }


def test_a_field_declared_the_office_s_must_be_a_field_of_the_command() -> None:
    def escalate(self: object, stamp: object, *, reason: str) -> None: ...

    with pytest.raises(TypeError, match="level"):
        command(office_decision_with=("level",))(escalate)  # type: ignore[arg-type]


def test_the_intake_steps_are_the_call_centre_s() -> None:
    intake = {name for name, declared in commands_of(Complaint).items() if declared.intake}
    assert intake == {
        "acknowledge",
        "add_note",
        "correct_entry",
        "escalate",
        "receive_new_facts",
        "record_withdrawal",
    }


def test_a_command_made_on_the_class_carries_its_kind_name_and_fields() -> None:
    escalation = Complaint.escalate(reason="媒体关注", level=Level.ORANGE)
    assert escalation == Command(Complaint, "escalate", {"reason": "媒体关注", "level": Level.ORANGE})
    assert Incident.add_note(text="x").kind is Incident
    assert Emergency.add_note(text="x").kind is Emergency


def test_a_command_from_a_client_names_an_unknown_command_or_field() -> None:
    with pytest.raises(InvalidInputError) as unknown:
        Command(Complaint, "stand_down", {"summary": "x"})
    assert unknown.value.field == "command"
    assert "stand_down" in unknown.value.message
    with pytest.raises(InvalidInputError) as misspelt:
        Command(Complaint, "add_note", {"txt": "typo"})
    assert misspelt.value.field == "txt"
    with pytest.raises(InvalidInputError) as missing:
        Command(Complaint, "add_note", {})
    assert missing.value.field == "text"


def test_on_an_instance_the_command_method_runs_the_rule() -> None:
    complaint = reported_complaint()
    complaint.escalate(stamp(), reason="媒体关注", level=Level.ORANGE)
    assert complaint.level is Level.ORANGE
    assert type(complaint.collect_events()[-1]) is Complaint.Escalated


def test_the_one_recorded_read_is_the_auditor_s_reveal_of_personal_data() -> None:
    audits = {
        (kind.__name__, name)
        for kind in (Complaint, Emergency)
        for name, declared in commands_of(kind).items()
        if declared.audit
    }
    assert audits == {("Complaint", "reveal_personal_data"), ("Emergency", "reveal_personal_data")}
