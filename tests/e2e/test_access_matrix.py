"""The whole access matrix over HTTP: every role × every command × inside and outside its scope.

Access follows what a command does, not only its name: every field declared the office's decision
(`office_decision_with`: an escalation's level, a waiver of playbook actions) and a complaint
report's level are cases of their own (`command+field`). The expectations below are written out
independently of the policy module, so that a change to the policy that nobody meant shows up here.
A refused request must be a 403 and store nothing.
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
from domain.playbooks import playbook_for
from domain.values import EmergencyKind, Role
from interfaces.http.command_models import COMMAND_MODELS, INCIDENT_TYPES, REPORT_MODELS
from interfaces.settings import Settings
from tests.e2e.server import issue_token, running_server

INSIDE, OUTSIDE = "BJ-HD-01", "SH-PD-01"  # a Beijing outlet, and one in Shanghai
TOKEN_UNITS = {Role.BRANCH: INSIDE, Role.OFFICE: "BJ", Role.CALL_CENTRE: "", Role.AUDITOR: "", Role.ADMIN: ""}
# The office grades (every level but an emergency's first assessment and a branch's raise of its own
# emergency), decides closing, reopening, waivers and announcements, and the policies' marks.
OFFICE_ONLY = {
    "close",
    "reopen",
    "change_level",
    "escalate+level",
    "report+level",
    "stand_down+waiver_reason",
    "approve_announcement",
    "warn_deadline",
    "flag_idle",
}
CALL_CENTRE_MAY = {"report", "acknowledge", "add_note", "correct_entry", "escalate", "receive_new_facts"}


def allowed(role: Role, kind: str, command: str, inside: bool) -> bool:
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
REPORT_SAMPLE_KIND = body(REPORT_MODELS["emergency"])["kind"]
ROLES = list(TOKEN_UNITS)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    # Without the policies: "a refused command stored nothing" is read off the log's head.
    settings = Settings(
        database_url=f"sqlite:///{tmp_path_factory.mktemp('matrix')}/m.db", run_policies=False
    )
    with running_server(settings) as url, httpx.Client(base_url=url) as http:
        tokens = {role: issue_token(settings, role, unit) for role, unit in TOKEN_UNITS.items()}
        hq = {"Authorization": f"Bearer {issue_token(settings, Role.OFFICE, 'HQ')}"}
        incidents = {}
        for outlet in (INSIDE, OUTSIDE):
            for kind, plural in (("complaint", "complaints"), ("emergency", "emergencies")):
                # Blue, so that a branch's raise of its own emergency's level is a real raise.
                report = body(REPORT_MODELS[kind], outlet=outlet, level="blue")
                answer = http.post(f"/api/v1/{plural}", json=report, headers=hq)
                assert answer.status_code == 201, answer.text
                incidents[(kind, outlet)] = answer.json()["incident_id"]
        yield {"http": http, "tokens": tokens, "incidents": incidents}


def head(http: httpx.Client) -> int:
    return int(http.get("/readyz").json()["position"])


def attempt(world: dict[str, Any], role: Role, kind: str, command: str, outlet: str) -> httpx.Response:
    http, headers = world["http"], {"Authorization": f"Bearer {world['tokens'][role]}"}
    plural = "complaints" if kind == "complaint" else "emergencies"
    name, _, field = command.partition("+")
    if name == "report":
        model = REPORT_MODELS[kind]
        graded = {"level": "orange"} if field == "level" else {}
        return http.post(f"/api/v1/{plural}", json=body(model, outlet=outlet, **graded), headers=headers)
    incident_id = world["incidents"][(kind, outlet)]
    model = COMMAND_MODELS[kind][name]
    # The field that makes it the office's decision, given a value (a level: the highest).
    extra: dict[str, Any] = {field: sample(model.model_fields[field].annotation)} if field else {}
    if name == "complete_playbook_action":
        extra["action"] = playbook_for(EmergencyKind(REPORT_SAMPLE_KIND))[0].code
    payload = body(model, **extra)
    return http.post(f"/api/v1/{plural}/{incident_id}/{name}", json=payload, headers=headers)


@pytest.mark.parametrize("inside", [True, False], ids=["inside", "outside"])
@pytest.mark.parametrize(("kind", "command"), CASES, ids=[f"{k}-{c}" for k, c in CASES])
@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_every_role_may_give_exactly_its_commands_in_its_scope(
    world: dict[str, Any], role: Role, kind: str, command: str, inside: bool
) -> None:
    before = head(world["http"])
    answer = attempt(world, role, kind, command, INSIDE if inside else OUTSIDE)
    if allowed(role, kind, command, inside):
        # Allowed means the access check let it through; the domain's rules may still refuse it (409).
        assert answer.status_code in (200, 201, 409), answer.text
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
