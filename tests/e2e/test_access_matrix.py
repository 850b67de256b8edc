"""The whole access matrix over HTTP: every role × every command × inside and outside its scope.

Access follows what a command does, not only its name: every field declared the office's decision
(`office_decision_with`: an escalation's level, a waiver of playbook actions) and a complaint
report's level are cases of their own (`command+field`). The expectations below are written out
independently of the policy module, so that a change to the policy that nobody meant shows up here.
Each attempt is made on an incident of its own, first
brought by the head office to the state in which the command succeeds: an allowed command must then
succeed and store its event (a 409 could hide an access check that ran after the rules), and a
refused one must be a 403 and store nothing.
"""

from __future__ import annotations

import enum
import typing
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import AwareDatetime, BaseModel

from domain.commands import commands_of
from domain.level import Level
from domain.playbooks import playbook_for
from domain.values import EmergencyKind, Role
from interfaces.http.command_models import COMMAND_MODELS, INCIDENT_TYPES, REPORT_MODELS
from interfaces.settings import Settings
from tests.e2e.server import issue_token, running_server

INSIDE, OUTSIDE = "BJ-HD-01", "SH-PD-01"  # a Beijing outlet, and one in Shanghai
TOKEN_UNITS = {Role.BRANCH: INSIDE, Role.OFFICE: "BJ", Role.CALL_CENTRE: "", Role.AUDITOR: "", Role.ADMIN: ""}
# The office grades (every level but an emergency's first assessment and a branch's raise of its own
# emergency), decides closing, reopening, waivers, approvals and the policies' marks.
OFFICE_ONLY = {
    "close",
    "reopen",
    "change_level",
    "escalate+level",
    "report+level",
    "stand_down+waiver_reason",
    "approve_announcement",
    "approve_second_extension",
}
# The system's own marks: its policies set them; no token of any role may send them.
SYSTEM_ONLY = {
    "warn_deadline",
    "flag_idle",
    "record_notification_due",
    "record_notification_delivered",
    "record_notification_failed",
    "record_notification_given_up",
}
CALL_CENTRE_MAY = {
    "report",
    "acknowledge",
    "add_note",
    "correct_entry",
    "escalate",
    "receive_new_facts",
    "record_withdrawal",
}


def allowed(role: Role, kind: str, command: str, inside: bool) -> bool:
    if command in SYSTEM_ONLY:
        return False
    if role is Role.OFFICE:
        return inside
    if role is Role.BRANCH:
        return inside and command not in OFFICE_ONLY
    if role is Role.CALL_CENTRE:
        return kind == "complaint" and command in CALL_CENTRE_MAY
    return False  # auditors and admins give no incident command at all


def may_read(role: Role, kind: str, inside: bool) -> bool:
    return (
        role is Role.AUDITOR
        or (role in (Role.OFFICE, Role.BRANCH) and inside)
        or (role is Role.CALL_CENTRE and kind == "complaint")
    )


