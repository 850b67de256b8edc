"""Notifications inside `incident serve`: a red emergency posted over HTTP reaches a real loopback
receiver, its history shows NotificationDue then NotificationDelivered, the settings are readable
without their secrets, and a receiver that hangs holds up neither posting nor the boards."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.values import Role
from interfaces.settings import Settings
from tests.e2e.server import issue_token, running_server
from tests.integration.notify_receiver import SECRET, Receiver, receiver

__all__ = ["receiver"]

FIRE = {"outlet": "BJ-HD-01", "kind": "fire", "level": "red", "summary": "营业厅冒烟 smoke in the hall"}


def rules_file(tmp_path: Path, url: str, timeout: float = 5.0) -> Path:
    path = tmp_path / "notifications.toml"
    path.write_text(
        f"""
board_url = "https://board.bank.example"

[channels.office-hook]
type = "webhook"
url = "{url}"
secret_env = "TEST_NOTIFY_SECRET"
timeout_seconds = {timeout}

[[rules]]
name = "red-orange"
triggers = ["raised"]
min_level = "orange"
units = ["BJ"]
channels = ["office-hook"]
""",
        encoding="utf-8",
    )
    return path


def history_until(server: str, headers: dict[str, str], incident_id: str, event: str) -> list[dict[str, Any]]:
    """The incident's history once it holds `event` (recorded by the server's own workers, at no known position)."""
    deadline = time.monotonic() + 20
    events: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        events = httpx.get(f"{server}/api/v1/incidents/{incident_id}/history", headers=headers).json()[
            "events"
        ]
        if any(e["event"] == event for e in events):
            return events
        time.sleep(0.05)
    raise AssertionError(f"the history never showed {event}: {[e['event'] for e in events]}")


def test_a_red_emergency_posted_over_http_reaches_the_receiver_and_is_on_the_record(
    sqlite_url: str, tmp_path: Path, receiver: tuple[Receiver, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    state, url = receiver
    monkeypatch.setenv("TEST_NOTIFY_SECRET", SECRET)
    settings = Settings(database_url=sqlite_url, notifications_file=rules_file(tmp_path, url))
    with running_server(settings) as server:
        branch = {"Authorization": f"Bearer {issue_token(settings, Role.BRANCH, 'BJ-HD-01')}"}
        posted = httpx.post(f"{server}/api/v1/emergencies", json=FIRE, headers=branch)
        assert posted.status_code == 201, posted.text
        incident_id = posted.json()["incident_id"]
        events = history_until(server, branch, incident_id, "NotificationDelivered")
        names = [e["event"] for e in events]
        assert names.index("NotificationDue") < names.index("NotificationDelivered")
        due = next(e for e in events if e["event"] == "NotificationDue")
        delivered = next(e for e in events if e["event"] == "NotificationDelivered")
        assert due["actor"]["role"] == "system"
        assert due["data"]["channel"] == "office-hook"
        assert delivered["data"]["delivery_id"] == due["data"]["delivery_id"]
        assert delivered["data"]["answer"] == "200 ok"
        [(headers, body)] = state.received
        assert headers["X-Incident-Delivery"] == due["data"]["delivery_id"]
        assert body["incident_id"] == incident_id
        assert f"https://board.bank.example/#incident={incident_id}" in body["text"]
        assert "红色" in body["text"]
        assert "Red" in body["text"]


def test_the_settings_are_shown_without_their_secret_to_readers_only(
    sqlite_url: str, tmp_path: Path, receiver: tuple[Receiver, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, url = receiver
    monkeypatch.setenv("TEST_NOTIFY_SECRET", SECRET)
    settings = Settings(database_url=sqlite_url, notifications_file=rules_file(tmp_path, url))
    with running_server(settings) as server:
        office = {"Authorization": f"Bearer {issue_token(settings, Role.OFFICE, 'HQ')}"}
        branch = {"Authorization": f"Bearer {issue_token(settings, Role.BRANCH, 'BJ-HD-01')}"}
        answer = httpx.get(f"{server}/api/v1/settings/notifications", headers=office)
        assert answer.status_code == 200, answer.text
        shown = answer.json()
        assert SECRET not in answer.text
        [channel] = shown["channels"]
        assert (channel["name"], channel["type"]) == ("office-hook", "webhook")
        assert channel["secrets"] == {"url": "file", "secret": "env TEST_NOTIFY_SECRET"}
        [rule] = shown["rules"]
        assert (rule["name"], rule["min_level"], rule["units"]) == ("red-orange", "orange", ["BJ"])
        assert shown["delivery"]["leading"] in (True, False)
        refused = httpx.get(f"{server}/api/v1/settings/notifications", headers=branch)
        assert refused.status_code == 403
        # What the file said at start is on the record, as lines, without the secret.
        history = httpx.get(f"{server}/api/v1/settings/notifications/history", headers=office)
        assert history.status_code == 200, history.text
        [loaded] = history.json()
        assert (loaded["event"], loaded["removed"]) == ("loaded", [])
        assert any(
            line.startswith("rule red-orange: triggers raised; min_level orange") for line in loaded["added"]
        )
        assert SECRET not in history.text
        assert httpx.get(f"{server}/api/v1/settings/notifications/history", headers=branch).status_code == 403


def test_a_receiver_that_hangs_holds_up_neither_posting_nor_the_boards(
    sqlite_url: str, tmp_path: Path, receiver: tuple[Receiver, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    state, url = receiver
    state.mode = "hang"  # answers nothing until released (10 s at most), longer than the channel waits
    monkeypatch.setenv("TEST_NOTIFY_SECRET", SECRET)
    settings = Settings(database_url=sqlite_url, notifications_file=rules_file(tmp_path, url, timeout=1.0))
    with running_server(settings) as server:
        office = {"Authorization": f"Bearer {issue_token(settings, Role.OFFICE, 'HQ')}"}
        first = httpx.post(f"{server}/api/v1/emergencies", json=FIRE, headers=office).json()
        history_until(server, office, first["incident_id"], "NotificationDue")
        # While the worker waits on the receiver, posts are stored and the boards reach them.
        posted = [
            httpx.post(f"{server}/api/v1/emergencies", json={**FIRE, "outlet": "BJ-HD-02"}, headers=office)
            for _ in range(3)
        ]
        assert [p.status_code for p in posted] == [201, 201, 201]
        board = httpx.get(
            f"{server}/api/v1/boards/office",
            headers=office,
            params={"after": str(posted[-1].json()["position"])},
        )
        assert board.status_code == 200
        assert len(board.json()["incidents"]) == 4
        events = history_until(server, office, first["incident_id"], "NotificationFailed")
        failed = next(e for e in events if e["event"] == "NotificationFailed")
        assert "timed out" in failed["data"]["error"] or "Timeout" in failed["data"]["error"]
        assert state.received == []
