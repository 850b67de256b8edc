"""Stale boards through the real server, on both stores: /readyz, every board read, `after=`, a worker's failure."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest

from application.incident_desk import IncidentDesk
from application.store.database_url import store_env
from domain.values import Role
from interfaces.boards.health import Backoff
from interfaces.boards.leader import LeaderLock
from interfaces.boards.runner import BoardRunner
from interfaces.boards.wiring import make_boards
from interfaces.settings import Settings
from interfaces.sql_engine import engine_for
from tests.e2e.server import issue_token, running_server
from tests.failing_boards import YEAR_ONE, RefusingBoard, eventually, record_unprojectable_report

BOARD_READS = ["/api/v1/boards/office", "/api/v1/boards/wall", "/api/v1/boards/complaint-stats"]


class Office:
    """The office's client of one server."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.headers = url, {"Authorization": f"Bearer {token}"}

    def emergency(self, level: str = "yellow") -> dict[str, Any]:
        body = {"outlet": "BJ-HD-01", "kind": "fire", "level": level, "summary": "营业厅冒烟"}
        response = httpx.post(f"{self.url}/api/v1/emergencies", json=body, headers=self.headers, timeout=10)
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer

    def get(self, path: str, **params: Any) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", params=params, headers=self.headers, timeout=30)


@pytest.fixture
def desk(settings: Settings) -> Iterator[IncidentDesk]:
    """A second writer on the server's store, for the events the API would refuse.

    It creates the log's tables (a store creates only what is missing), so that a worker started
    before the server finds them.
    """
    desk = IncidentDesk(store_env(settings.database_url))
    yield desk
    desk.close()


def not_ready(url: str) -> dict[str, Any] | None:
    response = httpx.get(f"{url}/readyz", timeout=10)
    if response.status_code != 503:
        return None
    found: dict[str, Any] = response.json()
    return found


def test_an_event_the_boards_cannot_take_makes_readyz_503_and_every_board_read_say_stale(
    server: str, settings: Settings, desk: IncidentDesk
) -> None:
    office = Office(server, issue_token(settings, Role.OFFICE, "HQ"))
    before = office.emergency()
    poison = record_unprojectable_report(desk, occurred_at=YEAR_ONE)
    red_fire = office.emergency(level="red")

    ready = eventually(lambda: not_ready(server), what="/readyz saying 503")
    assert ready["status"] == "boards_stale"
    assert ready["boards"]["stale"]["stuck_at"] == poison
    assert "OverflowError" in ready["boards"]["stale"]["reason"]
    assert f"stuck at position {poison} (board_checkpoints)" in ready["detail"]

    for path in [*BOARD_READS, f"/api/v1/incidents/{before['incident_id']}/timeline"]:
        read = office.get(path)
        assert read.status_code == 200, path
        body = read.json()
        assert (body["position"], body["head"]) == (before["position"], red_fire["position"]), path
        assert body["stale"]["stuck_at"] == poison, path
        assert body["stale"]["since"], path
    shown = {row["incident_id"] for row in office.get("/api/v1/boards/office").json()["incidents"]}
    assert before["incident_id"] in shown  # everything before the bad event is on the board
    assert red_fire["incident_id"] not in shown

    started = time.monotonic()
    unreachable = office.get("/api/v1/boards/office", after=red_fire["position"])
    assert time.monotonic() - started < 5  # at once, not after the 10 s wait
    assert unreachable.status_code == 503
    message = unreachable.json()["error"]["message"]
    assert f"stuck at position {poison}" in message
    assert "OverflowError" in message
    assert f"position {red_fire['position']} cannot be reached" in message
    assert unreachable.headers["X-Boards-Stale-Since"] == body["stale"]["since"]
    assert int(unreachable.headers["Retry-After"]) >= 1
    assert office.get("/api/v1/boards/office", after=before["position"]).status_code == 200


def test_a_worker_reports_its_failure_and_recovery_to_a_server_that_does_not_project(
    settings: Settings, desk: IncidentDesk
) -> None:
    url = settings.database_url
    engine = engine_for(url)
    refusing = RefusingBoard()
    worker = BoardRunner(
        desk, engine, [*make_boards(desk), refusing], LeaderLock(engine, url), backoff=Backoff(0.05, 0.4)
    )
    worker.start()
    try:
        with running_server(replace(settings, run_boards=False)) as server:
            office = Office(server, issue_token(settings, Role.OFFICE, "HQ"))
            first = office.emergency()
            assert office.get("/api/v1/boards/office", after=first["position"]).json()["stale"] is None
            assert httpx.get(f"{server}/readyz").status_code == 200
            refusing.refuse_from = first["position"] + 1
            red_fire = office.emergency(level="red")

            ready = eventually(lambda: not_ready(server), what="/readyz saying 503")
            assert ready["boards"]["stale"]["stuck_at"] == red_fire["position"]
            assert ready["boards"]["stale"]["board"] == "refusing_board"
            started = time.monotonic()
            assert office.get("/api/v1/boards/office", after=red_fire["position"]).status_code == 503
            assert time.monotonic() - started < 5

            refusing.refuse_from = None  # fixed: the worker's next attempt gets past it
            eventually(lambda: httpx.get(f"{server}/readyz").status_code == 200, what="ready again")
            board = office.get("/api/v1/boards/office", after=red_fire["position"])
            assert board.status_code == 200
            assert board.json()["stale"] is None
            assert red_fire["incident_id"] in {row["incident_id"] for row in board.json()["incidents"]}
    finally:
        worker.stop()
        engine.dispose()
