"""The WebSocket feed with a real client: auth, replay then live, filters, scope, overflow, processes."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from domain.values import Role
from interfaces.settings import Settings
from tests.e2e.server import free_port, issue_token, running_server, serve_process, token_secret

FIRE = {"outlet": "BJ-HD-01", "kind": "fire", "level": "orange", "summary": "营业厅冒烟 smoke"}
COMPLAINT = {"outlet": "SH-PD-01", "channel": "walk_in", "category": "service_quality", "summary": "排队太久"}


def ws_url(server: str, **params: Any) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return server.replace("http://", "ws://") + "/api/v1/feed" + (f"?{query}" if query else "")


def post(server: str, token: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = httpx.post(f"{server}{path}", json=body, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code in (200, 201), answer.text
    return dict(answer.json())


def by_people(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events people posted (the server's own policies may add theirs, e.g. a risk raise)."""
    return [e for e in events if e["actor"]["role"] != "system"]


async def receive_events(url: str, token: str, until: int, timeout: float = 20) -> list[dict[str, Any]]:
    """Events received until one at position `until` arrives (heartbeats are skipped)."""
    events: list[dict[str, Any]] = []
    async with websockets.connect(url, additional_headers={"Authorization": f"Bearer {token}"}) as ws:
        deadline = time.monotonic() + timeout
        while not events or events[-1]["position"] < until:
            message = json.loads(await asyncio.wait_for(ws.recv(), deadline - time.monotonic()))
            if message["kind"] == "event":
                events.append(message)
    return events


@pytest.fixture
def office(settings: Settings) -> str:
    return issue_token(settings, Role.OFFICE, "HQ", "应急办 office")


def test_a_missing_or_bad_token_is_refused_before_anything_is_sent(server: str) -> None:
    async def attempt(**kwargs: Any) -> None:
        async with websockets.connect(ws_url(server), **kwargs) as ws:
            await ws.recv()

    for kwargs in (
        {},
        {"additional_headers": {"Authorization": "Bearer forged"}},
        {"subprotocols": ["bearer.forged"]},
    ):
        with pytest.raises(InvalidStatus) as refused:
            asyncio.run(attempt(**kwargs))  # type: ignore[arg-type]
        assert refused.value.response.status_code == 403


def test_a_token_in_the_url_is_not_accepted(server: str, office: str) -> None:
    async def attempt() -> None:
        async with websockets.connect(ws_url(server, token=office)) as ws:
            await ws.recv()

    with pytest.raises(InvalidStatus) as refused:
        asyncio.run(attempt())
    assert refused.value.response.status_code == 403


def test_the_servers_log_never_holds_a_token(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'logged.db'}", run_policies=False)
    token = issue_token(settings, Role.OFFICE, "HQ")
    log = tmp_path / "server.log"
    with serve_process(settings, tmp_path, log) as (url, _):

        async def feeds() -> None:
            with pytest.raises(InvalidStatus):  # the old URL form: refused, and logged redacted
                async with websockets.connect(ws_url(url, token=token)) as ws:
                    await ws.recv()
            # A header token with a token in the URL as well: served, and the URL still redacted.
            headers = {"Authorization": f"Bearer {token}"}
            async with websockets.connect(
                ws_url(url, after=0, token=token), additional_headers=headers
            ) as ws:
                assert json.loads(await asyncio.wait_for(ws.recv(), 10))["kind"] == "heartbeat"
            async with websockets.connect(ws_url(url), subprotocols=["incident.v1", f"bearer.{token}"]) as ws:
                assert json.loads(await asyncio.wait_for(ws.recv(), 10))["kind"] == "heartbeat"

        asyncio.run(feeds())
        # A token in a read's URL is an unknown parameter: refused (422), and still logged redacted.
        refused = httpx.get(f"{url}/healthz?token={token}")
        assert refused.status_code == 422
        assert token not in refused.text
        board = httpx.get(
            f"{url}/api/v1/boards/office?token={token}", headers={"Authorization": f"Bearer {token}"}
        )
        assert board.status_code == 422
    logged = log.read_text()
    assert "GET /healthz?token=[redacted] 422 " in logged, logged  # the request lines were read
    assert "/api/v1/feed?after=0&token=[redacted]" in logged
    secret = token_secret(token)
    assert secret not in logged
    assert token not in logged


def test_replay_after_a_position_hands_over_to_live_without_gap_or_duplicate(
    server: str, office: str
) -> None:
    before = [post(server, office, "/api/v1/emergencies", FIRE) for _ in range(5)]
    resume_from = before[1]["position"]
    during: list[dict[str, Any]] = []

    def keep_posting() -> None:  # writes land while the watcher connects and replays
        for _ in range(20):
            during.append(post(server, office, "/api/v1/complaints", COMPLAINT))

    writer = threading.Thread(target=keep_posting)
    writer.start()
    writer.join()
    last = during[-1]["position"]
    events = asyncio.run(receive_events(ws_url(server, after=resume_from), office, until=last))
    positions = [e["position"] for e in events]
    assert positions == sorted(set(positions)), "no duplicate, in order"
    assert all(p > resume_from for p in positions), "nothing at or before the position"
    expected = sorted(r["position"] for r in before[2:] + during)
    assert [e["position"] for e in by_people(events)] == expected, "every event after the position"


