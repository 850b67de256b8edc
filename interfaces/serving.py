"""How uvicorn serves the app: its HTTP parser and loop, stalled WebSocket peers cut off, no token in its
logs, a bounded shutdown."""

from __future__ import annotations

import errno
import socket

import uvicorn
from fastapi import FastAPI

from interfaces.feed.websocket_protocol import StalledPeerProtocol
from interfaces.log_setup import LogFormat, log_config

# After SIGTERM, requests and feeds still running after this long are cancelled.
GRACEFUL_SHUTDOWN_SECONDS = 10
# Named, not left to uvicorn's "auto" (which takes them when they happen to be installed, else falls
# back to h11 and asyncio without a word): the C parser and libuv loop are what the figures were
# measured on (bench/ingest_bench.py). The feed's protocol (StalledPeerProtocol) runs on either loop.
HTTP_PROTOCOL = "httptools"
EVENT_LOOP = "uvloop"
# The feed reads nothing from a watcher: a message bigger than this closes the connection (1009)
# instead of being buffered (uvicorn's default is 16 MiB a connection).
WS_MAX_SIZE = 64 * 1024


def uvicorn_config(
    app: FastAPI | str,
    host: str,
    port: int,
    log_level: str = "info",
    log_format: LogFormat = "text",
    workers: int = 1,
) -> uvicorn.Config:
    """The one server configuration: `incident serve`, the end-to-end tests and the benches use it.

    `app` is the app, or for several worker processes the import path of a factory that builds it.
    """
    return uvicorn.Config(
        app,
        factory=isinstance(app, str),
        workers=workers,
        host=host,
        port=port,
        log_level=log_level,
        log_config=log_config(log_format, log_level),
        # interfaces/http/request_log.py writes the request lines, with durations and request ids.
        access_log=False,
        http=HTTP_PROTOCOL,
        loop=EVENT_LOOP,
        ws=StalledPeerProtocol,
        ws_max_size=WS_MAX_SIZE,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )


def cannot_listen(host: str, port: int) -> str | None:
    """Why the server could not listen on host:port, said for a person; None when it can.

    Asked before start-up so that a taken port is one clear line, not "Serving on ..." followed by
    uvicorn's errno 98. SO_REUSEADDR as uvicorn sets it: a port left in TIME_WAIT is not taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return (
                    f"port {port} on {host} is already in use (another `incident serve`?). "
                    f"Pick another: `incident serve --port {port + 1}`, or `INCIDENT_PORT={port + 1} make run`"
                )
            return f"cannot listen on {host}:{port}: {error.strerror or error}"
    return None
