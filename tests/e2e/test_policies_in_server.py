"""The policies run inside `incident serve`: what they record shows on the boards without anyone asking."""

from __future__ import annotations

import time
from typing import Any

import httpx

from domain.values import Role
from interfaces.settings import Settings
from tests.e2e.server import issue_token, running_server


def wait_for_board(server: str, headers: dict[str, str], found: Any, **params: str) -> dict[str, Any]:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        board = httpx.get(f"{server}/api/v1/boards/office", headers=headers, params=params).json()
        if found(board):
            return dict(board)
        time.sleep(0.1)
    raise AssertionError(f"the board never showed it: {board}")


def test_a_queue_over_the_threshold_opens_a_surge_shown_with_its_readings(sqlite_url: str) -> None:
    settings = Settings(database_url=sqlite_url)
    with running_server(settings) as server:
        branch = {"Authorization": f"Bearer {issue_token(settings, Role.BRANCH, 'BJ-HD-01')}"}
        posted = httpx.post(
            f"{server}/api/v1/outlets/BJ-HD-01/queue-readings",
            json={"waiting": 18, "longest_wait_minutes": 12},
            headers=branch,
        )
        assert posted.status_code == 200, posted.text
        board = wait_for_board(server, branch, lambda b: b["incidents"], type="emergency")
        [surge] = board["incidents"]
        assert surge["kind"]["code"] == "customer_surge"
        assert surge["last_actor_role"] == "system"
        assert surge["queue"]["latest_reading"]["waiting"] == 18


def test_a_media_complaint_is_raised_to_orange_with_its_reason_on_the_board(sqlite_url: str) -> None:
    settings = Settings(database_url=sqlite_url)
    with running_server(settings) as server:
        office = {"Authorization": f"Bearer {issue_token(settings, Role.OFFICE, 'HQ')}"}
        complaint = {
            "outlet": "SH-PD-01",
            "channel": "media",
            "category": "service_quality",
            "summary": "记者来访",
        }
        assert httpx.post(f"{server}/api/v1/complaints", json=complaint, headers=office).status_code == 201
        board = wait_for_board(server, office, lambda b: b["counts"]["orange"] == 1)
        [raised] = board["incidents"]
        assert "媒体" in raised["level_reason"]
        assert "media" in raised["level_reason"]