def test_replay_and_live_meet_while_writers_keep_writing(server: str, office: str) -> None:
    start = post(server, office, "/api/v1/emergencies", FIRE)["position"]
    results: list[dict[str, Any]] = []
    stop = threading.Event()

    def keep_posting() -> None:
        while not stop.is_set() and len(results) < 30:
            results.append(post(server, office, "/api/v1/complaints", COMPLAINT))

    writer = threading.Thread(target=keep_posting)
    writer.start()
    time.sleep(0.1)  # the watcher joins mid-stream: part of what it gets is replay, part live

    async def watch() -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        headers = {"Authorization": f"Bearer {office}"}
        async with websockets.connect(ws_url(server, after=start), additional_headers=headers) as ws:
            while writer.is_alive() or not events or events[-1]["position"] < results[-1]["position"]:
                message = json.loads(await asyncio.wait_for(ws.recv(), 20))
                if message["kind"] == "event":
                    events.append(message)
        return events

    events = asyncio.run(watch())
    stop.set()
    writer.join()
    positions = [e["position"] for e in events]
    assert positions == sorted(set(positions)), "no duplicate, in order"
    assert [e["position"] for e in by_people(events)] == [r["position"] for r in results]


def test_every_message_carries_what_a_watcher_needs(server: str, office: str) -> None:
    reported = post(server, office, "/api/v1/emergencies", {**FIRE, "exercise": True})
    changed = post(
        server,
        office,
        f"/api/v1/emergencies/{reported['incident_id']}/change_level",
        {"level": "red", "reason": "蔓延"},
    )
    first, second = asyncio.run(receive_events(ws_url(server), office, until=changed["position"]))
    for message in (first, second):
        assert set(message) >= {
            "position",
            "incident_id",
            "incident_type",
            "event",
            "version",
            "unit",
            "level",
            "occurred_at",
            "recorded_at",
            "actor",
            "data",
        }
        assert message["incident_type"] == "emergency"
        assert message["unit"] == "BJ-HD-01"
        assert message["exercise"] is True
        assert message["actor"]["name"] == "应急办 office"
    assert (first["event"], first["level"], first["version"]) == ("Reported", "orange", 1)
    assert (second["event"], second["level"], second["version"]) == ("LevelChanged", "red", 2)
    assert second["data"]["reason"] == "蔓延"


def test_filters_and_scope_decide_what_a_watcher_sees(server: str, office: str, settings: Settings) -> None:
    post(server, office, "/api/v1/emergencies", FIRE)  # BJ-HD-01, orange
    post(server, office, "/api/v1/emergencies", {**FIRE, "outlet": "SH-PD-01", "level": "blue"})
    post(server, office, "/api/v1/complaints", COMPLAINT)  # SH-PD-01, blue
    last = post(server, office, "/api/v1/emergencies", {**FIRE, "outlet": "SH-PD-02", "level": "red"})[
        "position"
    ]

    def seen(token: str, **params: Any) -> list[tuple[str, str, str]]:
        async def watch() -> list[tuple[str, str, str]]:
            got: list[tuple[str, str, str]] = []
            async with websockets.connect(
                ws_url(server, **params), additional_headers={"Authorization": f"Bearer {token}"}
            ) as ws:
                while True:
                    message = json.loads(await asyncio.wait_for(ws.recv(), 10))
                    if message["kind"] == "heartbeat" and message["head"] >= last:
                        return got
                    if message["kind"] == "event":
                        got.append((message["unit"], message["incident_type"], message["level"]))

        return asyncio.run(watch())

    assert seen(office, unit="SH") == [
        ("SH-PD-01", "emergency", "blue"),
        ("SH-PD-01", "complaint", "blue"),
        ("SH-PD-02", "emergency", "red"),
    ]
    assert seen(office, type="complaint") == [("SH-PD-01", "complaint", "blue")]
    assert seen(office, min_level="orange") == [
        ("BJ-HD-01", "emergency", "orange"),
        ("SH-PD-02", "emergency", "red"),
    ]
    branch = issue_token(settings, Role.BRANCH, "SH-PD-01")
    assert seen(branch) == [("SH-PD-01", "emergency", "blue"), ("SH-PD-01", "complaint", "blue")]
    call_centre = issue_token(settings, Role.CALL_CENTRE)
    assert seen(call_centre) == [("SH-PD-01", "complaint", "blue")]


