"""The policies run inside `incident serve`: what they record shows on the boards without anyone asking."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import websockets

from domain.values import Role
from interfaces.settings import Settings
from tests.e2e.server import issue_token, running_server


def recorded_by_the_policies(server: str, headers: dict[str, str], after: int) -> dict[str, Any]:
    """The first event after `after` that the server's policies recorded, as the feed delivers it."""
    url = server.replace("http://", "ws://") + f"/api/v1/feed?after={after}"

    async def receive() -> dict[str, Any]:
        async with websockets.connect(url, additional_headers=headers) as ws:
            while True:
                message = json.loads(await ws.recv())
                if message["kind"] == "event" and message["actor"]["role"] == "system":
                    return dict(message)

    return asyncio.run(asyncio.wait_for(receive(), 20))


def office_board(server: str, headers: dict[str, str], after: int, **params: str) -> dict[str, Any]:
    """The office board once the boards have projected the log up to `after`."""
    answer = httpx.get(
        f"{server}/api/v1/boards/office", headers=headers, params={**params, "after": str(after)}
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


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
        opened = recorded_by_the_policies(server, branch, after=posted.json()["position"])
        assert (opened["event"], opened["incident_type"]) == ("Reported", "emergency")
        board = office_board(server, branch, after=opened["position"], type="emergency")
        [surge] = board["incidents"]
        assert surge["incident_id"] == opened["incident_id"]
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
        reported = httpx.post(f"{server}/api/v1/complaints", json=complaint, headers=office)
        assert reported.status_code == 201, reported.text
        raised = recorded_by_the_policies(server, office, after=reported.json()["position"])
        assert (raised["incident_id"], raised["level"]) == (reported.json()["incident_id"], "orange")
        board = office_board(server, office, after=raised["position"])
        assert board["counts"]["orange"] == 1
        [row] = board["incidents"]
        assert "媒体" in row["level_reason"]
        assert "media" in row["level_reason"]
