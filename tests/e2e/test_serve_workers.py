"""`incident serve --workers N` on PostgreSQL: N processes on one port, one log follower each, not one per watcher."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest
import websockets
from typer.testing import CliRunner

from interfaces.cli.main import cli
from tests.conftest import POSTGRES_URL
from tests.e2e.processes import ROOT
from tests.e2e.server import free_port
from tests.roles import run_migrate

COMPLAINT = {"outlet": "BJ-HD-01", "channel": "walk_in", "category": "service_quality", "summary": "排队太久"}


def _ports_of(pids: list[int]) -> set[int]:
    """The local TCP ports of the sockets these processes hold (from /proc: no tool needed)."""
    inodes: set[str] = set()
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").glob("*"):
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    ports: set[int] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def _workers_of(server: subprocess.Popen[bytes]) -> list[int]:
    """uvicorn's worker processes (spawned), not multiprocessing's resource tracker beside them."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    return [int(pid) for pid in children if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]


def _listening(pids: list[int]) -> int:
    """The database sessions of these processes that LISTEN for the log (the library's subscription)."""
    ports = _ports_of(pids)
    with psycopg.connect(POSTGRES_URL) as conn:
        rows = conn.execute(
            "SELECT client_port FROM pg_stat_activity WHERE query ILIKE 'LISTEN %'"
        ).fetchall()
    return sum(1 for (port,) in rows if port in ports)


@pytest.fixture
def workers(postgres_url: str, tmp_path: Path) -> Iterator[tuple[str, str, list[int]]]:
    assert run_migrate(postgres_url).exit_code == 0
    token = (
        CliRunner()
        .invoke(
            cli,
            ["token", "create", "--role", "office", "--unit", "HQ", "--name", "workers"],
            env={"INCIDENT_DATABASE_URL": postgres_url},
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "interfaces.cli.main", "serve", "--workers", "2"],
        env={
            **os.environ,
            "INCIDENT_DATABASE_URL": postgres_url,
            "INCIDENT_PORT": str(port),
            "INCIDENT_RUN_BOARDS": "no",
            "PYTHONPATH": str(ROOT),
        },
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while len(_workers_of(process)) < 2 or _listening(_workers_of(process)) < 2:
            assert time.monotonic() < deadline, "two workers did not start following the log"
            assert process.poll() is None, "the server exited"
            time.sleep(0.2)
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the workers do not answer"
            time.sleep(0.2)
        time.sleep(1)  # the other worker's start-up completes too (both were seen following the log)
        yield url, token, _workers_of(process)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)


def test_two_workers_take_every_command_once_and_follow_the_log_once_each(
    workers: tuple[str, str, list[int]], postgres_url: str
) -> None:
    url, token, pids = workers
    assert len(pids) == 2
    assert _listening(pids) == 2  # one follower of the log in each worker
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client, ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: client.post("/api/v1/complaints", json=COMPLAINT), range(40)))
    assert {a.status_code for a in answers} == {201}
    ids = {a.json()["incident_id"] for a in answers}
    assert len(ids) == 40
    # Each stored once, whichever worker took it (the boards run in no worker here: read the log).
    schema = postgres_url.rsplit("schema=", 1)[1]
    with psycopg.connect(POSTGRES_URL) as conn:
        rows = conn.execute(
            f'SELECT originator_id::text, count(*) FROM "{schema}".incidents_events GROUP BY 1'
        ).fetchall()
    stored = {str(originator): int(n) for originator, n in rows}
    assert all(stored.get(incident_id) == 1 for incident_id in ids)

    async def watch_many() -> int:
        sockets = [
            await websockets.connect(
                url.replace("http://", "ws://") + "/api/v1/feed",
                additional_headers=headers,
                close_timeout=0.5,  # the feed reads nothing from a watcher: do not wait on its close
            )
            for _ in range(8)  # within the feeds a token may hold (INCIDENT_FEED_PER_TOKEN)
        ]
        try:
            await asyncio.sleep(1)
            return _listening(pids)
        finally:
            for ws in sockets:
                await ws.close()

    assert asyncio.run(watch_many()) == 2  # eight watchers, still one LISTEN a process


def test_several_workers_need_postgresql(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["serve", "--workers", "2", "--port", str(free_port())],
        env={"INCIDENT_DATABASE_URL": f"sqlite:///{tmp_path}/one.db"},
    )
    assert result.exit_code == 2
    assert "PostgreSQL" in result.output
