"""A real HTTP receiver on loopback for the notification tests: checks signatures, answers errors and hangs."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

SECRET = "s3cret-密钥"


class Receiver:
    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.mode = "ok"  # ok | error | hang
        self.failures_left = 0  # answer 503 this many times, then ok
        self.release = threading.Event()


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            timestamp = self.headers["X-Incident-Timestamp"]
            expected = (
                "sha256="
                + hmac.new(SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
            )
            if not hmac.compare_digest(expected, self.headers["X-Incident-Signature"]):
                self._answer(401, b"bad signature")
                return
            if state.mode == "hang":
                state.release.wait(10)
            if state.failures_left > 0:
                state.failures_left -= 1
                self._answer(503, b"busy")
                return
            if state.mode == "error":
                self._answer(503, b"busy")
                return
            state.received.append((dict(self.headers), json.loads(body)))
            self._answer(200, b"ok")

        def _answer(self, status: int, text: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/hook"
    state.release.set()
    server.shutdown()
    server.server_close()
