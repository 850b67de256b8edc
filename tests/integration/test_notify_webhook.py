"""The signed webhook against a real receiver on loopback: signature checked, errors and hangs answered."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from interfaces.notify_channels import DeliveryError, WebhookChannel

SECRET = "s3cret-密钥"


class Receiver:
    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.mode = "ok"  # ok | error | hang
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


def test_a_signed_delivery_reaches_the_receiver_with_its_delivery_id(receiver: tuple[Receiver, str]) -> None:
    state, url = receiver
    answer = WebhookChannel("ops", url, SECRET).send("d-1", {"level": "red", "text": "红色预警 Red"})
    assert answer == "200 ok"
    headers, body = state.received[0]
    assert headers["X-Incident-Delivery"] == "d-1"
    assert body == {"delivery_id": "d-1", "level": "red", "text": "红色预警 Red"}


def test_a_wrong_secret_is_refused_by_the_receiver(receiver: tuple[Receiver, str]) -> None:
    _, url = receiver
    with pytest.raises(DeliveryError, match="401 bad signature"):
        WebhookChannel("ops", url, "wrong").send("d-2", {})


def test_a_receiver_error_is_a_delivery_error(receiver: tuple[Receiver, str]) -> None:
    state, url = receiver
    state.mode = "error"
    with pytest.raises(DeliveryError, match="503 busy"):
        WebhookChannel("ops", url, SECRET).send("d-3", {})


def test_a_hanging_receiver_times_out(receiver: tuple[Receiver, str]) -> None:
    state, url = receiver
    state.mode = "hang"
    with pytest.raises(DeliveryError, match=r"timed out|TimeoutError"):
        WebhookChannel("ops", url, SECRET, timeout_seconds=0.2).send("d-4", {})
    assert state.received == []
