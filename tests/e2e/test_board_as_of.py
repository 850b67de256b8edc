"""The boards as of a past instant, on both axes and both stores: at the head they equal the live boards,
and at any instant they agree with each incident read at that instant on its own (another path)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from domain.values import Role
from interfaces.cli.main import cli
from interfaces.settings import Settings
from tests.e2e.server import issue_token

HERE, THERE = "BJ-HD-01", "SH-PD-01"


@dataclass
class History:
    """What the office did, and the instants between its steps."""

    office: httpx.Client
    branch: httpx.Client
    incidents: list[str]
    start: datetime
    end: datetime
    late: str  # recorded last, as having happened before `start`
    position: int  # the log position of the last event posted: live reads wait for the boards to reach it


def _now() -> datetime:
    return datetime.now(UTC)


def _post(http: httpx.Client, path: str, body: dict[str, Any]) -> httpx.Response:
    answer = http.post(path, json=body)
    assert answer.status_code in (200, 201), answer.text
    return answer


@pytest.fixture
def history(server: str, settings: Settings) -> Iterator[History]:
    office_token = issue_token(settings, Role.OFFICE, "HQ")
    branch_token = issue_token(settings, Role.BRANCH, HERE)
    with (
        # A client's patience, not a timing claim: a loaded CI machine once took over httpx's 5 s.
        httpx.Client(
            base_url=server, headers={"Authorization": f"Bearer {office_token}"}, timeout=30
        ) as office,
        httpx.Client(
            base_url=server, headers={"Authorization": f"Bearer {branch_token}"}, timeout=30
        ) as branch,
    ):
        start = _now()
        time.sleep(0.02)
        incidents = []
        for outlet, kind in [(HERE, "fire"), (THERE, "robbery"), (HERE, "customer_surge")]:
            body = {"outlet": outlet, "kind": kind, "level": "blue", "summary": f"{outlet} {kind}"}
            incidents.append(_post(office, "/api/v1/emergencies", body).json()["incident_id"])
            time.sleep(0.02)
        _post(office, f"/api/v1/emergencies/{incidents[0]}/change_level", {"level": "red", "reason": "蔓延"})
        time.sleep(0.02)
        summary = {"summary": "已处置 handled", "waiver_reason": "演示 demo"}
        _post(office, f"/api/v1/emergencies/{incidents[1]}/stand_down", summary)
        time.sleep(0.02)
        _post(office, f"/api/v1/emergencies/{incidents[1]}/close", {"summary": "结案 closed"})
        time.sleep(0.02)
        complaint = {"outlet": HERE, "channel": "walk_in", "category": "service_quality", "summary": "排队"}
        incidents.append(_post(branch, "/api/v1/complaints", complaint).json()["incident_id"])
        time.sleep(0.02)
        # A late report: it happened before the first of them, and is recorded last.
        late_body = {
            "outlet": HERE,
            "kind": "disruptive_person",
            "level": "orange",
            "summary": "补录 reported late",
            "occurred_at": (start - timedelta(minutes=30)).isoformat(),
        }
        recorded = _post(office, "/api/v1/emergencies", late_body).json()
        late = recorded["incident_id"]
        incidents.append(late)
        time.sleep(0.02)
        yield History(office, branch, incidents, start, _now(), late, int(recorded["position"]))


def _board(http: httpx.Client, **params: str) -> dict[str, Any]:
    answer = http.get("/api/v1/boards/office", params=params)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _code(value: Any) -> str:
    return str(value["code"] if isinstance(value, dict) else value)


def _rows(board: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {row["incident_id"]: (_code(row["level"]), _code(row["status"])) for row in board["incidents"]}


def _each_on_its_own(
    http: httpx.Client, incidents: list[str], instant: datetime, axis: str
) -> dict[str, Any]:
    """The open incidents at `instant`, each read at that instant by the incident's own time travel."""
    expected = {}
    for incident_id in incidents:
        answer = http.get(
            f"/api/v1/incidents/{incident_id}", params={"as_of": instant.isoformat(), "axis": axis}
        )
        if answer.status_code == 422:  # it did not exist yet on that axis
            continue
        assert answer.status_code == 200, answer.text
        state = answer.json()
        if _code(state["status"]) != "closed":
            expected[incident_id] = (_code(state["level"]), _code(state["status"]))
    return expected


def test_as_of_the_head_equals_the_live_board(history: History) -> None:
    live = _board(history.office, after=str(history.position))  # once the boards have every event
    past = _board(history.office, as_of=_now().isoformat())
    assert past["past"] is True
    assert past["axis"] == "recorded"
    assert _rows(past) == _rows(live)
    assert [r["incident_id"] for r in past["incidents"]] == [r["incident_id"] for r in live["incidents"]]
    assert past["counts"] == live["counts"]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fraction=st.floats(0, 1), axis=st.sampled_from(["recorded", "occurred"]))
