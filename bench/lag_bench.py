"""Projector lag during `incident simulate --mode storm`: how far the boards trail the log, in events and seconds.

PostgreSQL, scaled out: a fresh schema (`incident migrate`), `incident serve --workers N` with the
boards off and `incident project` beside them (boards, policies, notifications), then the storm from
`incident simulate` in a process of its own, through the public API. While it runs, this process reads
`GET /metrics` every BENCH_LAG_INTERVAL seconds: the log's head (`incident_log_head_position`) and the
position every board has passed (`incident_boards_position`), both read from the store.

- Lag in events, per sample: head − boards' position.
- Lag in seconds, per sample i: the time from sample i until the first sample whose boards' position
  has reached sample i's head, i.e. from when an event was seen committed at the head until every board
  had passed it. An event committed up to one interval before it was seen: the figure is exact to
  within one interval (0.1 s by default), and sampling goes on after the storm until the boards are
  at its end, so the last events' lag is counted too.

The aim is p99 < 1 s. Nothing here is a ratio: the lag is a delay, not a rate, and the storm's
commands/s (with p50/p99 from simulate's own summary) is printed beside it.

Environment: BENCH_LAG_SECONDS (30, the storm's length), BENCH_LAG_CLIENTS (16, simulate's senders),
BENCH_LAG_WORKERS (2), BENCH_LAG_INTERVAL (0.1), BENCH_INGEST_POSTGRES (the database).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time

import httpx

from bench.ingest_bench import POSTGRES_URL, _fresh_schema, _postgres_available
from bench.scaleout_bench import _token
from bench.servers import INCIDENT_SERVE, ROOT, migrate, projector_process, server_process

SECONDS = float(os.environ.get("BENCH_LAG_SECONDS", "30"))
CLIENTS = int(os.environ.get("BENCH_LAG_CLIENTS", "16"))
WORKERS = int(os.environ.get("BENCH_LAG_WORKERS", "2"))
INTERVAL = float(os.environ.get("BENCH_LAG_INTERVAL", "0.1"))
CATCH_UP_SECONDS = 120.0
AIM_SECONDS = 1.0

Sample = tuple[float, int, int]  # when (monotonic), the log's head, the boards' position


def _positions(client: httpx.Client) -> tuple[int, int]:
    found: dict[str, int] = {}
    for line in client.get("/metrics").text.splitlines():
        name, _, value = line.partition(" ")
        if name in ("incident_log_head_position", "incident_boards_position"):
            found[name] = int(float(value))
    return found["incident_log_head_position"], found["incident_boards_position"]


def _sample(url: str, token: str, storm_over: threading.Event, samples: list[Sample]) -> None:
    """Reads the positions until the storm is over and the boards have reached its last head."""
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as client:
        deadline = None
        while True:
            head, boards = _positions(client)
            samples.append((time.monotonic(), head, boards))
            if storm_over.is_set():
                deadline = deadline or time.monotonic() + CATCH_UP_SECONDS
                if boards >= head or time.monotonic() > deadline:
                    return
            time.sleep(INTERVAL)


def lags(samples: list[Sample]) -> tuple[list[int], list[float]]:
    """Each sample's lag in events, and in seconds until the boards passed the head it saw (if they did)."""
    events = [head - boards for _, head, boards in samples]
    seconds: list[float] = []
    j = 0
    for when, head, _ in samples:
        while j < len(samples) and samples[j][2] < head:
            j += 1
        if j == len(samples):
            break  # never passed within the catch-up: counted as missing below
        seconds.append(samples[j][0] - when)
    return events, seconds


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def run() -> tuple[dict[str, object], list[Sample]]:
    database_url = _fresh_schema(POSTGRES_URL)
    migrate(database_url)
    token = _token(database_url)
    env = {"INCIDENT_DATABASE_URL": database_url, "INCIDENT_RUN_BOARDS": "no"}
    with (
        tempfile.TemporaryDirectory() as folder,
        projector_process(env, folder),
        server_process([*INCIDENT_SERVE, "--workers", str(WORKERS)], env, folder) as (url, _),
    ):
        samples: list[Sample] = []
        storm_over = threading.Event()
        sampler = threading.Thread(target=_sample, args=(url, token, storm_over, samples))
        sampler.start()
        try:
            storm = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "interfaces.cli.main",
                    "simulate",
                    "--mode",
                    "storm",
                    "--json",
                    "--seconds",
                    str(SECONDS),
                    "--clients",
                    str(CLIENTS),
                    "--seed",
                    "15",
                ],
                env={**os.environ, "INCIDENT_URL": url, "INCIDENT_TOKEN": token, "PYTHONPATH": str(ROOT)},
                capture_output=True,
                text=True,
                check=True,
            )
        finally:
            storm_over.set()
            sampler.join()
    summary: dict[str, object] = json.loads(storm.stdout.strip().splitlines()[-1])
    return summary, samples


def main() -> None:
    if not _postgres_available():
        print(f"\nPostgreSQL at {POSTGRES_URL} is not reachable: the lag bench is skipped")
        return
    summary, samples = run()
    events, seconds = lags(samples)
    missing = len(samples) - len(seconds)
    p99 = _quantile(seconds, 0.99)
    gap = (samples[-1][0] - samples[0][0]) / max(1, len(samples) - 1)  # a scrape takes time too
    print(
        f"\n### Projector lag during `incident simulate --mode storm` ({SECONDS:g} s, {CLIENTS} senders), "
        f"PostgreSQL, `incident serve --workers {WORKERS}` + `incident project`, {os.cpu_count()} CPUs\n"
    )
    print(
        f"Storm: {summary['sent']} commands sent, {summary['accepted']} accepted, {summary['refused']} "
        f"refused by rule, {summary['errors']} errors ({float(str(summary['sent'])) / SECONDS:,.0f}/s); "
        f"latency p50 {summary['p50_ms']} ms, p99 {summary['p99_ms']} ms. {len(samples)} samples, "
        f"one every {gap:.2f} s on average; log head at the end {samples[-1][1]:,}.\n"
    )
    print("| lag | p50 | p99 | max | aim |\n|---|---:|---:|---:|---|")
    print(
        f"| boards behind the head, events | {_quantile([float(e) for e in events], 0.5):,.0f} "
        f"| {_quantile([float(e) for e in events], 0.99):,.0f} | {max(events):,} | — |"
    )
    print(
        f"| from the head until the boards pass it, seconds (± {gap:.2f} s) | "
        f"{_quantile(seconds, 0.5):.2f} | {p99:.2f} | {max(seconds, default=float('nan')):.2f} "
        f"| p99 < 1 s: {'met' if p99 < AIM_SECONDS and not missing else 'not met'} |"
    )
    if missing:
        print(f"\n{missing} samples' heads were not passed within {CATCH_UP_SECONDS:g} s of the storm's end.")


if __name__ == "__main__":
    main()