def test_a_server_whose_boards_run_elsewhere_replays_from_the_log(database_url: str) -> None:
    settings = Settings(database_url=database_url, run_boards=False)  # and no `incident project` yet
    office = issue_token(settings, Role.OFFICE, "HQ")
    with running_server(settings, heartbeat_seconds=0.5) as url:
        positions = [post(url, office, "/api/v1/emergencies", FIRE)["position"] for _ in range(3)]
        events = asyncio.run(receive_events(ws_url(url), office, until=positions[-1]))
    assert [e["position"] for e in events] == positions


@pytest.fixture
def quick_server(sqlite_settings: Settings) -> Iterator[str]:
    """A server that beats every 0.2 s and gives each watcher a queue of one message."""
    with running_server(sqlite_settings, heartbeat_seconds=0.2, watcher_queue=1) as url:
        yield url


def test_heartbeats_carry_the_head_position(quick_server: str, sqlite_settings: Settings) -> None:
    token = issue_token(sqlite_settings, Role.AUDITOR)
    office = issue_token(sqlite_settings, Role.OFFICE, "HQ")
    position = post(quick_server, office, "/api/v1/emergencies", FIRE)["position"]

    async def first_heartbeat() -> dict[str, Any]:
        async with websockets.connect(
            ws_url(quick_server, after=position), additional_headers={"Authorization": f"Bearer {token}"}
        ) as ws:
            return dict(json.loads(await asyncio.wait_for(ws.recv(), 5)))

    beat = asyncio.run(first_heartbeat())
    assert beat == {"kind": "heartbeat", "head": position, "position": position}


def test_a_watcher_that_falls_behind_is_told_to_resume_and_loses_nothing(
    quick_server: str, sqlite_settings: Settings
) -> None:
    office = issue_token(sqlite_settings, Role.OFFICE, "HQ")
    headers = {"Authorization": f"Bearer {office}"}
    start = post(quick_server, office, "/api/v1/emergencies", FIRE)["position"]
    burst = 80

    def post_a_burst() -> None:
        # Concurrent writers share commits, so the feed's reader gets several events at once: more
        # than this server's one-message watcher queue can hold.
        writers = [
            threading.Thread(
                target=lambda: [
                    post(quick_server, office, "/api/v1/complaints", COMPLAINT) for _ in range(10)
                ]
            )
            for _ in range(burst // 10)
        ]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join()

    async def fall_behind_then_resume() -> tuple[int | None, list[int]]:
        received: list[int] = []
        code = None
        async with websockets.connect(ws_url(quick_server, after=start), additional_headers=headers) as ws:
            await asyncio.to_thread(post_a_burst)
            try:
                while len(received) < burst:
                    message = json.loads(await asyncio.wait_for(ws.recv(), 5))
                    if message["kind"] == "event":
                        received.append(message["position"])
            except ConnectionClosed as closed:
                code = closed.rcvd.code if closed.rcvd else None
        resume_from = received[-1] if received else start
        async with websockets.connect(
            ws_url(quick_server, after=resume_from), additional_headers=headers
        ) as ws:
            while len(received) < burst:
                message = json.loads(await asyncio.wait_for(ws.recv(), 5))
                if message["kind"] == "event":
                    received.append(message["position"])
        return code, received

    code, received = asyncio.run(asyncio.wait_for(fall_behind_then_resume(), 60))
    assert code == 4001
    assert received == list(range(start + 1, start + burst + 1))


@pytest.mark.postgres
def test_an_event_posted_through_one_server_process_reaches_a_watcher_on_another(
    postgres_url: str, tmp_path: Path
) -> None:
    settings = Settings(database_url=postgres_url)
    office = issue_token(settings, Role.OFFICE, "HQ")
    root = Path(__file__).resolve().parents[2]
    servers, urls = [], []
    try:
        # One after the other: table creation at start-up is not safe to race on PostgreSQL.
        for _ in range(2):
            port = free_port()
            env = {
                **os.environ,
                "INCIDENT_DATABASE_URL": postgres_url,
                "INCIDENT_PORT": str(port),
                "PYTHONPATH": str(root),
            }
            servers.append(
                subprocess.Popen(
                    [sys.executable, "-m", "interfaces.cli.main", "serve"],
                    cwd=tmp_path,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{urls[-1]}/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert servers[-1].poll() is None, "a server exited at start-up"
                assert time.monotonic() < deadline, "a server did not start"
                time.sleep(0.1)
        first, second = urls

        async def watch_second_while_posting_to_first() -> dict[str, Any]:
            async with websockets.connect(
                ws_url(second), additional_headers={"Authorization": f"Bearer {office}"}
            ) as ws:
                posted = await asyncio.to_thread(post, first, office, "/api/v1/emergencies", FIRE)
                while True:
                    message = json.loads(await asyncio.wait_for(ws.recv(), 10))
                    if message["kind"] == "event" and message["incident_id"] == posted["incident_id"]:
                        return dict(message)

        message = asyncio.run(watch_second_while_posting_to_first())
        assert message["event"] == "Reported"
    finally:
        for process in servers:
            process.terminate()
            process.wait(10)
