"""An incident at a version or an instant, and its history for an auditor, through HTTP on both stores."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from domain.moments import LATE_REPORT_AFTER
from domain.values import Role
from interfaces.cli.main import cli
from interfaces.settings import Settings
from tests.e2e.server import issue_token

OUTLET = "BJ-HD-01"
COMPLAINT = {
    "outlet": OUTLET,
    "channel": "walk_in",
    "category": "service_quality",
    "summary": "排队太久 waited too long",
    "contact": {"name": "张三", "phone": "13800138000"},
}


@pytest.fixture
def http(server: str, settings: Settings) -> Iterator[httpx.Client]:
    token = issue_token(settings, Role.BRANCH, OUTLET, "王丽 大堂经理")
    with httpx.Client(base_url=server, headers={"Authorization": f"Bearer {token}"}) as client:
        yield client


def report(http: httpx.Client, occurred_at: datetime | None = None) -> str:
    body = {**COMPLAINT, **({"occurred_at": occurred_at.isoformat()} if occurred_at else {})}
    answer = http.post("/api/v1/complaints", json=body)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["incident_id"])


def command(http: httpx.Client, incident_id: str, name: str, **body: Any) -> None:
    answer = http.post(f"/api/v1/complaints/{incident_id}/{name}", json=body)
    assert answer.status_code == 200, answer.text


def at(http: httpx.Client, incident_id: str, **params: str) -> httpx.Response:
    return http.get(f"/api/v1/incidents/{incident_id}", params=params)


def refusal(answer: httpx.Response) -> tuple[int, str | None]:
    return answer.status_code, answer.json()["error"]["field"]


def test_a_version_reads_the_incident_as_it_was_then_without_an_etag(http: httpx.Client) -> None:
    incident_id = report(http)
    command(http, incident_id, "acknowledge")
    command(http, incident_id, "apologise", note="当面道歉")
    first = at(http, incident_id, version="1")
    assert first.status_code == 200
    body = first.json()
    assert (body["version"], body["head_version"], body["past"]) == (1, 3, True)
    assert body["next_expected_step"]["code"] == "acknowledge"
    assert body["details"]["apologised"] is False
    assert "ETag" not in first.headers  # nothing can be sent against a past state
    recorded = http.get(f"/api/v1/incidents/{incident_id}/history").json()["events"][0]["recorded_at"]
    assert datetime.fromisoformat(body["judged_at"]) == datetime.fromisoformat(recorded)
    head = at(http, incident_id, version="3")
    assert (head.json()["past"], head.headers["ETag"]) == (False, '"3"')
    now = at(http, incident_id).json()
    assert (now["version"], now["head_version"], now["past"], now["as_of"]) == (3, 3, False, None)
    assert now["judged_at"] is None  # now, whenever it is read


def test_a_late_report_stands_on_the_occurred_axis_before_it_was_recorded(http: httpx.Client) -> None:
    start = datetime.now(UTC)
    incident_id = report(http, occurred_at=start - timedelta(hours=3))  # entered three hours late
    command(http, incident_id, "acknowledge")
    command(http, incident_id, "apologise", occurred_at=(start - timedelta(hours=2)).isoformat())
    hour_ago = (start - timedelta(hours=1)).isoformat()
    occurred = at(http, incident_id, as_of=hour_ago, axis="occurred").json()
    # v3 had happened an hour ago, but not v2 (the acknowledgement): a state is a prefix.
    assert (occurred["version"], occurred["past"], occurred["axis"]) == (1, True, "occurred")
    assert datetime.fromisoformat(occurred["as_of"]) == start - timedelta(hours=1)
    recorded = at(http, incident_id, as_of=hour_ago, axis="recorded")
    assert refusal(recorded) == (422, "as_of")  # the office could not have seen it an hour ago
    assert "before this complaint existed" in recorded.json()["error"]["message"]
    events = http.get(f"/api/v1/incidents/{incident_id}/history").json()["events"]
    second_recorded = events[1]["recorded_at"]
    as_recorded = at(http, incident_id, as_of=second_recorded).json()  # axis defaults to recorded
    assert (as_recorded["version"], as_recorded["axis"]) == (2, "recorded")
    assert at(http, incident_id, as_of=events[2]["recorded_at"]).json()["past"] is False
    later = at(http, incident_id, as_of=(datetime.now(UTC) + timedelta(days=1)).isoformat(), axis="occurred")
    assert (later.json()["version"], later.json()["past"], later.headers["ETag"]) == (3, False, '"3"')


def test_overdue_is_judged_at_the_instant_asked_for(http: httpx.Client) -> None:
    received = datetime.now(UTC) - timedelta(days=20)  # a paper complaint entered 20 days on
    incident_id = report(http, occurred_at=received)
    assert at(http, incident_id).json()["overdue"] is True
    asked = received + timedelta(days=1)
    then = at(http, incident_id, as_of=asked.isoformat(), axis="occurred").json()
    assert (then["overdue"], datetime.fromisoformat(then["judged_at"])) == (False, asked)


def test_the_history_shows_corrections_beside_what_they_correct_and_late_entries(http: httpx.Client) -> None:
    incident_id = report(http, occurred_at=datetime.now(UTC) - timedelta(minutes=40))
    command(http, incident_id, "add_note", text="客户18点离开")
    command(http, incident_id, "correct_entry", corrects_version=2, reason="笔误", correction="客户19点离开")
    command(
        http, incident_id, "correct_entry", corrects_version=2, reason="再核", correction="客户19点半离开"
    )
    events = http.get(f"/api/v1/incidents/{incident_id}/history").json()["events"]
    note, first, second = events[1], events[2], events[3]
    assert [(c["version"], c["correction"], c["reason"]) for c in note["corrections"]] == [
        (3, "客户19点离开", "笔误"),
        (4, "客户19点半离开", "再核"),
    ]
    assert note["corrections"][0]["actor"]["name"] == "王丽 大堂经理"
    assert note["corrections"][0]["recorded_at"] == first["recorded_at"]
    assert first["corrects"] == second["corrects"] == {"version": 2, "event": "NoteAdded"}
    assert note["corrects"] is None
    assert first["corrections"] == []
    reported = events[0]
    assert reported["late"] is True
    assert reported["recorded_after_seconds"] > 40 * 60 - 1
    assert reported["recorded_after_seconds"] > LATE_REPORT_AFTER.total_seconds()
    assert [e["late"] for e in events[1:]] == [False, False, False]
    window = http.get(
        f"/api/v1/incidents/{incident_id}/history", params={"from_version": "2", "to_version": "3"}
    ).json()["events"]
    assert [e["version"] for e in window] == [2, 3]
    assert len(window[0]["corrections"]) == 2  # a correction past the window still shows beside its target


def test_bad_versions_instants_and_axes_are_422s_naming_the_parameter(http: httpx.Client) -> None:
    incident_id = report(http)
    command(http, incident_id, "add_note", text="一")
    instant = datetime.now(UTC).isoformat()
    for params, field in [
        ({"version": "0"}, "version"),
        ({"version": "3"}, "version"),  # past the head (2)
        ({"version": "two"}, "version"),
        ({"version": str(2**70)}, "version"),
        ({"version": "1", "as_of": instant}, "as_of"),
        ({"axis": "occurred"}, "axis"),
        ({"as_of": instant, "axis": "sideways"}, "axis"),
        ({"as_of": "2026-11-02T09:30:00"}, "as_of"),  # naive: which clock's 09:30?
        ({"as_of": "yesterday"}, "as_of"),
        ({"as_of": "2001-01-01T00:00:00+00:00"}, "as_of"),  # before the incident
        ({"as_of": "0001-01-01T00:00:00+14:00"}, "as_of"),  # no UTC equivalent
        ({"versoin": "1"}, "versoin"),
    ]:
        assert refusal(at(http, incident_id, **params)) == (422, field), params
    history = f"/api/v1/incidents/{incident_id}/history"
    assert refusal(http.get(history, params={"from_version": "3"})) == (422, "from_version")
    assert refusal(http.get(history, params={"from_version": "2", "to_version": "1"})) == (422, "to_version")
    assert refusal(http.get(history, params={"as_of": instant})) == (422, "as_of")  # not a history's
    assert at(http, incident_id).json()["version"] == 2  # nothing was recorded by any of them


def test_a_caller_who_cannot_read_the_incident_is_refused_alike_at_every_state(
    http: httpx.Client, server: str, settings: Settings
) -> None:
    incident_id = report(http)
    command(http, incident_id, "add_note", text="一")
    other = {"Authorization": f"Bearer {issue_token(settings, Role.BRANCH, 'SH-PD-01', '别的网点')}"}
    today = httpx.get(f"{server}/api/v1/incidents/{incident_id}", headers=other)
    assert today.status_code == 403
    instant = datetime.now(UTC).isoformat()
    for params in [
        {"version": "1"},
        {"version": "2"},
        {"version": "99"},  # past the head: refused as out of scope, the head is not revealed
        {"as_of": instant},
        {"as_of": "2001-01-01T00:00:00+00:00", "axis": "occurred"},
    ]:
        answer = httpx.get(f"{server}/api/v1/incidents/{incident_id}", params=params, headers=other)
        assert (answer.status_code, answer.json()) == (today.status_code, today.json()), params
    history = httpx.get(f"{server}/api/v1/incidents/{incident_id}/history?from_version=9", headers=other)
    assert history.status_code == 403
    unknown = http.get(f"/api/v1/incidents/{uuid.uuid4()}", params={"version": "1"})
    assert unknown.status_code == 404


def test_an_auditor_sees_a_past_state_masked_as_today(
    http: httpx.Client, server: str, settings: Settings
) -> None:
    incident_id = report(http)
    command(http, incident_id, "acknowledge")
    auditor = {"Authorization": f"Bearer {issue_token(settings, Role.AUDITOR)}"}
    past = httpx.get(f"{server}/api/v1/incidents/{incident_id}?version=1", headers=auditor).json()
    assert past["past"] is True
    assert past["details"]["contact"] == "<personal>"
    assert "13800138000" not in str(past)


def incident_cli(server: str, settings: Settings, tmp_path: Path, *args: str) -> Result:
    env = {
        "INCIDENT_URL": server,
        "INCIDENT_TOKEN": issue_token(settings, Role.BRANCH, OUTLET, "王丽 大堂经理"),
        "INCIDENT_OUTBOX": str(tmp_path / "branch.outbox"),
    }
    return CliRunner().invoke(cli, list(args), env=env)


def test_incident_show_reads_a_version_or_an_instant_and_says_it_is_past(
    http: httpx.Client, server: str, settings: Settings, tmp_path: Path
) -> None:
    start = datetime.now(UTC)
    incident_id = report(http, occurred_at=start - timedelta(hours=3))
    command(http, incident_id, "acknowledge")
    now = incident_cli(server, settings, tmp_path, "show", incident_id)
    assert now.exit_code == 0, now.output
    assert "PAST STATE" not in now.stdout
    past = incident_cli(server, settings, tmp_path, "show", incident_id, "--version", "1")
    assert past.exit_code == 0, past.output
    assert "【过去状态 PAST STATE】 版本 Version 1 / 最新 head 2" in past.stdout
    hour_ago = (start - timedelta(hours=1)).isoformat()
    occurred = incident_cli(
        server, settings, tmp_path, "show", incident_id, "--as-of", hour_ago, "--axis", "occurred", "--json"
    )
    assert occurred.exit_code == 0, occurred.output
    assert json.loads(occurred.stdout)["version"] == 1
    assert (
        "按发生时间 As occurred"
        in incident_cli(
            server, settings, tmp_path, "show", incident_id, "--as-of", hour_ago, "--axis", "occurred"
        ).stdout
    )
    refused = incident_cli(server, settings, tmp_path, "show", incident_id, "--as-of", hour_ago)
    assert refused.exit_code != 0
    assert "as_of" in refused.output  # not recorded yet an hour ago: the server names the parameter
    naive = incident_cli(server, settings, tmp_path, "show", incident_id, "--as-of", "2026-11-02T09:30")
    assert naive.exit_code == 2  # a usage error, before anything is sent
    assert "--as-of" in naive.output


def test_incident_history_prints_corrections_beside_what_they_correct_and_marks_late_entries(
    http: httpx.Client, server: str, settings: Settings, tmp_path: Path
) -> None:
    incident_id = report(http, occurred_at=datetime.now(UTC) - timedelta(hours=2))
    command(http, incident_id, "add_note", text="客户18点离开")
    command(http, incident_id, "correct_entry", corrects_version=2, reason="笔误", correction="客户19点离开")
    printed = incident_cli(server, settings, tmp_path, "history", incident_id)
    assert printed.exit_code == 0, printed.output
    lines = printed.stdout.splitlines()
    reported = next(i for i, line in enumerate(lines) if line.startswith("  v1 "))
    assert "【补录 LATE +2小时 h】" in lines[reported]
    note = next(i for i, line in enumerate(lines) if line.startswith("  v2 "))
    assert "LATE" not in lines[note]
    correction = next(i for i, line in enumerate(lines) if line.startswith("  v3 "))
    beside = [line for line in lines[note:correction] if "已更正 corrected by v3" in line]
    assert len(beside) == 1, printed.stdout  # under the note it corrects, before the correction's own line
    assert "客户19点离开" in beside[0]
    assert "原因 reason: 笔误" in beside[0]
    assert any("↑ 更正 corrects v2 NoteAdded" in line for line in lines)
    window = incident_cli(
        server,
        settings,
        tmp_path,
        "history",
        incident_id,
        "--from-version",
        "2",
        "--to-version",
        "2",
        "--json",
    )
    assert [e["version"] for e in json.loads(window.stdout)["events"]] == [2]


def test_the_timeline_of_the_detail_view_marks_late_entries_as_the_history_does(http: httpx.Client) -> None:
    incident_id = report(http, occurred_at=datetime.now(UTC) - timedelta(hours=2))
    noted = http.post(f"/api/v1/complaints/{incident_id}/add_note", json={"text": "现场记录"}).json()
    timeline = http.get(f"/api/v1/incidents/{incident_id}/timeline", params={"after": noted["position"]})
    assert timeline.status_code == 200, timeline.text
    history = http.get(f"/api/v1/incidents/{incident_id}/history").json()["events"]
    assert [e["late"] for e in timeline.json()["events"]] == [e["late"] for e in history] == [True, False]
