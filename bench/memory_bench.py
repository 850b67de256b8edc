"""Memory of one `incident serve` process over a 1,000,000-event log with 1,000 watchers on its feed.

PostgreSQL, scaled out as docs/deploy.md lays it out: a fresh schema (`incident migrate`), the log
built in bulk through the store (tests/e2e/big_log.copy_log: real incidents' stored events under new
ids, not over HTTP), the boards built by `incident rebuild`, then `incident serve` with the boards
off (`incident project` runs them; it is not needed here) and its feed restored from the feed-index
board. Its resident set (VmRSS from /proc) is read when ready, with N watchers connected (each with
`?after=` the head: live, no replay; the fan-out bench's RawWatcher pools, in processes of their own,
five watchers a token) and after a burst of complaints reached every watcher. The baseline is the
same server over an empty log with the same watchers, in the same run. The aim is < 300 MB.

Environment: BENCH_MEMORY_EVENTS (1000000), BENCH_MEMORY_WATCHERS (1000), BENCH_MEMORY_BURST (200
complaints), BENCH_INGEST_POSTGRES (the database, as for the ingest bench).
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass

import httpx

from bench.fanout_bench import PER_TOKEN, POOL, Child, _ask_all, _rss
from bench.ingest_bench import OUTLETS, POSTGRES_URL, _fresh_schema, _postgres_available
from bench.servers import INCIDENT_SERVE, migrate, server_process

EVENTS = int(os.environ.get("BENCH_MEMORY_EVENTS", "1000000"))
WATCHERS = int(os.environ.get("BENCH_MEMORY_WATCHERS", "1000"))
BURST = int(os.environ.get("BENCH_MEMORY_BURST", "200"))
AIM_MB = 300


@dataclass(frozen=True)
class Memory:
    """One server's resident set at each step, in bytes, and how long the steps took."""

    events: int
    ready: int
    watched: int
    after_burst: int
    build_seconds: float
    connect_seconds: float


def _tokens(database_url: str, count: int) -> list[str]:
    from datetime import UTC, datetime

    from domain.values import Role
    from interfaces.settings import Settings
    from interfaces.wiring import token_registry

    registry = token_registry(Settings(database_url=database_url))
    now = datetime.now(UTC)
    return [
        registry.issue(role=Role.OFFICE, unit="HQ", name=f"watcher {n}", now=now)[1] for n in range(count)
    ]


def _rebuild(database_url: str) -> None:
    import subprocess
    import sys

    from bench.servers import ROOT

    env = {**os.environ, "INCIDENT_DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "interfaces.cli.main", "rebuild"], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"incident rebuild failed: {done.stderr.strip()[-500:]}")


def measure(events: int) -> Memory:
    from tests.e2e.big_log import copy_log

    database_url = _fresh_schema(POSTGRES_URL)
    migrate(database_url)
    started = time.monotonic()
    head = copy_log(database_url, events, OUTLETS).head if events else 0
    if events:
        _rebuild(database_url)
    built = time.monotonic() - started
    tokens = _tokens(database_url, -(-WATCHERS // PER_TOKEN) + 1)
    office, watcher_tokens = tokens[0], ",".join(tokens[1:])
    env = {
        "INCIDENT_DATABASE_URL": database_url,
        "INCIDENT_RUN_BOARDS": "no",
        "INCIDENT_FEED_MAX": str(WATCHERS + 100),
    }
    with tempfile.TemporaryDirectory() as folder, server_process(INCIDENT_SERVE, env, folder) as (url, pid):
        ready = _rss(pid)
        feed = url.replace("http://", "ws://") + "/api/v1/feed?after="
        pools = [
            Child(
                "pool", feed, str(min(POOL, WATCHERS - first)), str(head), str(first), tokens=watcher_tokens
            )
            for first in range(0, WATCHERS, POOL)
        ]
        try:
            connect = max(float(pool.answer()["seconds"]) for pool in pools)
            watched = _rss(pid)
            last = _burst(url, office)
            if any(r["behind"] for r in _ask_all(pools, do="wait", position=last, timeout=120)):
                raise RuntimeError("some watchers never got the burst")
            after = _rss(pid)
        finally:
            for pool in pools:
                pool.close()
    return Memory(events, ready, watched, after, built, connect)


def _burst(url: str, token: str) -> int:
    """BURST new complaints over HTTP; the last one's log position."""
    headers = {"Authorization": f"Bearer {token}"}
    position = 0
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        for n in range(BURST):
            body = {"outlet": OUTLETS[n % len(OUTLETS)], "channel": "walk_in", "category": "service_quality"}
            answer = client.post("/api/v1/complaints", json={**body, "summary": f"排队太久 {n}"})
            answer.raise_for_status()
            position = int(answer.json()["position"])
    return position


def _mb(n: int) -> str:
    return f"{n / 2**20:,.0f} MB"


def main() -> None:
    if not _postgres_available():
        print(f"\nPostgreSQL at {POSTGRES_URL} is not reachable: the memory bench is skipped")
        return
    runs = [measure(0), measure(EVENTS)]
    print(
        f"\n### Memory of one `incident serve` (PostgreSQL, boards in `incident project`), "
        f"{WATCHERS:,} watchers, {BURST} complaints delivered to each\n"
    )
    print(
        "| log | RSS ready | with the watchers | after the burst | per watcher | log built in | aim < 300 MB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---|")
    for run in runs:
        per = (run.watched - run.ready) / WATCHERS / 1024
        met = "met" if run.after_burst < AIM_MB * 2**20 else "not met"
        print(
            f"| {run.events:,} events | {_mb(run.ready)} | {_mb(run.watched)} | {_mb(run.after_burst)} "
            f"| {per:.0f} KB | {run.build_seconds:.0f} s | {met} |"
        )
    empty, big = runs
    print(
        f"\nThe log's own cost ({big.events:,} events against none, after the burst): {_mb(big.after_burst - empty.after_burst)}"
    )


if __name__ == "__main__":
    main()
