"""Replays under load: a hundred watchers at `after=0` over a large log while a client posts and polls.

`python -m bench replay` (about 3 minutes on 2 cores). The server is `incident serve` in a process
of its own on an SQLite file; the watchers (one asyncio process) and the prober (another process:
`GET /healthz` every 20 ms, `POST` a complaint back to back) each have a GIL of their own. Figures:
the prober's latencies with no replay (the baseline) and during each load, how long the replays
took, and the server's resident memory (its peak, and after the load).

Loads: 100 branch replays (25 outlets × 4 feeds, each its outlet's share of the log), and 100
bank-wide replays (10 auditor tokens × 10 feeds, each the whole log; these run for
`BENCH_REPLAY_WIDE_SECONDS` and are then dropped, as they would take minutes to finish).
`BENCH_REPLAY_SERVER_ROOT` runs another checkout's server (e.g. the main branch, for before/after).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

EVENTS = int(os.environ.get("BENCH_REPLAY_EVENTS", "100000"))
WIDE_SECONDS = float(os.environ.get("BENCH_REPLAY_WIDE_SECONDS", "30"))
IDLE_SECONDS = 5.0
ROOT = Path(__file__).resolve().parents[1]
SERVER_ROOT = Path(os.environ.get("BENCH_REPLAY_SERVER_ROOT") or ROOT)

Reply = dict[str, Any]


# -- child processes: the watchers and the prober, one JSON line out each ----------------------------


def _child(role: str, *args: str) -> Reply:
    process = subprocess.run(
        [sys.executable, "-m", "bench.replay_bench", role, *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    if process.returncode:
        raise RuntimeError(f"bench.replay_bench {role} failed:\n{process.stderr[-3000:]}")
    reply: Reply = json.loads(process.stdout.splitlines()[-1])
    return reply


def _watchers(url: str, tokens_json: str, feeds_per_token: str, seconds: str) -> Reply:
    """Each token's feeds at after=0; each reads to the heartbeat that ends its replay (or the time limit)."""
    import websockets

    tokens: list[str] = json.loads(tokens_json)
    limit = float(seconds)
    feed = url.replace("http://", "ws://") + "/api/v1/feed?after=0"

    async def one(token: str) -> Reply:
        got, started, first, ended = 0, time.perf_counter(), None, None
        code: int | str | None = None
        headers = {"Authorization": f"Bearer {token}"}
        try:
            async with websockets.connect(feed, additional_headers=headers, open_timeout=60) as ws:
                while time.perf_counter() - started < limit:
                    message = await asyncio.wait_for(ws.recv(), 60)
                    first = first or time.perf_counter() - started
                    if not str(message).startswith('{"kind": "event"'):
                        break
                    got += 1
                ended = time.perf_counter() - started
        except websockets.ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else None
        except (OSError, TimeoutError, websockets.InvalidHandshake) as error:
            code = type(error).__name__  # refused, or no answer within a minute
        ended = ended or time.perf_counter() - started
        return {"events": got, "seconds": ended, "closed": code, "first": first}  # closed: a code or an error

    async def run() -> list[Reply]:
        return await asyncio.gather(*(one(t) for t in tokens for _ in range(int(feeds_per_token))))

    results = asyncio.run(run())
    # Until the last replay ended (or was dropped at the limit); closing handshakes not counted.
    return {"replays": results, "wall": max(r["seconds"] for r in results)}


def _probe(url: str, token: str, outlet: str) -> Reply:
    """Polls /healthz and posts complaints until stdin closes; their latencies in ms."""
    import httpx

    health: list[float] = []
    posts: list[float] = []
    failures: list[str] = []
    stop = threading.Event()

    def timed(into: list[float], request: Any) -> None:
        started = time.perf_counter()
        try:
            if request().is_error:
                failures.append("error status")
        except httpx.HTTPError as error:
            failures.append(repr(error))
        into.append((time.perf_counter() - started) * 1000)

    def poll() -> None:
        with httpx.Client(timeout=15) as client:
            while not stop.is_set():
                timed(health, lambda: client.get(f"{url}/healthz"))
                time.sleep(0.02)

    def post() -> None:
        body = {"outlet": outlet, "channel": "walk_in", "category": "service_quality", "summary": "排队"}
        with httpx.Client(timeout=15, headers={"Authorization": f"Bearer {token}"}) as client:
            while not stop.is_set():
                timed(posts, lambda: client.post(f"{url}/api/v1/complaints", json=body))

    threads = [threading.Thread(target=poll), threading.Thread(target=post)]
    for thread in threads:
        thread.start()
    sys.stdin.read()
    stop.set()
    for thread in threads:
        thread.join()
    return {"health": health, "posts": posts, "failures": failures}