def test_as_of_any_instant_agrees_with_each_incident_read_at_that_instant(
    history: History, fraction: float, axis: str
) -> None:
    span = history.end - history.start + timedelta(minutes=40)
    instant = history.start - timedelta(minutes=40) + span * fraction
    board = _board(history.office, as_of=instant.isoformat(), axis=axis)
    assert board["as_of"] == instant.astimezone(UTC).isoformat()
    assert _rows(board) == _each_on_its_own(history.office, history.incidents, instant, axis)


def test_a_late_report_stands_on_the_occurred_axis_before_it_was_recorded(history: History) -> None:
    instant = (history.start - timedelta(minutes=1)).isoformat()
    assert _rows(_board(history.office, as_of=instant)) == {}
    occurred = _rows(_board(history.office, as_of=instant, axis="occurred"))
    assert occurred == {history.late: ("orange", "open")}


def test_a_closed_incident_was_on_the_board_while_it_was_open(history: History) -> None:
    robbery = history.incidents[1]
    assert robbery not in _rows(_board(history.office, after=str(history.position)))
    ever = [
        _rows(
            _board(history.office, as_of=(history.start + (history.end - history.start) * f / 20).isoformat())
        )
        for f in range(21)
    ]
    assert any(robbery in rows for rows in ever)


def test_a_branch_sees_only_its_outlet_at_a_past_instant(history: History) -> None:
    board = _board(history.branch, as_of=history.end.isoformat())
    assert board["incidents"]
    assert {row["outlet"] for row in board["incidents"]} == {HERE}


def test_the_wall_and_the_statistics_as_of_an_instant(history: History) -> None:
    before = (history.start - timedelta(hours=2)).isoformat()
    wall = history.office.get("/api/v1/boards/wall", params={"as_of": before})
    assert wall.status_code == 200, wall.text
    assert wall.json()["past"] is True
    live_wall = history.office.get("/api/v1/boards/wall").json()
    assert wall.json()["units"] != live_wall["units"]
    at_end = history.office.get("/api/v1/boards/wall", params={"as_of": _now().isoformat()}).json()
    assert at_end["units"] == live_wall["units"]
    stats = history.office.get("/api/v1/boards/complaint-stats", params={"as_of": before}).json()
    assert sum(group["received"] for group in stats["groups"]) == 0
    now = history.office.get("/api/v1/boards/complaint-stats", params={"as_of": _now().isoformat()}).json()
    assert sum(group["received"] for group in now["groups"]) == 1


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"axis": "occurred"}, "axis"),
        ({"as_of": "2999-01-01T00:00:00+08:00"}, "as_of"),
        ({"as_of": "2026-01-01T00:00:00+08:00", "after": "1"}, "after"),
        ({"as_of": "2026-01-01T00:00:00"}, "as_of"),  # no offset: which zone?
        ({"as_of": "2026-01-01T00:00:00+08:00", "axis": "sideways"}, "axis"),
    ],
)
def test_a_past_board_asked_badly_is_refused_naming_the_parameter(
    history: History, params: dict[str, str], field: str
) -> None:
    for board in ("office", "wall", "complaint-stats"):
        answer = history.office.get(f"/api/v1/boards/{board}", params=params)
        assert answer.status_code == 422, (board, answer.text)
        assert field in answer.text, (board, answer.text)


def test_incident_board_prints_the_board_now_and_as_of_an_instant(
    history: History, server: str, settings: Settings, tmp_path: Path
) -> None:
    env = {
        "INCIDENT_URL": server,
        "INCIDENT_TOKEN": issue_token(settings, Role.OFFICE, "HQ"),
        "INCIDENT_OUTBOX": str(tmp_path / "office.outbox"),
    }
    now = CliRunner().invoke(cli, ["board"], env=env)
    assert now.exit_code == 0, now.output
    assert "Office board now: 4 open" in now.output
    before = (history.start - timedelta(minutes=1)).isoformat()
    recorded = CliRunner().invoke(cli, ["board", "--as-of", before], env=env)
    assert recorded.exit_code == 0, recorded.output
    assert "(按记录时间 as recorded): 0 open" in recorded.output
    occurred = CliRunner().invoke(cli, ["board", "--as-of", before, "--axis", "occurred", "--json"], env=env)
    assert occurred.exit_code == 0, occurred.output
    body = json.loads(occurred.output)
    assert [row["incident_id"] for row in body["incidents"]] == [history.late]
    refused = CliRunner().invoke(cli, ["board", "--axis", "occurred"], env=env)
    assert refused.exit_code != 0
    assert "axis" in refused.output
