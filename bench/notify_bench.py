"""Notifications: commit → receipt at a receiver that answers at once, and posting latency while the
receiver never answers, against none configured.

`incident serve` runs in its own process on an SQLite file, with a webhook channel and one rule
(every red or orange incident). Receipt: each red emergency is posted over HTTP, one at a time; the
time from the post's answer (the event is committed by then) to the receiver's receipt of its
notification (the notifier's NotificationDue committed, the worker's poll, the signed POST). Posting:
ROUNDS paired runs, a server without notifications (baseline) then one whose receiver accepts the
connection and never answers (and, beside them, one whose receiver answers at once: what recording
the notification costs, whatever the receiver does), each posting POSTS red emergencies; the
answer's latency, p50 and p99, each run, and the spread of each side.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from bench.servers import INCIDENT_SERVE, ROOT, server_process
from domain.values import Role
from interfaces.settings import Settings
from interfaces.wiring import token_registry

RECEIPTS = int(os.environ.get("BENCH_NOTIFY_RECEIPTS", "100"))
POSTS = int(os.environ.get("BENCH_NOTIFY_POSTS", "200"))
ROUNDS = int(os.environ.get("BENCH_NOTIFY_ROUNDS", "2"))
OUTLETS = ["BJ-HD-01", "BJ-HD-02", "BJ-CY-01", "SH-PD-01", "GD-FT-01"]
SECRET = "bench-secret"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


@contextmanager
def answering_receiver() -> Iterator[tuple[str, dict[str, float]]]:
    """A webhook receiver that answers at once; yields its URL and incident id → monotonic receipt time."""
    received: dict[str, float] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.setdefault(body["incident_id"], time.monotonic())
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def silent_receiver() -> Iterator[str]:
    """A socket that takes connections (the kernel's backlog) and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1024)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
    finally:
        listener.close()


def rules(folder: Path, url: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / "notifications.toml"
    path.write_text(
        f"""
[channels.office]
type = "webhook"
url = "{url}"
secret_env = "BENCH_NOTIFY_SECRET"

[[rules]]
name = "red-orange"
triggers = ["raised"]
min_level = "orange"
channels = ["office"]
""",
        encoding="utf-8",
    )
    return path


@contextmanager
def server(folder: Path, notifications: Path | None) -> Iterator[tuple[str, dict[str, str]]]:
    """`incident serve` on a fresh SQLite file; yields its URL and an office token's headers."""
    database = f"sqlite:///{folder}/bench-{time.monotonic_ns()}.db"
    _, token = token_registry(Settings(database_url=database)).issue(
        role=Role.OFFICE, unit="HQ", name="bench", now=datetime.now(UTC)
    )
    env = {"INCIDENT_DATABASE_URL": database, "INCIDENT_LOG_LEVEL": "warning", "BENCH_NOTIFY_SECRET": SECRET}
    if notifications is not None:
        env["INCIDENT_NOTIFICATIONS_FILE"] = str(notifications)
    with server_process(INCIDENT_SERVE, env, str(ROOT)) as (url, _):
        yield url, {"Authorization": f"Bearer {token}"}


def post_red(client: httpx.Client, url: str, headers: dict[str, str], n: int) -> str:
    answer = client.post(
        f"{url}/api/v1/emergencies",
        json={"outlet": OUTLETS[n % len(OUTLETS)], "kind": "fire", "level": "red", "summary": f"冒烟 {n}"},
        headers=headers,
    )
    answer.raise_for_status()
    return str(answer.json()["incident_id"])


def receipts(folder: Path) -> list[float]:
    """Milliseconds from each post's answer to the receiver's receipt of its notification."""
    with answering_receiver() as (hook, received), server(folder, rules(folder, hook)) as (url, headers):
        delays: list[float] = []
        with httpx.Client(timeout=10) as client:
            for n in range(RECEIPTS):
                incident_id = post_red(client, url, headers, n)
                answered = time.monotonic()
                deadline = answered + 30
                while incident_id not in received:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"no notification of {incident_id} within 30 s")
                    time.sleep(0.001)
                delays.append((received[incident_id] - answered) * 1000)
        return delays


def posting(folder: Path, notifications: Path | None) -> list[float]:
    """Milliseconds each of POSTS posts took to be answered."""
    with server(folder, notifications) as (url, headers), httpx.Client(timeout=10) as client:
        post_red(client, url, headers, -1)  # warm up
        took = []
        for n in range(POSTS):
            started = time.perf_counter()
            post_red(client, url, headers, n)
            took.append((time.perf_counter() - started) * 1000)
        return took


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        delays = receipts(folder)
        print(
            f"\n### Notifications: commit → receipt ({RECEIPTS} red emergencies, SQLite, webhook on loopback)\n"
        )
        print("| p50 ms | p99 ms | max ms |")
        print("|---:|---:|---:|")
        print(f"| {percentile(delays, 0.5):.0f} | {percentile(delays, 0.99):.0f} | {max(delays):.0f} |")
        runs: list[tuple[str, list[float]]] = []
        with silent_receiver() as silent, answering_receiver() as (hook, _):
            never, answers = rules(folder, silent), rules(folder / "answering", hook)
            for _ in range(ROUNDS):
                runs.append(("none configured (baseline)", posting(folder, None)))
                runs.append(("receiver never answers", posting(folder, never)))
                # Beside them: what recording each notification costs, whatever the receiver does.
                runs.append(("receiver answers at once", posting(folder, answers)))
        print(
            f"\n### Posting a red emergency while notifying ({POSTS} posts a run, {ROUNDS} paired rounds)\n"
        )
        print("| run | what | p50 ms | p99 ms |")
        print("|---:|---|---:|---:|")
        for number, (what, took) in enumerate(runs, 1):
            print(f"| {number} | {what} | {percentile(took, 0.5):.2f} | {percentile(took, 0.99):.2f} |")
        for what in dict(runs):
            p50s = [percentile(took, 0.5) for name, took in runs if name == what]
            p99s = [percentile(took, 0.99) for name, took in runs if name == what]
            print(
                f"\n{what}: p50 {min(p50s):.2f}–{max(p50s):.2f} ms (median {statistics.median(p50s):.2f}), "
                f"p99 {min(p99s):.2f}–{max(p99s):.2f} ms"
            )


if __name__ == "__main__":
    main()
