"""Start-up over a large log: `incident serve` ready over 1,000,000 events, against one over an empty log.

`python -m bench startup`. The log is built fast (tests/e2e/big_log.py: incidents made by the
domain, many saved per transaction), then served once with boards and policies on until the
boards, the feed index and the policies' checkpoint have all reached the log's end (the policies
raise what the log calls for, as a real server's would have). Then, alternately, a server over an
empty log (the baseline: what a start costs at all) and one over the big log are started and
stopped (SIGTERM) `BENCH_STARTUP_ROUNDS` times. Each start is timed from the process's launch to:
- ready: `/readyz` answers 200;
- feed: a watcher connected after that receives a complaint posted after that (the feed's reader
  is following the log's end, not still reading its past);
- policies: the policies' checkpoint stands past that complaint (they took their memory back and
  followed; the checkpoint is written about once a second, so this is late by up to a second).

`BENCH_STARTUP_EVENTS` shrinks the log for a quick run; `BENCH_STARTUP_LOG` names an SQLite file
built by an earlier run to use (and add to) instead of building one; `BENCH_STARTUP_SERVER_ROOT`
serves another checkout (e.g. the main branch, for before/after); `BENCH_DIR` is where files go.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

EVENTS = int(os.environ.get("BENCH_STARTUP_EVENTS", "1000000"))
EARLIER_LOG = os.environ.get("BENCH_STARTUP_LOG")
ROUNDS = int(os.environ.get("BENCH_STARTUP_ROUNDS", "3"))
ROOT = Path(__file__).resolve().parents[1]
SERVER_ROOT = Path(os.environ.get("BENCH_STARTUP_SERVER_ROOT") or ROOT)
LIMIT_SECONDS = 600.0

Timings = dict[str, float]


def _head(database_url: str) -> int:
    from application.incident_desk import IncidentDesk
    from application.store.database_url import store_env

    desk = IncidentDesk({**store_env(database_url), "CREATE_TABLE": "n"})
    try:
        return int(desk.recorder.max_notification_id() or 0)
    finally:
        desk.close()


def _positions(database_url: str) -> tuple[int, int, int]:
    """The log's head, where the boards stand (the lowest of them), and the policies' checkpoint."""
    from sqlalchemy import text

    from interfaces.sql_engine import engine_for

    engine = engine_for(database_url)
    try:
        with engine.connect() as conn:
            boards = conn.execute(text("SELECT min(position) FROM board_tracking")).scalar() or 0
            policies = conn.execute(text("SELECT max(position) FROM policy_checkpoint")).scalar() or 0
    finally:
        engine.dispose()
    return _head(database_url), int(boards), int(policies)


class Server:
    """`incident serve` in a process of its own, on `database_url`, logging to a file."""

    def __init__(self, database_url: str, folder: Path, name: str) -> None:
        from tests.e2e.server import free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / f"{name}.log"
        env = {
            **os.environ,
            "INCIDENT_DATABASE_URL": database_url,
            "INCIDENT_PORT": str(self.port),
            "PYTHONPATH": str(SERVER_ROOT),
            "PYTHONUNBUFFERED": "1",
        }
        with self.log_path.open("ab") as log:
            self.started = time.perf_counter()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "interfaces.cli.main", "serve"],
                cwd=folder,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def since_start(self) -> float:
        return time.perf_counter() - self.started

    def cpu_seconds(self) -> float:
        """The server's CPU time so far (user and system): less at the mercy of a busy machine."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def failed(self) -> RuntimeError:
        return RuntimeError(f"the server failed: {self.log_path.read_text()[-3000:]}")


def _ready(server: Server) -> dict[str, Any]:
    import httpx

    deadline = time.monotonic() + LIMIT_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise server.failed()
        try:
            answer = httpx.get(f"{server.url}/readyz", timeout=5)
            if answer.status_code == 200:
                found: dict[str, Any] = answer.json()
                return found
        except httpx.TransportError:
            pass
        time.sleep(0.01)
    raise server.failed()


async def _feed_delivers(server: Server, token: str, after: int) -> None:
    """A complaint posted now reaches a watcher connected now."""
    import httpx
    import websockets

    feed = server.url.replace("http://", "ws://") + f"/api/v1/feed?after={after}"
    headers = {"Authorization": f"Bearer {token}"}
    async with websockets.connect(feed, additional_headers=headers, open_timeout=LIMIT_SECONDS) as ws:
        await asyncio.wait_for(ws.recv(), LIMIT_SECONDS)  # the heartbeat that ends the (empty) replay
        body = {"outlet": "BJ-HD-01", "channel": "walk_in", "category": "service_quality", "summary": "排队"}
        async with httpx.AsyncClient(headers=headers, timeout=LIMIT_SECONDS) as client:
            posted = await client.post(f"{server.url}/api/v1/complaints", json=body)
            posted.raise_for_status()
        incident_id = posted.json()["incident_id"]
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), LIMIT_SECONDS))
            if message.get("incident_id") == incident_id:
                return


