"""Who sets a colour and who permits a notice, through the real app: boards, timeline, feed, history."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from domain.values import Role
from interfaces.settings import Settings
from tests.e2e.server import issue_token
from tests.e2e.test_feed import receive_events, ws_url

OUTLET = "BJ-HD-01"
DISRUPTION = {"outlet": OUTLET, "kind": "service_disruption", "level": "yellow", "summary": "核心系统故障"}
COMPLAINT = {"outlet": OUTLET, "channel": "walk_in", "category": "service_quality", "summary": "排队太久"}
NOTICE = {"audience": "customers", "text": "系统故障，暂停办理转账业务，请到邻近网点办理"}


class Desk:
    """One token's calls."""

    def __init__(self, server: str, token: str) -> None:
        self.token = token
        self.http = httpx.Client(base_url=server, headers={"Authorization": f"Bearer {token}"})

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return self.http.post(path, json=body)

    def ok(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.post(path, body)
        assert answer.status_code in (200, 201), answer.text
        return dict(answer.json())

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        answer = self.http.get(path, params=params)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())


@pytest.fixture
def desks(server: str, settings: Settings) -> Iterator[dict[Role, Desk]]:
    units = {Role.BRANCH: OUTLET, Role.OFFICE: "BJ", Role.CALL_CENTRE: ""}
    made = {
        role: Desk(server, issue_token(settings, role, unit, f"{role.value} 测试"))
        for role, unit in units.items()
    }
    yield made
    for desk in made.values():
        desk.http.close()


def refusal(answer: httpx.Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    return dict(answer.json()["error"])


def test_a_branch_raises_its_emergency_s_level_and_the_office_sees_it_on_the_board_and_feed(
    server: str, desks: dict[Role, Desk]
) -> None:
    branch, office = desks[Role.BRANCH], desks[Role.OFFICE]
    incident = branch.ok("/api/v1/emergencies", DISRUPTION)["incident_id"]
    path = f"/api/v1/emergencies/{incident}"
    lowering = branch.post(f"{path}/raise_level", {"level": "blue", "reason": "已恢复"})
    assert refusal(lowering, 409)["code"] == "level_change_refused"
    assert refusal(branch.post(f"{path}/change_level", {"level": "blue", "reason": "已恢复"}), 403)
    raised = branch.ok(
        f"{path}/raise_level", {"level": "red", "reason": "全辖网点系统中断 every outlet down"}
    )

    board = office.get("/api/v1/boards/office", after=raised["position"])
    row = next(r for r in board["incidents"] if r["incident_id"] == incident)
    assert row["level"]["code"] == "red"
    assert row["level_reason"] == "全辖网点系统中断 every outlet down"
    assert (row["last_event"], row["last_actor_role"]) == ("LevelChanged", "branch")
    messages = asyncio.run(receive_events(ws_url(server), office.token, until=raised["position"]))
    change = messages[-1]
    assert (change["event"], change["level"], change["incident_id"]) == ("LevelChanged", "red", incident)
    assert change["data"]["previous"] == "yellow"
    assert change["actor"]["role"] == "branch"


def test_the_office_lowers_a_complaint_s_level_with_a_reason_shown_in_the_timeline(
    desks: dict[Role, Desk],
) -> None:
    branch, office, call_centre = desks[Role.BRANCH], desks[Role.OFFICE], desks[Role.CALL_CENTRE]
    incident = call_centre.ok("/api/v1/complaints", COMPLAINT)["incident_id"]
    path = f"/api/v1/complaints/{incident}"
    for desk in (branch, call_centre):
        coloured = desk.post(f"{path}/escalate", {"reason": "客户威胁找媒体", "level": "orange"})
        assert "level" in refusal(coloured, 403)["message"]
        desk.ok(f"{path}/escalate", {"reason": "客户威胁找媒体 督办"})  # reporting upward stays theirs
    office.ok(f"{path}/escalate", {"reason": "媒体已介入", "level": "orange"})
    assert refusal(branch.post(f"{path}/change_level", {"level": "blue", "reason": "x"}), 403)
    lowered = office.ok(f"{path}/change_level", {"level": "blue", "reason": "经核实为个案，媒体未报道"})

    timeline = office.get(f"/api/v1/incidents/{incident}/timeline", after=lowered["position"])["events"]
    change = timeline[-1]
    assert (change["event"], change["actor_role"]) == ("LevelChanged", "office"), change
    assert (change["data"]["previous"], change["data"]["level"]) == ("orange", "blue")
    assert change["data"]["reason"] == "经核实为个案，媒体未报道"
    view = office.get(f"/api/v1/incidents/{incident}")
    assert view["level"]["code"] == "blue"


def test_an_announcement_goes_out_only_after_the_office_approved_it_and_then_does_the_playbook_notice(
    desks: dict[Role, Desk],
) -> None:
    branch, office = desks[Role.BRANCH], desks[Role.OFFICE]
    incident = branch.ok("/api/v1/emergencies", DISRUPTION)["incident_id"]
    path = f"/api/v1/emergencies/{incident}"
    unapproved = refusal(branch.post(f"{path}/make_announcement", NOTICE), 409)
    assert unapproved["code"] == "approval_required"
    assert "approve_announcement" in unapproved["message"]
    assert refusal(branch.post(f"{path}/approve_announcement", NOTICE), 403)
    typed_name = branch.post(f"{path}/make_announcement", {**NOTICE, "approved_by": "赵处长"})
    assert refusal(typed_name, 422)["field"] == "approved_by"  # an approver is a token, not a name

    office.ok(f"{path}/approve_announcement", NOTICE)
    made = branch.ok(f"{path}/make_announcement", NOTICE)

    view = office.get(f"/api/v1/incidents/{incident}")
    assert "announce_to_customers" not in [a["code"] for a in view["open_actions"]]
    history = office.get(f"/api/v1/incidents/{incident}/history")["events"]
    announced = history[-1]
    assert announced["version"] == made["version"]
    assert announced["data"]["approver"]["role"] == "office"
    assert announced["data"]["approver"]["unit"] == "BJ"
    assert announced["data"]["completes"] == ["announce_to_customers"]
    board = office.get("/api/v1/boards/office", after=made["position"])
    row = next(r for r in board["incidents"] if r["incident_id"] == incident)
    assert "announce_to_customers" not in [a["code"] for a in row["open_actions"]]
