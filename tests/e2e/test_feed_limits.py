"""The feed cannot be used to exhaust the server: feed limits, revoked tokens, stalled and vanished watchers."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import websockets
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from domain.values import Role
from interfaces.feed.close_codes import RESUME, SERVER_FULL, TOO_MANY_FOR_TOKEN, UNAUTHORISED
from interfaces.feed.limits import FeedLimits
from interfaces.feed.websocket_protocol import CLOSE_GRACE
from interfaces.http.app import create_app
from interfaces.settings import Settings
from interfaces.wiring import token_registry
from tests.e2e.big_log import build_log
from tests.e2e.server import issue_token, serve_process, serving

TCP_CLOSE = 7  # tcp_info.tcpi_state once a reset has arrived


@dataclass
class Served:
    """A real server built by the test, so that the test can look at the feed's own counts."""

    url: str
    app: FastAPI
    settings: Settings

    def feed_url(self, after: int = 0) -> str:
        return self.url.replace("http://", "ws://") + f"/api/v1/feed?after={after}"

    @property
    def open_feeds(self) -> int:
        return int(self.app.state.feed.admission.open_feeds)

    @property
    def replays_reading(self) -> int:
        return int(self.app.state.feed.replays.reading)


@contextmanager
def feed_server(tmp_path: Path, limits: FeedLimits, events: int = 0, **log: Any) -> Iterator[Served]:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/feed.db", run_policies=False, feed=limits)
    head = build_log(settings.database_url, events, ["BJ-HD-01", "SH-PD-01"], **log).head if events else 0
    app = create_app(settings, heartbeat_seconds=0.5)
    with serving(app) as url:
        # Watchers join once the feed has read the log: what they get is replay, not a live burst.
        wait_until(lambda: app.state.feed.hub.head >= head, 30, "the feed has read the log")
        yield Served(url, app, settings)


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> float:
    """Seconds until `condition` held; fails the test after `timeout`."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, f"not within {timeout} s: {what}"
        time.sleep(0.05)
    return time.monotonic() - started


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def first_message(ws: ClientConnection) -> dict[str, Any]:
    return dict(json.loads(await asyncio.wait_for(ws.recv(), 10)))


async def closing_code(ws: ClientConnection) -> tuple[int | None, str]:
    """Reads until the server closes; the code and reason it closed with."""
    try:
        while True:
            await asyncio.wait_for(ws.recv(), 15)
    except ConnectionClosed as closed:
        return (closed.rcvd.code, closed.rcvd.reason) if closed.rcvd else (None, "")


def test_a_tokens_feeds_beyond_its_limit_are_closed_with_4429(tmp_path: Path) -> None:
    with feed_server(tmp_path, FeedLimits(per_token=2)) as served:
        token = issue_token(served.settings, Role.OFFICE, "HQ")
        other = issue_token(served.settings, Role.OFFICE, "HQ")

        async def scenario() -> None:
            first = await websockets.connect(served.feed_url(), additional_headers=bearer(token))
            second = await websockets.connect(served.feed_url(), additional_headers=bearer(token))
            for ws in (first, second):
                assert (await first_message(ws))["kind"] == "heartbeat"
            async with websockets.connect(served.feed_url(), additional_headers=bearer(token)) as third:
                code, reason = await closing_code(third)
            assert (code, reason) == (
                TOO_MANY_FOR_TOKEN,
                "this token is at its limit of 2 open feeds; close one",
            )
            async with websockets.connect(served.feed_url(), additional_headers=bearer(other)) as elsewhere:
                assert (await first_message(elsewhere))["kind"] == "heartbeat", "another token is not held up"
            await first.close()
            await asyncio.to_thread(
                wait_until, lambda: served.open_feeds == 1, 5, "the closed feed is released"
            )
            async with websockets.connect(served.feed_url(), additional_headers=bearer(token)) as again:
                assert (await first_message(again))["kind"] == "heartbeat", "a freed place can be taken"
            await second.close()

        asyncio.run(scenario())


def test_feeds_beyond_the_process_limit_are_closed_with_4503(tmp_path: Path) -> None:
    with feed_server(tmp_path, FeedLimits(per_process=2)) as served:
        tokens = [issue_token(served.settings, Role.AUDITOR) for _ in range(3)]

        async def scenario() -> tuple[int | None, str]:
            held = [
                await websockets.connect(served.feed_url(), additional_headers=bearer(t)) for t in tokens[:2]
            ]
            for ws in held:
                await first_message(ws)
            async with websockets.connect(served.feed_url(), additional_headers=bearer(tokens[2])) as third:
                refused = await closing_code(third)
            for ws in held:
                await ws.close()
            return refused

        code, reason = asyncio.run(scenario())
        assert code == SERVER_FULL
        assert reason == "this server is at its limit of 2 open feeds; retry later"


def test_a_revoked_tokens_open_feeds_close_within_seconds_with_4401(tmp_path: Path) -> None:
    with feed_server(tmp_path, FeedLimits(token_check_seconds=0.5)) as served:
        registry = token_registry(served.settings)
        record, token = registry.issue(role=Role.OFFICE, unit="HQ", name="to revoke", now=_now())
        kept = issue_token(served.settings, Role.OFFICE, "HQ")

        async def scenario() -> tuple[list[tuple[int | None, str]], float, dict[str, Any]]:
            revoked = [
                await websockets.connect(served.feed_url(), additional_headers=bearer(token))
                for _ in range(2)
            ]
            other = await websockets.connect(served.feed_url(), additional_headers=bearer(kept))
            for ws in (*revoked, other):
                await first_message(ws)
            await asyncio.to_thread(registry.revoke, record.id, now=_now())
            started = time.monotonic()
            codes = [await closing_code(ws) for ws in revoked]
            seconds = time.monotonic() - started
            beat = await first_message(other)  # the other token's feed carries on
            await other.close()
            return codes, seconds, beat

        codes, seconds, beat = asyncio.run(scenario())
        assert codes == [(UNAUTHORISED, "token revoked")] * 2
        assert seconds < 5, f"closed {seconds:.1f} s after the revocation"
        assert beat["kind"] == "heartbeat"


@pytest.fixture
def big_events_server(tmp_path: Path) -> Iterator[Served]:
    """1,500 events of about 6 KB (incompressible notes), and a one-second send timeout."""
    with feed_server(tmp_path, FeedLimits(send_timeout=1.0), events=1500, note_chars=2000) as served:
        yield served


async def stalled_watcher(served: Served, token: str) -> tuple[ClientConnection, socket.socket]:
    """A watcher on a small receive buffer that reads nothing: the server's sends soon cannot go out."""
    parts = urlsplit(served.url)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((parts.hostname, parts.port))
    # max_queue=1: the client library stops reading the socket as soon as one message waits unread.
    ws = await websockets.connect(served.feed_url(), sock=sock, additional_headers=bearer(token), max_queue=1)
    await asyncio.to_thread(wait_until, lambda: served.open_feeds == 1, 5, "the feed is open")
    return ws, sock


