"""A server under test in its own process, on a free loopback port, once it answers `/readyz`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
INCIDENT_SERVE = ["-m", "interfaces.cli.main", "serve"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, server: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if server.poll() is not None:
            raise RuntimeError(f"the server at {url} exited with {server.returncode} before it was ready")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server at {url} was not ready within 60 s")


@contextmanager
def server_process(command: list[str], env: dict[str, str], cwd: str) -> Iterator[tuple[str, int]]:
    """`python COMMAND…` with `env` added and INCIDENT_PORT set; yields its URL and pid, then stops it."""
    port = free_port()
    env = {**os.environ, **env, "INCIDENT_PORT": str(port), "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [sys.executable, *command], cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, server)
        yield url, server.pid
    finally:
        server.terminate()
        server.wait(30)


def migrate(database_url: str) -> None:
    """`incident migrate` on `database_url`, as the deployment step runs it before any server starts."""
    env = {**os.environ, "INCIDENT_DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
    subprocess.run(
        [sys.executable, "-m", "interfaces.cli.main", "migrate"], env=env, check=True, capture_output=True
    )


@contextmanager
def projector_process(env: dict[str, str], cwd: str) -> Iterator[int]:
    """`incident project` (boards, policies, notifications) with `env` added; yields its pid, then stops it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "interfaces.cli.main", "project"],
        cwd=cwd,
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process.pid
    finally:
        process.terminate()
        process.wait(30)


def family(pid: int) -> list[int]:
    """A process and all its descendants (uvicorn's workers under `--workers N`), from /proc."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        with suppress(OSError):
            queue += [int(c) for c in Path(f"/proc/{current}/task/{current}/children").read_text().split()]
    return found