def sample(annotation: Any) -> Any:
    """A valid value for a field of a command's body."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if args and typing.get_origin(annotation) is not typing.Annotated:
        return sample(args[0])
    base = typing.get_args(annotation)[0] if typing.get_origin(annotation) is typing.Annotated else annotation
    if isinstance(base, type) and issubclass(base, enum.Enum):
        return list(base)[-1].value
    if base is bool:
        return True
    if base is int:
        return 1
    if base is str:
        return "测试 test"
    if base is AwareDatetime or (isinstance(base, type) and issubclass(base, datetime)):
        return datetime.now(UTC).isoformat()
    return {}


def body(model: type[BaseModel], **extra: Any) -> dict[str, Any]:
    required = {n: sample(f.annotation) for n, f in model.model_fields.items() if f.is_required()}
    return {**required, **extra}


def cases() -> Iterator[tuple[str, str]]:
    for kind, commands in COMMAND_MODELS.items():
        yield kind, "report"
        if kind == "complaint":
            yield kind, "report+level"  # an emergency's report always carries its first level
        for command in commands:
            yield kind, command
            declared = commands_of(INCIDENT_TYPES[kind])[command]
            yield from ((kind, f"{command}+{field}") for field in declared.office_decision_with)


CASES = list(cases())
SAMPLE_KIND = EmergencyKind(body(REPORT_MODELS["emergency"])["kind"])
ROLES = list(TOKEN_UNITS)


# What the head office does to a freshly reported incident before each command, so that the command
# itself can succeed; the commands not named here succeed on a fresh incident.
COMPLAINT_HANDLED = ["check_facts", "propose_solution", "record_customer_response", "carry_out_solution"]
PREPARED: dict[tuple[str, str], list[str]] = {
    ("complaint", "propose_solution"): COMPLAINT_HANDLED[:1],
    ("complaint", "record_customer_response"): COMPLAINT_HANDLED[:2],
    ("complaint", "carry_out_solution"): COMPLAINT_HANDLED[:3],
    ("complaint", "follow_up"): COMPLAINT_HANDLED,
    ("complaint", "resume_clock"): ["pause_clock"],
    # The sample body closes as withdrawn, which needs the customer's withdrawal on record.
    ("complaint", "close"): ["record_withdrawal"],
    ("complaint", "reopen"): ["record_withdrawal", "close"],
    # Only the person responsible hands over: the attempting role first takes it on (`own:`).
    ("complaint", "hand_over"): ["own:acknowledge"],
    ("emergency", "hand_over"): ["own:take_charge"],
    ("emergency", "stand_down"): [f"complete_playbook_action+{a.code}" for a in playbook_for(SAMPLE_KIND)],
    ("emergency", "close"): ["stand_down+waiver_reason"],
    ("emergency", "reopen"): ["stand_down+waiver_reason", "close"],
    ("emergency", "make_announcement"): ["approve_announcement"],  # the same audience and text
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    # Without the policies: "a refused command stored nothing" is read off the log's head.
    settings = Settings(
        database_url=f"sqlite:///{tmp_path_factory.mktemp('matrix')}/m.db", run_policies=False
    )
    with running_server(settings) as url, httpx.Client(base_url=url) as http:
        tokens = {role: issue_token(settings, role, unit) for role, unit in TOKEN_UNITS.items()}
        hq = {"Authorization": f"Bearer {issue_token(settings, Role.OFFICE, 'HQ')}"}
        world: dict[str, Any] = {"http": http, "tokens": tokens, "hq": hq}
        world["incidents"] = {
            (kind, outlet): reported(world, kind, outlet)
            for outlet in (INSIDE, OUTSIDE)
            for kind in ("complaint", "emergency")
        }
        yield world


def head(http: httpx.Client) -> int:
    return int(http.get("/readyz").json()["position"])


def plural(kind: str) -> str:
    return "complaints" if kind == "complaint" else "emergencies"


def reported(world: dict[str, Any], kind: str, outlet: str) -> str:
    # Blue, so that a branch's raise of its own emergency's level is a real raise.
    report = body(REPORT_MODELS[kind], outlet=outlet, level="blue")
    answer = world["http"].post(f"/api/v1/{plural(kind)}", json=report, headers=world["hq"])
    assert answer.status_code == 201, answer.text
    return str(answer.json()["incident_id"])


def ready_for(world: dict[str, Any], kind: str, command: str, outlet: str, headers: dict[str, str]) -> str:
    """A new incident at `outlet`, brought by the head office to where `command` succeeds.

    A step marked `own:` is the attempting role's own (`own:`; only the person responsible hands over): where
    that role may not take it, the step is refused and the command after it is refused as well.
    """
    incident_id = reported(world, kind, outlet)
    for step in PREPARED.get((kind, command), []):
        if step.startswith("own:"):
            give(world, headers, kind, step.removeprefix("own:"), incident_id)
            continue
        answer = give(world, world["hq"], kind, step, incident_id)
        assert answer.status_code == 200, f"preparing {command} by {step}: {answer.text}"
    return incident_id


def payload(world: dict[str, Any], kind: str, command: str, incident_id: str) -> dict[str, Any]:
    """A valid body for `command` on the incident as it stands."""
    name, _, variant = command.partition("+")
    extra: dict[str, Any] = matching_state(world, name, incident_id)
    model = COMMAND_MODELS[kind][name]
    if (
        variant and name != "complete_playbook_action"
    ):  # the field that makes it the office's decision, given a value (a level: the highest)
        extra[variant] = sample(model.model_fields[variant].annotation)
    if name == "complete_playbook_action":
        extra["action"] = variant or playbook_for(SAMPLE_KIND)[0].code
    return body(model, **extra)


def matching_state(world: dict[str, Any], name: str, incident_id: str) -> dict[str, Any]:
    """The fields a command accepts only when they match the incident: its due time, last activity, level."""
    if name not in ("warn_deadline", "flag_idle", "change_level"):
        return {}
    incident = world["http"].get(f"/api/v1/incidents/{incident_id}", headers=world["hq"]).json()
    return {
        "warn_deadline": {"due_at": incident["due_at"]},
        "flag_idle": {"idle_since": incident["last_event_at"]},
        "change_level": {"level": next(lv.value for lv in Level if lv.value != incident["level"]["code"])},
    }[name]


def give(
    world: dict[str, Any], headers: dict[str, str], kind: str, command: str, incident_id: str
) -> httpx.Response:
    name = command.partition("+")[0]
    url = f"/api/v1/{plural(kind)}/{incident_id}/{name}"
    return world["http"].post(url, json=payload(world, kind, command, incident_id), headers=headers)


def attempt(
    world: dict[str, Any], role: Role, kind: str, command: str, outlet: str
) -> tuple[httpx.Response, int]:
    """The role gives the command at `outlet` (a report, or a command on an incident ready for it).

    Returns the answer and the log's head just before the attempt, after any preparation.
    """
    headers = {"Authorization": f"Bearer {world['tokens'][role]}"}
    if command.startswith("report"):
        graded = {"level": "orange"} if command == "report+level" else {}
        report = body(REPORT_MODELS[kind], outlet=outlet, **graded)
        before = head(world["http"])
        return world["http"].post(f"/api/v1/{plural(kind)}", json=report, headers=headers), before
    incident_id = ready_for(world, kind, command, outlet, headers)
    before = head(world["http"])
    return give(world, headers, kind, command, incident_id), before


@pytest.mark.parametrize("inside", [True, False], ids=["inside", "outside"])
@pytest.mark.parametrize(("kind", "command"), CASES, ids=[f"{k}-{c}" for k, c in CASES])
@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_every_role_may_give_exactly_its_commands_in_its_scope(
    world: dict[str, Any], role: Role, kind: str, command: str, inside: bool
) -> None:
    answer, before = attempt(world, role, kind, command, INSIDE if inside else OUTSIDE)
    if allowed(role, kind, command, inside):
        assert answer.status_code == (201 if command.startswith("report") else 200), answer.text
        assert answer.json()["position"] > before, "an allowed command stored nothing"
    else:
        assert answer.status_code == 403, answer.text
        assert answer.json()["error"]["code"] == "forbidden"
        assert head(world["http"]) == before, "a refused command stored something"


@pytest.mark.parametrize("inside", [True, False], ids=["inside", "outside"])
@pytest.mark.parametrize("kind", ["complaint", "emergency"])
@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_every_role_reads_exactly_its_scope(
    world: dict[str, Any], role: Role, kind: str, inside: bool
) -> None:
    incident_id = world["incidents"][(kind, INSIDE if inside else OUTSIDE)]
    headers = {"Authorization": f"Bearer {world['tokens'][role]}"}
    for path in (f"/api/v1/incidents/{incident_id}", f"/api/v1/incidents/{incident_id}/history"):
        answer = world["http"].get(path, headers=headers)
        assert answer.status_code == (200 if may_read(role, kind, inside) else 403), answer.text


def test_every_stored_event_records_the_authenticated_actor(world: dict[str, Any]) -> None:
    incident_id = world["incidents"][("complaint", INSIDE)]
    branch = {"Authorization": f"Bearer {world['tokens'][Role.BRANCH]}"}
    noted = world["http"].post(
        f"/api/v1/complaints/{incident_id}/add_note", json={"text": "谁记的"}, headers=branch
    )
    assert noted.status_code == 200, noted.text
    auditor = {"Authorization": f"Bearer {world['tokens'][Role.AUDITOR]}"}
    events = world["http"].get(f"/api/v1/incidents/{incident_id}/history", headers=auditor).json()["events"]
    actors = {(e["actor"]["role"], e["actor"]["unit"], e["actor"]["name"]) for e in events}
    assert ("office", "HQ", "office") in actors  # the report
    assert events[-1]["actor"]["role"] == "branch"
    assert events[-1]["actor"]["unit"] == INSIDE
    assert events[-1]["actor"]["id"].startswith("token:")
