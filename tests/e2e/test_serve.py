"""The server as `make run` starts it: a real process, a real port, the embedded store."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "INCIDENT_PORT": str(port), "INCIDENT_DATABASE_URL": ""}
    # Run from an empty folder: the default store must be created under ./var/ by the server itself.
    process = subprocess.Popen(
        [sys.executable, "-m", "interfaces.cli.main", "serve"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/healthz", timeout=0.5)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(10)
    assert (tmp_path / "var" / "incident.db").exists()


def test_a_fresh_folder_serves_health_readiness_and_a_front_page(server: str) -> None:
    assert httpx.get(f"{server}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{server}/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "position": 0}
    page = httpx.get(f"{server}/")
    assert "网点应急指挥" in page.text
    assert "Incident command" in page.text


def test_a_taken_port_is_said_in_one_line_with_how_to_pick_another(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "interfaces.cli.main", "serve", "--demo-token"],
            cwd=tmp_path,
            env={
                **os.environ,
                "INCIDENT_PORT": str(port),
                "INCIDENT_DATABASE_URL": "",
                "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in done.stderr
    assert f"--port {port + 1}" in done.stderr
    assert "Traceback" not in done.stderr
    # Nothing was minted and nothing claims to be serving.
    assert "Serving on" not in done.stdout
    assert "inc_" not in done.stdout
