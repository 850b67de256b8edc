"""`incident serve`, `incident project` and `incident simulate` as processes, for tests that kill them (SIGKILL)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.server import free_port

ROOT = Path(__file__).resolve().parents[2]


class ServerProcess:
    """A real server process on a free loopback port; `kill()` is a SIGKILL, `start()` starts it again."""

    def __init__(
        self, database_url: str, cwd: Path, *, policies: bool = False, env: dict[str, str] | None = None
    ) -> None:
        self.port, self.database_url, self.cwd, self.policies = free_port(), database_url, cwd, policies
        self.env = env or {}
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90.0) -> None:
        env = {
            **os.environ,
            "INCIDENT_PORT": str(self.port),
            "INCIDENT_DATABASE_URL": self.database_url,
            "INCIDENT_RUN_POLICIES": "yes" if self.policies else "no",
            "PYTHONPATH": str(ROOT),
            **self.env,
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


class ProjectorProcess:
    """`incident project` as a process of its own: `start()` returns once it says it is projecting
    (leading, or standing by for the lock); `kill()` is a SIGKILL."""

    def __init__(self, database_url: str, log_path: Path, env: dict[str, str] | None = None) -> None:
        self.database_url, self.log_path, self.env = database_url, log_path, env or {}
        self.process: subprocess.Popen[bytes] | None = None
        self._logged = 0  # the log's length before the latest start: its banner comes after

    def start(self, timeout: float = 90.0) -> None:
        self.launch()
        self.wait_started(timeout)

    def launch(self) -> None:
        """Start the process without waiting for it (`wait_started` waits)."""
        env = {
            **os.environ,
            "INCIDENT_DATABASE_URL": self.database_url,
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            **self.env,
        }
        self._logged = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "interfaces.cli.main", "project"],
                cwd=self.log_path.parent,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_started(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while b"projecting boards" not in self.log_path.read_bytes()[self._logged :]:
            if not self.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the projector did not start: {self.log_path.read_text()[-2000:]}")
            time.sleep(0.05)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        if self.alive():
            assert self.process is not None
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.alive():
            assert self.process is not None
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


class SimulateProcess:
    """`incident simulate --record FILE --json` in a process of its own, against one server URL."""

    def __init__(self, url: str, token: str, record: Path, *options: str) -> None:
        self.record = record
        env = {**os.environ, "INCIDENT_URL": url, "INCIDENT_TOKEN": token, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "interfaces.cli.main",
                "simulate",
                "--json",
                "--record",
                str(record),
                *options,
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def ended(self) -> int:
        """How many commands have ended (a line each in the record) so far."""
        return self.record.read_bytes().count(b"\n") if self.record.exists() else 0

    def wait_for(self, commands: int, timeout: float = 60.0) -> bool:
        """Until so many commands have ended (True), or the run has (False)."""
        deadline = time.monotonic() + timeout
        while self.ended() < commands:
            if self.process.poll() is not None:
                return False
            if time.monotonic() > deadline:
                raise RuntimeError(f"the simulation stalled at {self.ended()} commands")
            time.sleep(0.05)
        return True

    def finish(self, timeout: float = 180.0) -> dict[str, Any]:
        """Its summary, once it has ended on its own (exit status 0)."""
        out, err = self.process.communicate(timeout=timeout)
        assert self.process.returncode == 0, err.decode()[-2000:]
        return dict(json.loads(out.decode().strip().splitlines()[-1]))

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
