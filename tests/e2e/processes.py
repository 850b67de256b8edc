"""`incident serve` as a process of its own, for tests that kill it (SIGKILL) in the middle of things."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.e2e.server import free_port

ROOT = Path(__file__).resolve().parents[2]


class ServerProcess:
    """A real server process on a free loopback port; `kill()` is a SIGKILL, `start()` starts it again."""

    def __init__(self, database_url: str, cwd: Path, *, policies: bool = False) -> None:
        self.port, self.database_url, self.cwd, self.policies = free_port(), database_url, cwd, policies
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        env = {
            **os.environ,
            "INCIDENT_PORT": str(self.port),
            "INCIDENT_DATABASE_URL": self.database_url,
            "INCIDENT_RUN_POLICIES": "yes" if self.policies else "no",
            "PYTHONPATH": str(ROOT),
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "interfaces.cli.main", "serve"],
            cwd=self.cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=0.5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the server did not start")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