def _policies_at_end(server: Server, database_url: str) -> None:
    """The policies' checkpoint has caught up with the log's end (written about once a second)."""
    deadline = time.monotonic() + LIMIT_SECONDS
    while time.monotonic() < deadline:
        head, _, policies = _positions(database_url)
        if policies >= head:
            return
        time.sleep(0.05)
    raise server.failed()


def _start(database_url: str, folder: Path, name: str, token: str) -> Timings:
    server = Server(database_url, folder, name)
    try:
        ready = _ready(server)
        timings = {"ready": server.since_start(), "ready_cpu": server.cpu_seconds()}
        asyncio.run(_feed_delivers(server, token, int(ready["position"])))
        timings["feed"] = server.since_start()
        timings["feed_cpu"] = server.cpu_seconds()
        _policies_at_end(server, database_url)
        timings["policies"] = server.since_start()
        return timings
    finally:
        server.stop()


def _settle(database_url: str, folder: Path) -> float:
    """Serve until boards and policies stand at the log's end, and stay there; returns how long it took."""
    server = Server(database_url, folder, "settle")
    started = time.perf_counter()
    try:
        _ready(server)
        steady = 0
        while steady < 3:
            if server.process.poll() is not None:
                raise server.failed()
            head, boards, policies = _positions(database_url)
            steady = steady + 1 if boards == policies == head else 0
            time.sleep(1.0)
        return time.perf_counter() - started
    finally:
        server.stop()


def _spread(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.median(values):.2f} ({min(values):.2f} – {max(values):.2f})"


def main() -> None:
    from domain.values import Role
    from interfaces.organisation_file import DEMO_ORGANISATION_PATH, load_organisation
    from interfaces.settings import Settings
    from tests.e2e.big_log import build_log
    from tests.e2e.server import issue_token

    notes: list[str] = []
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as name:
        folder = Path(name)
        big = Settings(database_url=f"sqlite:///{EARLIER_LOG or folder / 'big.db'}")
        empty = Settings(database_url=f"sqlite:///{folder}/empty.db")
        outlets = [u.code for u in load_organisation(DEMO_ORGANISATION_PATH).outlets]
        if EARLIER_LOG is None:
            started = time.perf_counter()
            built = build_log(big.database_url, EVENTS, outlets)
            notes.append(f"log of {built.head:,} events built in {time.perf_counter() - started:.0f} s")
        else:
            notes.append(f"log of {_head(big.database_url):,} events from {EARLIER_LOG}")
        tokens = {
            "empty": issue_token(empty, Role.OFFICE, "HQ"),
            "big": issue_token(big, Role.OFFICE, "HQ"),
        }
        settled = _settle(big.database_url, folder)
        notes.append(
            f"first start, boards and policies from where they were to the end ({_head(big.database_url):,}): "
            f"{settled:.0f} s"
        )
        results: dict[str, list[Timings]] = {"empty": [], "big": []}
        for round_ in range(ROUNDS):
            for which, settings in (("empty", empty), ("big", big)):
                results[which].append(
                    _start(settings.database_url, folder, f"{which}-{round_}", tokens[which])
                )
        head = _head(big.database_url)
    print(_table(results, notes, head))


def _table(results: dict[str, list[Timings]], notes: list[str], head: int) -> str:
    lines = [
        f"\n### Start-up: `incident serve` over a {head:,}-event log (server `{SERVER_ROOT.name}`)\n",
        *(f"- {note}" for note in notes),
        "",
        f"Seconds from launch, median (min – max) of {ROUNDS} alternated starts:",
        "",
        "| log | /readyz 200 | feed delivers a new complaint | policies at the log's end "
        "| server CPU s at ready | at feed |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for which, label in (("empty", "empty (baseline)"), ("big", f"{head:,} events")):
        timings = results[which]
        keys = ("ready", "feed", "policies", "ready_cpu", "feed_cpu")
        cells = [_spread([t[k] for t in timings]) for k in keys]
        lines.append(f"| {label} | {' | '.join(cells)} |")
    ratio = [b["feed"] / e["feed"] for b, e in zip(results["big"], results["empty"], strict=True)]
    lines.append(f"\nbig / empty, feed delivering, per round: {', '.join(f'{r:.2f}×' for r in ratio)}")
    return "\n".join(lines)
