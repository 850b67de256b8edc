"""GET /incidents/{id}/commands: exactly what the caller may send now, each as it is sent, on both stores."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from domain.values import Role
from interfaces.settings import Settings
from tests.e2e.server import issue_token, running_server

COMPLAINT = {
    "outlet": "BJ-HD-01",
    "channel": "walk_in",
    "category": "service_quality",
    "summary": "柜员态度差",
}
EMERGENCY = {"outlet": "BJ-HD-01", "kind": "fire", "level": "yellow", "summary": "配电箱冒烟"}


@pytest.fixture
def bank(settings: Settings) -> Iterator[tuple[httpx.Client, dict[Role, dict[str, str]]]]:
    with running_server(settings) as url, httpx.Client(base_url=url, timeout=10) as http:
        units = {Role.OFFICE: "HQ", Role.BRANCH: "BJ-HD-01", Role.CALL_CENTRE: "", Role.AUDITOR: ""}
        headers = {
            role: {"Authorization": f"Bearer {issue_token(settings, role, unit, role.value)}"}
            for role, unit in units.items()
        }
        yield http, headers


def offered(http: httpx.Client, headers: dict[str, str], incident: str) -> list[str]:
    answer = http.get(f"/api/v1/incidents/{incident}/commands", headers=headers)
    assert answer.status_code == 200, answer.text
    return [c["name"] for c in answer.json()["commands"]]


def test_each_role_is_offered_its_own_commands_the_next_step_first(
    bank: tuple[httpx.Client, dict[Role, dict[str, str]]],
) -> None:
    http, headers = bank
    incident = http.post("/api/v1/complaints", json=COMPLAINT, headers=headers[Role.BRANCH]).json()[
        "incident_id"
    ]
    answer = http.get(f"/api/v1/incidents/{incident}/commands", headers=headers[Role.BRANCH])
    body = answer.json()
    assert answer.headers["etag"] == '"1"'
    assert body["version"] == 1
    first = body["commands"][0]
    assert (first["name"], first["next_step"]) == ("acknowledge", True)
    assert first["path"] == f"/api/v1/complaints/{incident}/acknowledge"
    branch = offered(http, headers[Role.BRANCH], incident)
    assert "close" not in branch
    assert "change_level" not in branch
    assert "flag_idle" not in branch
    assert "warn_deadline" not in branch
    assert "reopen" not in branch  # not closed
    office = offered(http, headers[Role.OFFICE], incident)
    assert {"change_level", "escalate"} <= set(office)
    close = next(
        c
        for c in http.get(f"/api/v1/incidents/{incident}/commands", headers=headers[Role.OFFICE]).json()[
            "commands"
        ]
        if c["name"] == "change_level"
    )
    assert close["confirm"] is True
    assert set(close["body"]["required"]) == {"level", "reason"}
    assert set(offered(http, headers[Role.CALL_CENTRE], incident)) <= {
        "acknowledge", "add_note", "correct_entry", "escalate", "receive_new_facts", "record_withdrawal",
    }  # fmt: skip
    assert offered(http, headers[Role.AUDITOR], incident) == []


def test_what_the_state_refuses_is_not_offered_and_every_offer_is_accepted_as_sent(
    bank: tuple[httpx.Client, dict[Role, dict[str, str]]],
) -> None:
    http, headers = bank
    branch = headers[Role.BRANCH]
    incident = http.post("/api/v1/complaints", json=COMPLAINT, headers=branch).json()["incident_id"]
    assert http.post(f"/api/v1/complaints/{incident}/acknowledge", json={}, headers=branch).status_code == 200
    now = offered(http, branch, incident)
    assert "acknowledge" not in now  # already owned by this branch
    assert "propose_solution" not in now  # before the facts are checked
    assert "check_facts" in now

    emergency = http.post("/api/v1/emergencies", json=EMERGENCY, headers=branch).json()["incident_id"]
    offers = http.get(f"/api/v1/incidents/{emergency}/commands", headers=branch).json()["commands"]
    assert offers[0]["next_step"]
    assert offers[0]["name"] in ("complete_playbook_action", "make_announcement")
    assert "close" not in [c["name"] for c in offers]  # the office's, and not stood down


def test_a_closed_incident_offers_what_a_closed_one_accepts(
    bank: tuple[httpx.Client, dict[Role, dict[str, str]]],
) -> None:
    http, headers = bank
    office = headers[Role.OFFICE]
    incident = http.post("/api/v1/emergencies", json=EMERGENCY, headers=office).json()["incident_id"]
    down = {"summary": "现场恢复", "waiver_reason": "演练结束"}
    assert (
        http.post(f"/api/v1/emergencies/{incident}/stand_down", json=down, headers=office).status_code == 200
    )
    assert (
        http.post(
            f"/api/v1/emergencies/{incident}/close", json={"summary": "已办结"}, headers=office
        ).status_code
        == 200
    )
    closed = offered(http, office, incident)
    assert "reopen" in closed
    assert "add_note" in closed
    assert "change_level" not in closed
    assert "stand_down" not in closed
    # An outlet's branch may not read another outlet's incident, nor its commands.
    other = {"Authorization": headers[Role.BRANCH]["Authorization"]}
    shanghai = http.post(
        "/api/v1/emergencies", json={**EMERGENCY, "outlet": "SH-PD-01"}, headers=office
    ).json()
    assert http.get(f"/api/v1/incidents/{shanghai['incident_id']}/commands", headers=other).status_code == 403


def test_each_offer_carries_its_form_words_in_both_languages_and_the_choices_the_incident_allows(
    bank: tuple[httpx.Client, dict[Role, dict[str, str]]],
) -> None:
    http, headers = bank
    incident = http.post("/api/v1/emergencies", json=EMERGENCY, headers=headers[Role.OFFICE]).json()[
        "incident_id"
    ]
    tick = f"/api/v1/emergencies/{incident}/complete_playbook_action"
    http.post(tick, json={"action": "call_119"}, headers=headers[Role.OFFICE]).raise_for_status()
    offers = {
        c["name"]: c
        for c in http.get(f"/api/v1/incidents/{incident}/commands", headers=headers[Role.OFFICE]).json()[
            "commands"
        ]
    }
    change = offers["change_level"]
    assert change["label"] == {"zh": "调整预警级别", "en": "Change the level"}
    fields = {f["name"]: f for f in change["fields"]}
    assert list(fields) == ["level", "reason", "occurred_at"]  # the time it happened last, optional
    assert (fields["level"]["kind"], fields["level"]["required"]) == ("choice", True)
    assert {"code": "red", "zh": "红色", "en": "Red"} in fields["level"]["choices"]
    assert fields["reason"]["label"] == {"zh": "原因", "en": "Reason"}
    assert (fields["occurred_at"]["kind"], fields["occurred_at"]["required"]) == ("time", False)
    action = {f["name"]: f for f in offers["complete_playbook_action"]["fields"]}["action"]
    codes = [c["code"] for c in action["choices"]]
    assert "fight_fire" in codes
    assert "call_119" not in codes  # only the actions still open
    authority = {f["name"]: f for f in offers["notify_authority"]["fields"]}["authority"]
    assert {"code": "superior_office", "zh": "上级行服务突发事件应急处理办公室"}.items() <= next(
        c for c in authority["choices"] if c["code"] == "superior_office"
    ).items()
    satisfied = {f["name"]: f for f in offers["follow_up"]["fields"]}["satisfied"]
    assert (satisfied["kind"], satisfied["required"], satisfied["nullable"]) == ("boolean", False, True)


def test_the_vocabulary_and_the_page_settings_are_served_to_anyone(
    bank: tuple[httpx.Client, dict[Role, dict[str, str]]],
) -> None:
    http, _ = bank
    words = http.get("/api/v1/vocabulary").json()
    assert words["events"]["LevelChanged"] == {"zh": "调整预警级别", "en": "Level changed"}
    assert words["fields"]["completes"]["en"] == "Actions it completes"
    assert (
        words["values"]["authority"]["superior_office"]["en"] == "Superior office's emergency handling office"
    )
    assert words["errors"]["version_conflict"]["zh"]
    assert http.get("/web/settings").json() == {"time_zone": "Asia/Shanghai"}
