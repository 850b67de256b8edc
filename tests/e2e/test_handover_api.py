"""首问责任制 over HTTP on both stores: hand a complaint over, take charge of an emergency, staff posts shown."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from domain.values import Position, Role
from interfaces.settings import Settings
from interfaces.wiring import token_registry
from tests.e2e.server import issue_token

OUTLET, OTHER_OUTLET = "BJ-HD-01", "BJ-HD-02"
COMPLAINT = {
    "outlet": OUTLET,
    "channel": "walk_in",
    "category": "service_quality",
    "summary": "客户称ATM吐出假币，要求行长解释",
}
BANK_RUN = {"outlet": OUTLET, "kind": "bank_run", "level": "orange", "summary": "储户聚集要求取款"}


def posted_token(settings: Settings, name: str, position: Position, unit: str = OUTLET) -> str:
    _, token = token_registry(settings).issue(
        role=Role.BRANCH, unit=unit, name=name, now=datetime.now(UTC), position=position
    )
    return token


@pytest.fixture
def staff(server: str, settings: Settings) -> Iterator[dict[str, httpx.Client]]:
    tokens = {
        "lobby": posted_token(settings, "李经理", Position.LOBBY_MANAGER),
        "head": posted_token(settings, "王主任", Position.BRANCH_HEAD),
        "guard": posted_token(settings, "刘师傅", Position.SECURITY_GUARD),
        "other_head": posted_token(settings, "陈主任", Position.BRANCH_HEAD, OTHER_OUTLET),
        "office": issue_token(settings, Role.OFFICE, "BJ", "赵处长"),
        "call_centre": issue_token(settings, Role.CALL_CENTRE, "", "95566 坐席"),
    }
    clients = {
        who: httpx.Client(base_url=server, headers={"Authorization": f"Bearer {token}"})
        for who, token in tokens.items()
    }
    yield clients
    for client in clients.values():
        client.close()


def ok(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code in (200, 201), answer.text
    return dict(answer.json())


def refused(answer: httpx.Response, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code


def board_row(client: httpx.Client, incident_id: str, after: int) -> dict[str, Any]:
    board = ok(client.get("/api/v1/boards/office", params={"after": after}))
    return next(row for row in board["incidents"] if row["incident_id"] == incident_id)


def test_the_lobby_manager_hands_a_complaint_to_the_branch_head_who_takes_it_by_acknowledging(
    staff: dict[str, httpx.Client],
) -> None:
    lobby, head, guard = staff["lobby"], staff["head"], staff["guard"]
    complaint = ok(lobby.post("/api/v1/complaints", json=COMPLAINT))["incident_id"]
    ok(lobby.post(f"/api/v1/complaints/{complaint}/acknowledge", json={}))
    refused(head.post(f"/api/v1/complaints/{complaint}/acknowledge", json={}), 409, "already_owned")

    handover = {"to": "王主任", "to_position": "branch_head", "reason": "移地由网点负责人解释"}
    refused(guard.post(f"/api/v1/complaints/{complaint}/hand_over", json=handover), 409, "not_responsible")
    refused(
        staff["call_centre"].post(f"/api/v1/complaints/{complaint}/hand_over", json=handover),
        403,
        "forbidden",
    )
    refused(
        staff["other_head"].post(f"/api/v1/complaints/{complaint}/hand_over", json=handover), 403, "forbidden"
    )
    handed = ok(lobby.post(f"/api/v1/complaints/{complaint}/hand_over", json=handover))

    view = ok(lobby.get(f"/api/v1/incidents/{complaint}"))
    assert view["owner"]["name"] == "李经理"
    assert view["owner"]["position"] == {"code": "lobby_manager", "zh": "大堂经理", "en": "Lobby manager"}
    assert view["handover"]["receiver"] == "王主任 (网点负责人)"
    assert view["handover"]["by"]["name"] == "李经理"
    row = board_row(staff["office"], complaint, handed["position"])
    assert (row["owner"], row["owner_position"], row["handover_to"]) == (
        "李经理",
        "lobby_manager",
        "王主任 (网点负责人)",
    )

    refused(guard.post(f"/api/v1/complaints/{complaint}/acknowledge", json={}), 409, "not_the_receiver")
    taken = ok(head.post(f"/api/v1/complaints/{complaint}/acknowledge", json={}))
    view = ok(head.get(f"/api/v1/incidents/{complaint}"))
    assert (view["owner"]["name"], view["owner"]["position"]["code"], view["handover"]) == (
        "王主任",
        "branch_head",
        None,
    )
    row = board_row(staff["office"], complaint, taken["position"])
    assert (row["owner"], row["owner_position"], row["handover_to"]) == ("王主任", "branch_head", None)

    timeline = ok(head.get(f"/api/v1/incidents/{complaint}/timeline", params={"after": taken["position"]}))
    events = [(e["event"], e["actor_name"], e["actor_position"]) for e in timeline["events"]]
    assert events[-2:] == [
        ("HandedOver", "李经理", "lobby_manager"),
        ("HandoverAccepted", "王主任", "branch_head"),
    ]
    history = ok(head.get(f"/api/v1/incidents/{complaint}/history"))["events"]
    assert history[-2]["data"]["to"] == "王主任"
    assert history[-2]["data"]["from_person"]["position"] == "lobby_manager"
    assert history[-1]["actor"]["position"] == "branch_head"


def test_the_branch_head_takes_charge_of_an_emergency_and_hands_it_to_the_office(
    staff: dict[str, httpx.Client],
) -> None:
    lobby, head, office = staff["lobby"], staff["head"], staff["office"]
    reported = ok(lobby.post("/api/v1/emergencies", json=BANK_RUN))
    emergency = reported["incident_id"]
    view = ok(lobby.get(f"/api/v1/incidents/{emergency}"))
    actions = {a["code"]: a["by_position"] for a in view["open_actions"]}
    assert actions["branch_head_explains"] == {"code": "branch_head", "zh": "网点负责人", "en": "Branch head"}
    assert actions["security_keeps_order"]["code"] == "security_guard"
    assert actions["call_police"] is None
    assert (view["owner"], view["branch_head_took_charge"]) == (None, False)
    assert board_row(office, emergency, reported["position"])["branch_head_took_charge"] is False

    ok(lobby.post(f"/api/v1/emergencies/{emergency}/take_charge", json={}))
    refused(
        staff["guard"].post(f"/api/v1/emergencies/{emergency}/take_charge", json={}), 409, "already_in_charge"
    )
    refused(
        staff["other_head"].post(f"/api/v1/emergencies/{emergency}/take_charge", json={}), 403, "forbidden"
    )
    refused(
        staff["call_centre"].post(f"/api/v1/emergencies/{emergency}/take_charge", json={}), 403, "forbidden"
    )
    taken = ok(head.post(f"/api/v1/emergencies/{emergency}/take_charge", json={}))
    row = board_row(office, emergency, taken["position"])
    assert (row["owner"], row["owner_position"], row["branch_head_took_charge"]) == (
        "王主任",
        "branch_head",
        True,
    )

    handover = {"to": "赵处长", "to_office": True, "reason": "挤兑扩大，需上级调运资金"}
    handed = ok(head.post(f"/api/v1/emergencies/{emergency}/hand_over", json=handover))
    assert board_row(office, emergency, handed["position"])["handover_to"] == "应急处理办公室 赵处长"
    refused(lobby.post(f"/api/v1/emergencies/{emergency}/take_charge", json={}), 409, "already_in_charge")
    confirmed = ok(office.post(f"/api/v1/emergencies/{emergency}/take_charge", json={}))
    row = board_row(office, emergency, confirmed["position"])
    assert (row["owner"], row["handover_to"], row["branch_head_took_charge"]) == ("赵处长", None, True)
    view = ok(office.get(f"/api/v1/incidents/{emergency}"))
    assert (view["owner"]["name"], view["owner"]["role"]["code"], view["branch_head_took_charge"]) == (
        "赵处长",
        "office",
        True,
    )


def test_a_handover_body_is_validated_like_every_command(staff: dict[str, httpx.Client]) -> None:
    lobby = staff["lobby"]
    complaint = ok(lobby.post("/api/v1/complaints", json=COMPLAINT))["incident_id"]
    ok(lobby.post(f"/api/v1/complaints/{complaint}/acknowledge", json={}))
    bad_post = lobby.post(
        f"/api/v1/complaints/{complaint}/hand_over",
        json={"to": "王主任", "reason": "x", "to_position": "manager"},
    )
    assert bad_post.status_code == 422
    assert bad_post.json()["error"]["field"] == "to_position"
    both = lobby.post(
        f"/api/v1/complaints/{complaint}/hand_over",
        json={"to": "赵处长", "reason": "x", "to_office": True, "to_position": "teller"},
    )
    assert both.status_code == 422
    assert both.json()["error"]["field"] == "to_position"