def test_a_watcher_that_stops_reading_is_closed_with_4001_and_resumes_without_loss(
    big_events_server: Served,
) -> None:
    served = big_events_server
    token = issue_token(served.settings, Role.OFFICE, "HQ")

    async def scenario() -> tuple[list[int], tuple[int | None, str], list[int]]:
        ws, _ = await stalled_watcher(served, token)
        # The socket is full long before 9 MB are out; a second later the server gives up on it.
        await asyncio.to_thread(wait_until, lambda: served.open_feeds == 0, 20, "the stalled feed is closed")
        received: list[int] = []
        try:
            while True:  # reading again within the grace, it gets what was sent, then the code
                message = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if message["kind"] == "event":
                    received.append(message["position"])
        except ConnectionClosed as closed:
            code = (closed.rcvd.code, closed.rcvd.reason) if closed.rcvd else (None, "")
        rest: list[int] = []
        async with websockets.connect(
            served.feed_url(received[-1]), additional_headers=bearer(token)
        ) as again:
            while True:
                message = json.loads(await asyncio.wait_for(again.recv(), 10))
                if message["kind"] == "event":
                    rest.append(message["position"])
                elif message["position"] >= 1500:  # the heartbeat that ends the replay
                    break
        return received, code, rest

    received, (code, reason), rest = asyncio.run(scenario())
    assert 0 < len(received) < 1500, f"{len(received)} events reached the stalled watcher"
    assert code == RESUME
    assert reason == f"resume from your last position ({received[-1]}): a send took over 1 s"
    assert received + rest == list(range(1, 1501)), "resumed from its last position: no gap, no repeat"


def test_a_watcher_that_never_reads_again_is_cut_off_and_its_buffers_freed(big_events_server: Served) -> None:
    served = big_events_server
    token = issue_token(served.settings, Role.OFFICE, "HQ")

    async def scenario() -> float:
        _, sock = await stalled_watcher(served, token)
        await asyncio.to_thread(wait_until, lambda: served.open_feeds == 0, 20, "the stalled feed is closed")
        # Its close cannot reach it either: after the grace the server resets the connection.
        return await asyncio.to_thread(
            wait_until,
            lambda: sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0] == TCP_CLOSE,
            CLOSE_GRACE + 10,
            "the connection is reset",
        )

    assert asyncio.run(scenario()) <= CLOSE_GRACE + 10


