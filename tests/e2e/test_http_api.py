"""The HTTP API end to end on both stores: ids, idempotency, versions, errors, views, history."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from domain.values import Role
from interfaces.settings import Settings
from interfaces.wiring import token_registry
from tests.e2e.server import issue_token

OUTLET = "BJ-HD-01"
COMPLAINT = {
    "outlet": OUTLET,
    "channel": "walk_in",
    "category": "service_quality",
    "summary": "客户称ATM吐出假币 customer says the ATM gave out a counterfeit note",
    "contact": {"name": "张三", "phone": "13800138000", "email": ""},
}
FIRE = {
    "outlet": OUTLET,
    "kind": "fire",
    "level": "orange",
    "summary": "营业厅后区冒烟 smoke behind the counters",
}


@pytest.fixture
def http(server: str, settings: Settings) -> Iterator[httpx.Client]:
    token = issue_token(settings, Role.BRANCH, OUTLET, "王丽 大堂经理")
    with httpx.Client(base_url=server, headers={"Authorization": f"Bearer {token}"}) as client:
        yield client


def error(answer: httpx.Response) -> dict[str, Any]:
    return dict(answer.json()["error"])


def head(http: httpx.Client) -> int:
    return int(http.get("/readyz").json()["position"])


def test_a_complaint_reported_under_the_branch_s_own_id_is_read_back(http: httpx.Client) -> None:
    chosen = str(uuid.uuid4())
    happened = (datetime.now(UTC) - timedelta(hours=2)).isoformat()  # reported late, after an outage
    answer = http.post(
        "/api/v1/complaints", json={**COMPLAINT, "incident_id": chosen, "occurred_at": happened}
    )
    assert answer.status_code == 201
    assert answer.json()["incident_id"] == chosen
    assert answer.headers["ETag"] == '"1"'
    assert answer.headers["Location"] == f"/api/v1/incidents/{chosen}"

    view = http.get(f"/api/v1/incidents/{chosen}")
    assert view.headers["ETag"] == '"1"'
    body = view.json()
    assert body["type"] == "complaint"
    assert body["next_expected_step"]["code"] == "acknowledge"
    assert body["next_expected_step"]["zh"]
    assert [u["code"] for u in body["outlet_path"]] == ["HQ", "BJ", "BJ-HD", OUTLET]
    received = datetime.fromisoformat(happened)
    assert datetime.fromisoformat(body["due_at"]) == received + timedelta(days=15)
    assert body["overdue"] is False


def test_a_command_answers_with_the_new_version_position_and_etag(http: httpx.Client) -> None:
    incident_id = http.post("/api/v1/complaints", json=COMPLAINT).json()["incident_id"]
    answer = http.post(f"/api/v1/complaints/{incident_id}/acknowledge", json={})
    assert answer.status_code == 200
    assert answer.json()["version"] == 2
    assert answer.json()["position"] == head(http)
    assert answer.headers["ETag"] == '"2"'


def test_an_idempotency_key_replays_the_first_result_and_refuses_a_different_payload(
    http: httpx.Client,
) -> None:
    incident_id = http.post("/api/v1/complaints", json=COMPLAINT).json()["incident_id"]
    key = {"Idempotency-Key": "branch-7-cmd-42"}
    first = http.post(f"/api/v1/complaints/{incident_id}/add_note", json={"text": "客户已安抚"}, headers=key)
    length = head(http)
    again = http.post(f"/api/v1/complaints/{incident_id}/add_note", json={"text": "客户已安抚"}, headers=key)
    assert again.status_code == 200
    assert again.json() == {**first.json(), "replayed": True}
    assert head(http) == length
    other = http.post(f"/api/v1/complaints/{incident_id}/add_note", json={"text": "别的"}, headers=key)
    assert other.status_code == 409
    assert error(other)["code"] == "command_id_reused"
    assert head(http) == length


def test_if_match_guards_against_a_stale_version(http: httpx.Client) -> None:
    incident_id = http.post("/api/v1/complaints", json=COMPLAINT).json()["incident_id"]
    assert (
        http.post(
            f"/api/v1/complaints/{incident_id}/acknowledge", json={}, headers={"If-Match": '"1"'}
        ).status_code
        == 200
    )
    stale = http.post(f"/api/v1/complaints/{incident_id}/apologise", json={}, headers={"If-Match": '"1"'})
    assert stale.status_code == 409
    assert error(stale)["code"] == "version_conflict"
    garbled = http.post(
        f"/api/v1/complaints/{incident_id}/apologise", json={}, headers={"If-Match": "yesterday"}
    )
    assert garbled.status_code == 422
    assert error(garbled)["field"] == "If-Match"


def test_missing_unknown_and_revoked_tokens_are_refused_before_anything_happens(
    server: str, settings: Settings
) -> None:
    assert httpx.post(f"{server}/api/v1/complaints", json=COMPLAINT).status_code == 401
    bad = httpx.post(f"{server}/api/v1/complaints", json=COMPLAINT, headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    assert error(bad)["code"] == "unauthorized"
    assert bad.headers["WWW-Authenticate"].startswith("Bearer")
    registry = token_registry(settings)
    record, token = registry.issue(role=Role.BRANCH, unit=OUTLET, name="temp", now=datetime.now(UTC))
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.post(f"{server}/api/v1/complaints", json=COMPLAINT, headers=headers).status_code == 201
    registry.revoke(record.id, now=datetime.now(UTC))
    assert httpx.post(f"{server}/api/v1/complaints", json=COMPLAINT, headers=headers).status_code == 401


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"channel": "carrier_pigeon"}, "channel"),
        ({"summary": None}, "summary"),
        ({"colour": "red"}, "colour"),
        ({"occurred_at": "2026-11-02T09:30:00"}, "occurred_at"),  # no offset: ambiguous, refused
        ({"outlet": "NOWHERE"}, "outlet"),
        ({"summary": "   "}, "summary"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_stores_nothing(
    http: httpx.Client, change: dict[str, Any], field: str
) -> None:
    before = head(http)
    answer = http.post("/api/v1/complaints", json={**COMPLAINT, **change})
    assert answer.status_code == 422, answer.text
    assert error(answer)["field"] == field
    assert field in error(answer)["message"]
    assert head(http) == before


def test_a_broken_rule_is_a_409_with_a_stable_code(http: httpx.Client) -> None:
    incident_id = http.post("/api/v1/complaints", json=COMPLAINT).json()["incident_id"]
    answer = http.post(f"/api/v1/complaints/{incident_id}/carry_out_solution", json={})
    assert answer.status_code == 409
    assert error(answer)["code"] == "step_out_of_order"


def test_unknown_incidents_and_kinds_are_404(http: httpx.Client) -> None:
    assert http.get(f"/api/v1/incidents/{uuid.uuid4()}").status_code == 404
    fire = http.post("/api/v1/emergencies", json=FIRE).json()["incident_id"]
    wrong_kind = http.post(f"/api/v1/complaints/{fire}/acknowledge", json={})
    assert wrong_kind.status_code == 404
    assert error(wrong_kind)["code"] == "not_found"


def test_an_oversized_body_is_a_413(http: httpx.Client) -> None:
    answer = http.post("/api/v1/complaints", json={**COMPLAINT, "summary": "长" * 40_000})
    assert answer.status_code == 413
    assert error(answer)["code"] == "body_too_large"


def test_the_generic_command_route_validates_like_the_typed_one(http: httpx.Client) -> None:
    fire = http.post("/api/v1/emergencies", json=FIRE).json()["incident_id"]
    done = http.post(f"/api/v1/incidents/{fire}/commands/notify_authority", json={"authority": "fire_119"})
    assert done.status_code == 200
    view = http.get(f"/api/v1/incidents/{fire}").json()
    assert "call_119" not in [a["code"] for a in view["open_actions"]]
    assert "call_119" in [a["code"] for a in view["done_actions"]]
    wrong = http.post(
        f"/api/v1/incidents/{fire}/commands/notify_authority", json={"authority": "ghostbusters"}
    )
    assert wrong.status_code == 422
    assert error(wrong)["field"] == "authority"
    unknown = http.post(f"/api/v1/incidents/{fire}/commands/acknowledge", json={})
    assert unknown.status_code == 422
    assert error(unknown)["field"] == "command"


def test_history_shows_who_when_it_happened_and_when_it_was_recorded(http: httpx.Client) -> None:
    earlier = datetime.now(UTC) - timedelta(minutes=40)
    incident_id = http.post(
        "/api/v1/complaints", json={**COMPLAINT, "occurred_at": earlier.isoformat()}
    ).json()["incident_id"]
    http.post(f"/api/v1/complaints/{incident_id}/apologise", json={"note": "当面道歉"})
    events = http.get(f"/api/v1/incidents/{incident_id}/history").json()["events"]
    assert [e["event"] for e in events] == ["Reported", "Apologised"]
    reported = events[0]
    assert datetime.fromisoformat(reported["occurred_at"]) == earlier
    assert datetime.fromisoformat(reported["recorded_at"]) > earlier
    assert reported["actor"]["role"] == "branch"
    assert reported["actor"]["unit"] == OUTLET
    assert reported["actor"]["name"] == "王丽 大堂经理"
    assert events[1]["data"] == {"note": "当面道歉"}


def test_customer_contact_is_shown_to_the_branch_and_masked_for_auditors(
    http: httpx.Client, server: str, settings: Settings
) -> None:
    incident_id = http.post("/api/v1/complaints", json=COMPLAINT).json()["incident_id"]
    assert http.get(f"/api/v1/incidents/{incident_id}").json()["details"]["contact"]["phone"] == "13800138000"
    auditor = {"Authorization": f"Bearer {issue_token(settings, Role.AUDITOR)}"}
    view = httpx.get(f"{server}/api/v1/incidents/{incident_id}", headers=auditor).json()
    history = httpx.get(f"{server}/api/v1/incidents/{incident_id}/history", headers=auditor).json()
    assert view["details"]["contact"] == "<personal>"
    assert history["events"][0]["data"]["contact"] == "<personal>"
    assert "13800138000" not in str(view) + str(history)


def test_every_command_is_documented_with_its_own_body(server: str) -> None:
    schema = httpx.get(f"{server}/openapi.json").json()
    paths = schema["paths"]
    assert "/api/v1/complaints/{incident_id}/check_facts" in paths
    assert "/api/v1/emergencies/{incident_id}/stand_down" in paths
    stand_down = paths["/api/v1/emergencies/{incident_id}/stand_down"]["post"]
    ref = stand_down["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][ref]["properties"]) >= {
        "summary",
        "waiver_reason",
        "occurred_at",
    }
    assert httpx.get(f"{server}/docs").status_code == 200
