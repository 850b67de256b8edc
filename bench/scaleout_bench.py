"""Ingest over HTTP on PostgreSQL scaled out: `incident serve --workers N` and `incident project`, N = 1, 2, 4.

Each run is a fresh schema (`incident migrate`), the product's N server processes on one socket with
the boards off (INCIDENT_RUN_BOARDS=no) and `incident project` beside them projecting the boards and
running the policies, as docs/deploy.md lays it out; against the trivial FastAPI POST of
bench/ingest_baseline.py served by the same uvicorn supervisor with the same N. The load is the
ingest bench's (wrk with bench/ingest.lua, else its Python client), with a warm-up first. Per worker
count the runs alternate baseline, product, baseline, product, so the machine's noise shows as
spread; the server's CPU per request is summed over its worker processes (the projector's apart).
The aim is product ≥ 0.5 × baseline at each count. `BENCH_SCALEOUT_PROFILE=folder` records the
product's workers and projector with py-spy during each run (raw stacks, one file a process).

Environment: BENCH_SCALEOUT_WORKERS (1,2,4), BENCH_SCALEOUT_SECONDS (5), BENCH_SCALEOUT_ROUNDS (2),
BENCH_SCALEOUT_CONNECTIONS (64), BENCH_INGEST_POSTGRES (the database, as for the ingest bench).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.ingest_bench import (
    POSTGRES_URL,
    WARMUP_SECONDS,
    WRK,
    Load,
    Server,
    _fresh_schema,
    _ms,
    _postgres_available,
    cpu_seconds,
    load,
)
from bench.servers import INCIDENT_SERVE, family, migrate, projector_process, server_process

WORKERS = [int(n) for n in os.environ.get("BENCH_SCALEOUT_WORKERS", "1,2,4").split(",")]
SECONDS = float(os.environ.get("BENCH_SCALEOUT_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_SCALEOUT_ROUNDS", "2"))
CONNECTIONS = int(os.environ.get("BENCH_SCALEOUT_CONNECTIONS", "64"))
PROFILE = os.environ.get("BENCH_SCALEOUT_PROFILE", "")
AIM = 0.5


@contextmanager
def baseline(workers: int, folder: str) -> Iterator[Server]:
    env = {"INCIDENT_WORKERS": str(workers)}
    with server_process(["-m", "bench.ingest_baseline"], env, folder) as (url, pid):
        yield Server(url, pid, "baseline-takes-any-token")


@contextmanager
def scaled_out(workers: int, folder: str) -> Iterator[tuple[Server, int]]:
    """N server processes and the projector on a fresh, migrated schema; the servers and the projector's pid."""
    database_url = _fresh_schema(POSTGRES_URL)
    migrate(database_url)
    token = _token(database_url)
    env = {"INCIDENT_DATABASE_URL": database_url, "INCIDENT_RUN_BOARDS": "no"}
    with (
        projector_process(env, folder) as projector,
        server_process([*INCIDENT_SERVE, "--workers", str(workers)], env, folder) as (url, pid),
    ):
        yield Server(url, pid, token), projector


def _token(database_url: str) -> str:
    from datetime import UTC, datetime

    from domain.values import Role
    from interfaces.settings import Settings
    from interfaces.wiring import token_registry

    registry = token_registry(Settings(database_url=database_url))
    return registry.issue(role=Role.OFFICE, unit="HQ", name="bench", now=datetime.now(UTC))[1]


def _profile(pids: list[int], name: str, seconds: float) -> list[subprocess.Popen[bytes]]:
    """py-spy recording each process for `seconds`, into PROFILE/name-pid.txt (raw, for flame graphs)."""
    spy = Path(sys.executable).with_name("py-spy")
    Path(PROFILE).mkdir(parents=True, exist_ok=True)
    return [
        subprocess.Popen(
            [
                str(spy),
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(int(seconds)),
                "--format",
                "raw",
                "--output",
                str(Path(PROFILE) / f"{name}-{pid}.txt"),
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid in pids
    ]


def run_once(kind: str, workers: int) -> tuple[Load, float]:
    """One run: the load's figures and the projector's CPU seconds during it (0 for the baseline)."""
    with tempfile.TemporaryDirectory() as folder:
        if kind == "baseline":
            with baseline(workers, folder) as server:
                load(server, CONNECTIONS, WARMUP_SECONDS)
                return load(server, CONNECTIONS, SECONDS), 0.0
        with scaled_out(workers, folder) as (server, projector):
            load(server, CONNECTIONS, WARMUP_SECONDS)
            before = cpu_seconds(projector)
            spies = _profile([*family(server.pid)[1:], projector], f"{workers}w", SECONDS) if PROFILE else []
            found = load(server, CONNECTIONS, SECONDS)
            for spy in spies:
                spy.wait()
            return found, cpu_seconds(projector) - before


def compare(workers: int) -> list[float]:
    """The paired rounds at one worker count, printed; the product/baseline ratios."""
    rounds = [(run_once("baseline", workers), run_once("product", workers)) for _ in range(ROUNDS)]
    ratios = []
    for n, ((base, _), (made, projector_cpu)) in enumerate(rounds, start=1):
        ratio = made.rate / base.rate
        ratios.append(ratio)
        for name, run, extra in (("baseline", base, "—"), ("product", made, f"{projector_cpu:.1f} s")):
            print(
                f"| {workers} | {n} | {name} | {run.rate:,.0f} | {_ms(run.p50)} | {_ms(run.p99)} | {run.failed} "
                f"| {run.cpu_per_request * 1000:.2f} ms | {extra} | {run.rate / base.rate:.2f} |"
            )
    return ratios


def main() -> None:
    if not _postgres_available():
        print(f"\nPostgreSQL at {POSTGRES_URL} is not reachable: the scale-out bench is skipped")
        return
    generator = f"wrk ({WRK})" if WRK else "the Python fallback (wrk is not installed: the client limits)"
    print(
        f"\n### Ingest scaled out on PostgreSQL: `incident serve --workers N` + `incident project`, "
        f"{CONNECTIONS} connections, {SECONDS:g} s per run, {os.cpu_count()} CPUs, load by {generator}\n"
    )
    print(
        "| workers | round | server | req/s | p50 | p99 | failed | server CPU per request "
        "| projector CPU | × baseline (same round) |"
    )
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    summary = {workers: compare(workers) for workers in WORKERS}
    print(
        "\n| workers | product × baseline, median | spread over the rounds | aim ≥ 0.5× |\n|---:|---:|---|---|"
    )
    for workers, ratios in summary.items():
        met = "met" if min(ratios) >= AIM else ("not met" if max(ratios) < AIM else "met in some rounds")
        print(
            f"| {workers} | {statistics.median(ratios):.2f} | {min(ratios):.2f}–{max(ratios):.2f} | {met} |"
        )


if __name__ == "__main__":
    main()
