"""A hundred replays of a large log do not stall the API, and SIGTERM still stops the server at once.

The server is `incident serve` in a process of its own, as the tester ran it. The full run (100
replays of a 100,000-event log) is `python -m bench replay` (bench/replay_bench.py); this test keeps
to a log that builds in seconds, and asserts only that every request is answered in a generous time.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import statistics
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from domain.values import Role
from interfaces.organisation_file import DEMO_ORGANISATION_PATH, load_organisation
from interfaces.serving import GRACEFUL_SHUTDOWN_SECONDS
from interfaces.settings import Settings
from tests.e2e.big_log import BuiltLog, build_log
from tests.e2e.server import issue_token, serve_process

EVENTS = int(os.environ.get("INCIDENT_FEED_LOAD_EVENTS", "20000"))  # make soak: 100,000
WATCHED_OUTLETS = 25
FEEDS_PER_TOKEN = 4  # 25 branch tokens × 4 = 100 replays at after=0
ANSWER_WITHIN = 10.0  # seconds: functional, not a performance figure


@dataclass
class Logged:
    """The built log and the tokens of the people who watch and post."""

    settings: Settings
    built: BuiltLog
    outlets: list[str]
    office: str
    branches: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Logged:
    folder = tmp_path_factory.mktemp("feed-load")
    settings = Settings(database_url=f"sqlite:///{folder / 'big.db'}", run_policies=False)
    outlets = [u.code for u in load_organisation(DEMO_ORGANISATION_PATH).outlets]
    built = build_log(settings.database_url, EVENTS, outlets)
    watched = outlets[:WATCHED_OUTLETS]
    branches = {outlet: issue_token(settings, Role.BRANCH, outlet) for outlet in watched}
    return Logged(settings, built, outlets, issue_token(settings, Role.OFFICE, "HQ"), branches)


@pytest.fixture
def served(logged: Logged, tmp_path: Path) -> Iterator[tuple[str, Any]]:
    with serve_process(logged.settings, tmp_path, tmp_path / "server.log") as (url, process):
        _wait_caught_up(url, logged)
        yield url, process


def _wait_caught_up(url: str, logged: Logged) -> None:
    """The boards (and so the feed's index) and the feed's reader have both reached the log's head."""
    headers = {"Authorization": f"Bearer {logged.office}"}
    deadline = time.monotonic() + 60
    while httpx.get(
        f"{url}/api/v1/boards/wall?after={logged.built.head}", headers=headers, timeout=15
    ).is_error:
        assert time.monotonic() < deadline, "the boards did not catch up"

    async def feed_head() -> int:
        async with websockets.connect(_feed(url, logged.built.head), additional_headers=headers) as ws:
            while (message := json.loads(await ws.recv()))["kind"] != "heartbeat":
                pass
            return int(message["head"])

    while asyncio.run(feed_head()) < logged.built.head:
        assert time.monotonic() < deadline, "the feed did not read the log"
        time.sleep(0.2)


def _feed(url: str, after: int = 0) -> str:
    return url.replace("http://", "ws://") + f"/api/v1/feed?after={after}"


async def _replay(url: str, token: str) -> list[int]:
    """Every event of the replay, up to the heartbeat that ends it."""
    positions: list[int] = []
    headers = {"Authorization": f"Bearer {token}"}
    async with websockets.connect(_feed(url), additional_headers=headers, open_timeout=30) as ws:
        while (message := json.loads(await asyncio.wait_for(ws.recv(), 60)))["kind"] == "event":
            positions.append(message["position"])
    return positions


class Timings:
    """Latencies of one kind of request, and any that failed."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self.failures: list[str] = []

    def time(self, request: Any) -> None:
        started = time.perf_counter()
        try:
            answer = request()
            if answer.is_error:
                self.failures.append(f"{answer.status_code}: {answer.text[:200]}")
        except httpx.HTTPError as error:
            self.failures.append(repr(error))
        self.seconds.append(time.perf_counter() - started)

    def figures(self) -> str:
        ordered = sorted(self.seconds)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return f"{len(ordered)} answered, p50 {statistics.median(ordered) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms"


def test_health_and_posts_answer_while_a_hundred_replays_run(
    logged: Logged, served: tuple[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    url, _ = served
    health, posts = Timings(), Timings()
    replaying = threading.Event()
    replaying.set()
    unwatched = logged.outlets[-1]  # posts land where no replay looks: each replay's count is exact

    def poll_health() -> None:
        with httpx.Client(timeout=ANSWER_WITHIN) as client:
            while replaying.is_set():
                health.time(lambda: client.get(f"{url}/healthz"))
                time.sleep(0.02)

    def post_complaints() -> None:
        headers = {"Authorization": f"Bearer {logged.office}"}
        body = {"outlet": unwatched, "channel": "walk_in", "category": "service_quality", "summary": "排队"}
        with httpx.Client(timeout=ANSWER_WITHIN, headers=headers) as client:
            while replaying.is_set():
                posts.time(lambda: client.post(f"{url}/api/v1/complaints", json=body))

    async def replays() -> tuple[dict[str, list[list[int]]], float]:
        started = time.perf_counter()
        watched = [
            (outlet, token) for outlet, token in logged.branches.items() for _ in range(FEEDS_PER_TOKEN)
        ]
        results = await asyncio.gather(*(_replay(url, token) for _, token in watched))
        seen: dict[str, list[list[int]]] = {}
        for (outlet, _), positions in zip(watched, results, strict=True):
            seen.setdefault(outlet, []).append(positions)
        return seen, time.perf_counter() - started

    clients = [threading.Thread(target=poll_health), threading.Thread(target=post_complaints)]
    for client in clients:
        client.start()
    try:
        seen, seconds = asyncio.run(replays())
    finally:
        replaying.clear()
        for client in clients:
            client.join()

    for outlet, runs in seen.items():
        for positions in runs:
            assert len(positions) == logged.built.events_at[outlet], f"{outlet}: every event of its own"
            assert positions == sorted(set(positions)), "in order, no duplicate"
    assert health.failures == []
    assert posts.failures == []
    assert health.seconds, "the API was asked while the replays ran"
    assert posts.seconds
    assert max(health.seconds + posts.seconds) < ANSWER_WITHIN
    with capsys.disabled():
        print(
            f"\n{sum(len(r) for r in seen.values())} replays of {logged.built.head:,} events in {seconds:.1f} s"
            f"\n/healthz: {health.figures()}\nPOST complaint: {posts.figures()}"
        )


def test_sigterm_stops_the_server_while_replays_run(
    logged: Logged, served: tuple[str, Any], tmp_path: Path
) -> None:
    url, process = served
    log = tmp_path / "server.log"
    # Ten tokens of the whole bank, ten feeds each: every replay has the whole log to send.
    tokens = [issue_token(logged.settings, Role.AUDITOR) for _ in range(10)]
    under_way = threading.Event()

    async def watch(token: str, started: list[int]) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        try:
            async with websockets.connect(_feed(url), additional_headers=headers, open_timeout=30) as ws:
                await ws.recv()
                started.append(1)
                if len(started) == 100:
                    under_way.set()
                async for _ in ws:
                    pass
        except (websockets.ConnectionClosed, OSError):
            pass

    def run_watchers() -> None:
        async def main() -> None:
            started: list[int] = []
            await asyncio.gather(*(watch(t, started) for t in tokens for _ in range(10)))

        asyncio.run(main())

    watchers = threading.Thread(target=run_watchers, daemon=True)
    watchers.start()
    assert under_way.wait(60), "a hundred replays under way"
    process.send_signal(signal.SIGTERM)
    stopped = time.monotonic()
    process.wait(GRACEFUL_SHUTDOWN_SECONDS + 10)
    print(f"\nstopped {time.monotonic() - stopped:.1f} s after SIGTERM, 100 replays under way")
    # uvicorn re-raises the signal once it has shut down: -SIGTERM, after the app's own shutdown ran.
    assert process.returncode == -signal.SIGTERM
    assert "Application shutdown complete." in log.read_text()
    watchers.join(30)
