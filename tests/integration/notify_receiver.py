"""A real HTTP receiver on loopback for the notification tests, speaking three formats.

`/hook`: the signed JSON webhook (checks X-Incident-Signature). `/wecom?key=…`: WeCom's group robot
(checks the key and the markdown message). `/dingtalk?access_token=…&timestamp=…&sign=…`: DingTalk's
custom robot (checks the token, the timestamp and the signature, and the markdown message). Robots
answer HTTP 200 with `errcode`, refusals too, as the real ones do. On demand (`mode`) it answers
errors, refuses, or hangs until released.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

SECRET = "s3cret-密钥"
WECOM_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
DING_TOKEN = "ding-access-token"
DING_SECRET = "SECb6e1c6bd1f2d4d7e8c"


class Receiver:
    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.paths: list[str] = []  # the path of each message received, beside it
        self.mode = "ok"  # ok | error (HTTP 503) | refuse (a robot's errcode) | hang
        self.failures_left = 0  # answer 503 this many times, then as `mode` says
        self.release = threading.Event()
        self.base = ""  # http://127.0.0.1:PORT
        self.hook_answer = b"ok"  # what /hook answers when it takes a message

    def url(self, kind: str) -> str:
        """Where a channel of `kind` (webhook, wecom, dingtalk) posts to this receiver."""
        return {
            "webhook": f"{self.base}/hook",
            "wecom": f"{self.base}/wecom?key={WECOM_KEY}",
            "dingtalk": f"{self.base}/dingtalk?access_token={DING_TOKEN}",
        }[kind]


def _dingtalk_sign(timestamp: str) -> str:
    mac = hmac.new(DING_SECRET.encode(), f"{timestamp}\n{DING_SECRET}".encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def _markdown_problem(body: dict[str, Any], fields: tuple[str, ...]) -> str | None:
    if body.get("msgtype") != "markdown":
        return "msgtype must be markdown"
    markdown = body.get("markdown")
    if not isinstance(markdown, dict) or not all(isinstance(markdown.get(f), str) for f in fields):
        return f"markdown must hold {', '.join(fields)}"
    return None


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            problem = {"/hook": self._webhook, "/wecom": self._wecom, "/dingtalk": self._dingtalk}.get(
                parts.path, lambda _b, _q: (404, "no such hook")
            )(body, query)
            if problem is not None:
                self._refuse(parts.path, *problem)
                return
            if state.mode == "hang":
                state.release.wait(10)
                return  # never answers: the sender has long given up
            if state.failures_left > 0:
                state.failures_left -= 1
                self._answer(503, b"busy")
                return
            if state.mode == "error":
                self._answer(503, b"busy")
                return
            if state.mode == "refuse" and parts.path != "/hook":
                self._refuse(parts.path, 93000, "invalid webhook url, hint: refused on demand")
                return
            state.received.append((dict(self.headers), json.loads(body)))
            state.paths.append(parts.path)
            if parts.path == "/hook":
                self._answer(200, state.hook_answer)
            else:
                self._answer(200, b'{"errcode":0,"errmsg":"ok"}')

        def _webhook(self, body: bytes, _query: dict[str, str]) -> tuple[int, str] | None:
            timestamp = self.headers["X-Incident-Timestamp"]
            expected = (
                "sha256="
                + hmac.new(SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
            )
            if not hmac.compare_digest(expected, self.headers["X-Incident-Signature"]):
                return 401, "bad signature"
            return None

        def _wecom(self, body: bytes, query: dict[str, str]) -> tuple[int, str] | None:
            if query.get("key") != WECOM_KEY:
                return 93000, "invalid webhook url"
            problem = _markdown_problem(json.loads(body), ("content",))
            return (40008, problem) if problem else None

        def _dingtalk(self, body: bytes, query: dict[str, str]) -> tuple[int, str] | None:
            if query.get("access_token") != DING_TOKEN:
                return 300001, "token is not exist"
            timestamp = query.get("timestamp", "")
            if not timestamp.isdigit() or abs(time.time() * 1000 - int(timestamp)) > 3_600_000:
                return 310000, "invalid timestamp"
            if not hmac.compare_digest(_dingtalk_sign(timestamp), query.get("sign", "")):
                return 310000, "sign not match"
            problem = _markdown_problem(json.loads(body), ("title", "text"))
            return (300005, problem) if problem else None

        def _refuse(self, path: str, code: int, message: str) -> None:
            if path == "/hook":
                self._answer(code, message.encode())
            else:  # robots refuse with HTTP 200 and an errcode
                self._answer(200, json.dumps({"errcode": code, "errmsg": message}).encode())

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
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    yield state, f"{state.base}/hook"
    state.release.set()
    server.shutdown()
    server.server_close()
