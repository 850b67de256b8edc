"""A real server for end-to-end tests: uvicorn on a free loopback port, in a thread or a process of its own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from application.incident_desk import Clock, utc_now
from domain.values import Role
from interfaces.http.app import create_app
from interfaces.serving import uvicorn_config
from interfaces.settings import Settings
from interfaces.wiring import token_registry


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_server(
    settings: Settings, clock: Clock = utc_now, port: int | None = None, **app_options: Any
) -> Iterator[str]:
    """Serve the real app on a real socket until the block ends; yields its base URL."""
    with serving(create_app(settings, clock, **app_options), port) as url:
        yield url


@contextmanager
def serving(app: FastAPI, port: int | None = None) -> Iterator[str]:
    """Serve an app built by the test (to look at its state) as `incident serve` would; yields its URL."""
    port = port or free_port()
    server = uvicorn.Server(uvicorn_config(app, "127.0.0.1", port, "warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def token_secret(token: str) -> str:
    """The secret part of a token (`inc_<id>_<secret>`; the secret itself may hold `_`)."""
    return token.split("_", 2)[2]


def issue_token(settings: Settings, role: Role, unit: str = "", name: str = "") -> str:
    """A real token in the server's own registry."""
    _, token = token_registry(settings).issue(
        role=role, unit=unit, name=name or role.value, now=datetime.now(UTC)
    )
    return token


@contextmanager
def serve_process(
    settings: Settings, cwd: Path, log_path: Path, env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`incident serve` in a process of its own, all it logs (the access log too) going to `log_path`."""
    port = free_port()
    root = Path(__file__).resolve().parents[2]
    environment = {
        **os.environ,
        "INCIDENT_DATABASE_URL": settings.database_url,
        "INCIDENT_PORT": str(port),
        "INCIDENT_RUN_POLICIES": "yes" if settings.run_policies else "no",
        "PYTHONPATH": str(root),
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "interfaces.cli.main", "serve"],
            cwd=cwd,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: {log_path.read_text()[-2000:]}")
            time.sleep(0.1)
        yield url, process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_for_board(server: str, headers: dict[str, str], found: Any, **params: str) -> dict[str, Any]:
    """The office board once `found(board)` holds: for what a policy records on its own, at no known position."""
    deadline = time.monotonic() + 15
    board: Any = None
    while time.monotonic() < deadline:
        board = httpx.get(f"{server}/api/v1/boards/office", headers=headers, params=params).json()
        if found(board):
            return dict(board)
        time.sleep(0.1)
    raise AssertionError(f"the board never showed it: {board}")
