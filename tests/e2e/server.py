"""A real server for end-to-end tests: uvicorn on a free loopback port, in a thread of the test process."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

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


def issue_token(settings: Settings, role: Role, unit: str = "", name: str = "") -> str:
    """A real token in the server's own registry."""
    _, token = token_registry(settings).issue(
        role=role, unit=unit, name=name or role.value, now=datetime.now(UTC)
    )
    return token