def test_replays_stop_when_their_watchers_go(tmp_path: Path) -> None:
    with feed_server(tmp_path, FeedLimits(per_token=20), events=8_000) as served:
        token = issue_token(served.settings, Role.OFFICE, "HQ")

        async def scenario() -> int:
            watchers = [
                await websockets.connect(served.feed_url(), additional_headers=bearer(token))
                for _ in range(20)
            ]
            for ws in watchers:
                assert (await first_message(ws))["kind"] == "event"  # each replay is under way
            under_way = served.replays_reading
            for ws in watchers:
                ws.transport.abort()  # gone without a word, as a closed laptop lid goes
            return under_way

        under_way = asyncio.run(scenario())
        assert under_way > 0, "the replays were still reading when their watchers went"
        # 20 replays of 8,000 events would take far longer than this to send.
        wait_until(lambda: served.replays_reading == 0 and served.open_feeds == 0, 5, "every replay stopped")


# Watchers connecting at once: 1,000 under `make soak` (about 10-20 s on two cores), fewer in `make test`.
CROWD = int(os.environ.get("INCIDENT_FEED_CROWD", "200"))
STALLED = 20  # of them, the ones that stop reading
NOTES = 40  # posted while they watch, each about 5.7 KB (1,900 characters): a stalled socket is full long before the last


def test_a_crowd_of_watchers_at_once_and_some_that_stop_reading_do_not_stall_posting(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/crowd.db", run_policies=False)
    env = {"INCIDENT_FEED_PER_TOKEN": "10", "INCIDENT_FEED_MAX": str(CROWD + 10)}
    with serve_process(settings, tmp_path, tmp_path / "server.log", env) as (url, _):
        registry = token_registry(settings)
        tokens = [
            registry.issue(role=Role.OFFICE, unit="HQ", name=f"crowd {n}", now=_now())[1]
            for n in range(CROWD // 10 + 1)
        ]
        office = tokens.pop()
        headers = bearer(office)
        report = {
            "outlet": "BJ-HD-01",
            "channel": "walk_in",
            "category": "service_quality",
            "summary": "排队",
        }
        incident = httpx.post(f"{url}/api/v1/complaints", json=report, headers=headers, timeout=30)
        incident.raise_for_status()
        after = int(incident.json()["position"])
        feed = url.replace("http://", "ws://") + f"/api/v1/feed?after={after}"

        async def stalled(token: str) -> ClientConnection:
            parts = urlsplit(url)
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect((parts.hostname, parts.port))
            # max_queue=1: the library stops reading the socket once one message waits unread.
            return await websockets.connect(feed, sock=sock, additional_headers=bearer(token), max_queue=1)

        async def reading(ws: ClientConnection, last: list[int]) -> None:
            async for text in ws:
                message = json.loads(text)
                if message["kind"] == "event":
                    last[0] = message["position"]

        async def scenario() -> tuple[list[int], list[int], list[int], list[int]]:
            # All at once: one gather, no pacing (uvicorn's backlog and the feed's admission take them).
            crowd = await asyncio.gather(
                *(
                    stalled(tokens[n // 10])
                    if n < STALLED
                    else websockets.connect(
                        feed, additional_headers=bearer(tokens[n // 10]), close_timeout=0.5
                    )
                    for n in range(CROWD)
                )
            )
            lasts = [[after] for _ in crowd]
            readers = [asyncio.create_task(reading(ws, last)) for ws, last in zip(crowd, lasts, strict=True)][
                STALLED:
            ]
            statuses, positions = [], []
            async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
                path = f"/api/v1/incidents/{incident.json()['incident_id']}/commands/add_note"
                for n in range(NOTES):  # one after another: each must be answered while the crowd watches
                    answer = await client.post(path, json={"text": f"{n} " + "巡查记录大堂秩序正常" * 190})
                    statuses.append(answer.status_code)
                    positions.append(int(answer.json()["position"]))
            # A watcher arriving now still gets every note, in order.
            fresh: list[int] = []
            async with websockets.connect(feed, additional_headers=headers) as ws:
                while len(fresh) < NOTES:
                    message = json.loads(await asyncio.wait_for(ws.recv(), 30))
                    if message["kind"] == "event":
                        fresh.append(message["position"])
            deadline = time.monotonic() + 60
            while any(last[0] < positions[-1] for last in lasts[STALLED:]) and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            behind = [n for n, last in enumerate(lasts[STALLED:]) if last[0] < positions[-1]]
            for task in readers:
                task.cancel()
            for ws in crowd:
                ws.transport.abort()  # the feed reads nothing from a watcher: do not wait on a close
            return statuses, positions, fresh, behind

        statuses, positions, fresh, behind = asyncio.run(scenario())
        assert statuses == [200] * NOTES, "every post answered while the crowd watched"
        assert fresh == positions, "a fresh watcher got every note, in order"
        assert behind == [], f"{len(behind)} reading watchers never got the last note"


def _now() -> datetime:
    return datetime.now(UTC)