class Prober:
    """The prober process, from `start` until `stop`."""

    def __init__(self, url: str, token: str, outlet: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.replay_bench", "probe", url, token, outlet],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def stop(self) -> Reply:
        out, _ = self.process.communicate("", timeout=60)
        reply: Reply = json.loads(out.splitlines()[-1])
        return reply


# -- the run -----------------------------------------------------------------------------------------


def _memory_mb(pid: int) -> tuple[float, float]:
    """The process's resident memory now and at its peak."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def _quantiles(values: list[float]) -> str:
    if not values:
        return "— | — | — | —"
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"{len(ordered):,} | {statistics.median(ordered):,.0f} | {p99:,.0f} | {ordered[-1]:,.0f}"


def main() -> None:
    from domain.values import Role
    from interfaces.organisation_file import DEMO_ORGANISATION_PATH, load_organisation
    from interfaces.settings import Settings
    from tests.e2e.big_log import build_log
    from tests.e2e.server import issue_token, serve_process

    rows, notes = [], []
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as folder:
        settings = Settings(database_url=f"sqlite:///{folder}/replay.db", run_policies=False)
        outlets = [u.code for u in load_organisation(DEMO_ORGANISATION_PATH).outlets]
        started = time.perf_counter()
        built = build_log(settings.database_url, EVENTS, outlets)
        notes.append(
            f"log of {built.head:,} events over {len(outlets)} outlets built in {time.perf_counter() - started:.0f} s"
        )
        office = issue_token(settings, Role.OFFICE, "HQ")
        branches = [issue_token(settings, Role.BRANCH, outlet) for outlet in outlets[:25]]
        wide = [issue_token(settings, Role.AUDITOR) for _ in range(10)]
        env = {"INCIDENT_FEED_PER_TOKEN": "10", "PYTHONPATH": str(SERVER_ROOT)}
        with serve_process(settings, Path(folder), Path(folder) / "server.log", env) as (url, server):
            started = time.perf_counter()
            _caught_up(url, office, built.head)
            notes.append(
                f"server caught up with the log (boards and feed) {time.perf_counter() - started:.0f} s after it answered"
            )
            loads = [
                ("none (baseline)", None),
                ("100 branch replays (25 tokens × 4)", (branches, 4, 600.0)),
                (
                    f"100 bank-wide replays (10 tokens × 10), first {WIDE_SECONDS:g} s",
                    (wide, 10, WIDE_SECONDS),
                ),
            ]
            for name, load in loads:
                prober = Prober(url, office, outlets[-1])
                replays: Reply | None = None
                if load is None:
                    time.sleep(IDLE_SECONDS)
                else:
                    tokens, per_token, limit = load
                    replays = _child("watchers", url, json.dumps(tokens), str(per_token), str(limit))
                probed = prober.stop()
                rss, peak = _memory_mb(server.pid)
                rows.append((name, probed, replays, rss, peak))
    print(_table(rows, notes))


def _caught_up(url: str, token: str, head: int) -> None:
    import httpx

    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + 600
    while httpx.get(f"{url}/api/v1/boards/wall?after={head}", headers=headers, timeout=30).is_error:
        if time.monotonic() > deadline:
            raise RuntimeError("the boards did not catch up")


def _table(rows: list[tuple[str, Reply, Reply | None, float, float]], notes: list[str]) -> str:
    lines = [
        f"\n### Replays under load ({EVENTS:,}-event log, server `{SERVER_ROOT.name}`)\n",
        *(f"- {note}" for note in notes),
        "",
        "| replays | request | answered | p50 ms | p99 ms | max ms | failed |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for name, probed, _, _, _ in rows:
        failed = len(probed["failures"])
        lines.append(f"| {name} | GET /healthz | {_quantiles(probed['health'])} | {failed} |")
        lines.append(f"| {name} | POST complaint | {_quantiles(probed['posts'])} | |")
    lines += [
        "",
        "| replays | events sent | wall s | events/s | closed early | server RSS after / peak MB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, _, replays, rss, peak in rows:
        if replays is None:
            lines.append(f"| {name} | — | — | — | — | — | {rss:,.0f} / {peak:,.0f} |")
            continue
        sent = sum(r["events"] for r in replays["replays"])
        closed = sum(1 for r in replays["replays"] if r["closed"] is not None)
        first = max((r["first"] or 0.0) for r in replays["replays"])
        lines.append(
            f"| {name} | {sent:,} | {replays['wall']:.1f} | {sent / replays['wall']:,.0f} | {first:.1f} "
            f"| {closed} | {rss:,.0f} / {peak:,.0f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    role, *rest = sys.argv[1:]
    reply = _watchers(*rest) if role == "watchers" else _probe(*rest)
    sys.stdout.write(json.dumps(reply) + "\n")
