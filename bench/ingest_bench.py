"""HTTP ingest of new complaints: `incident serve` against a trivial FastAPI POST with the same body.

Each run starts its server in a process of its own on a fresh store (the product with its boards and
policies on; the baseline `bench/ingest_baseline.py`, which validates the same pydantic body and stores
nothing, on the same uvicorn configuration) and drives it from a third process: `wrk` with
`bench/ingest.lua` when it is installed, else a small asyncio client in this process (which is then
the bottleneck, and says so). Runs alternate baseline, product, baseline, product, so a noisy machine
shows as spread; each round also runs the product with its boards and policies off, to show what the
request path costs alone. Then the same on PostgreSQL, and one connection's latency per report. The
server's CPU time per request (all its threads, from /proc) is printed beside the rates: on a shared
machine it moves less than they do.

Environment: BENCH_INGEST_SECONDS (8), BENCH_INGEST_CONNECTIONS (64), BENCH_INGEST_ROUNDS (2),
BENCH_INGEST_POSTGRES (postgresql://postgres@127.0.0.1:5432/wt_http; "no" skips it),
BENCH_INGEST_STORES (sqlite,postgres).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.servers import INCIDENT_SERVE, family, server_process
from domain.organisation import UnitKind
from domain.values import Role
from interfaces.organisation_file import DEMO_ORGANISATION_PATH, load_organisation
from interfaces.settings import Settings
from interfaces.wiring import token_registry

SECONDS = float(os.environ.get("BENCH_INGEST_SECONDS", "8"))
WARMUP_SECONDS = 2.0
CONNECTIONS = int(os.environ.get("BENCH_INGEST_CONNECTIONS", "64"))
ROUNDS = int(os.environ.get("BENCH_INGEST_ROUNDS", "2"))
POSTGRES_URL = os.environ.get("BENCH_INGEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
STORES = os.environ.get("BENCH_INGEST_STORES", "sqlite,postgres").split(",")
ROOT = Path(__file__).resolve().parents[1]
STALE_SCHEMA_SECONDS = 3600  # a bench's schema older than this is a leftover, dropped by the next run
LUA = ROOT / "bench" / "ingest.lua"
WRK = shutil.which("wrk")
PATH = "/api/v1/complaints"
OUTLETS = [u.code for u in load_organisation(DEMO_ORGANISATION_PATH).units if u.kind is UnitKind.OUTLET]


@dataclass(frozen=True)
class Load:
    """What one load run measured."""

    requests: int
    seconds: float
    p50: float
    p99: float
    failed: int
    cpu_seconds: float = 0.0  # the server process's CPU time (all threads) during the run

    @property
    def cpu_per_request(self) -> float:
        return self.cpu_seconds / max(1, self.requests)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process, all its threads (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Server:
    """A server under test: where it listens, its process, a token it takes."""

    url: str
    pid: int
    token: str


@contextmanager
def product(database_url: str, folder: str, background: bool = True) -> Iterator[Server]:
    """`incident serve` on `database_url` (boards and policies on, unless not `background`)."""
    registry = token_registry(Settings(database_url=database_url))
    token = registry.issue(role=Role.OFFICE, unit="HQ", name="bench", now=datetime.now(UTC))[1]
    env = {
        "INCIDENT_DATABASE_URL": database_url,
        "INCIDENT_RUN_BOARDS": "yes" if background else "no",
        "INCIDENT_RUN_POLICIES": "yes" if background else "no",
    }
    with server_process(INCIDENT_SERVE, env, folder) as (url, pid):
        yield Server(url, pid, token)


@contextmanager
def baseline(folder: str) -> Iterator[Server]:
    with server_process(["-m", "bench.ingest_baseline"], {}, folder) as (url, pid):
        yield Server(url, pid, "baseline-takes-any-token")


def _wrk(url: str, token: str, connections: int, seconds: float) -> Load:
    assert WRK is not None
    threads = max(1, min(2, connections))
    env = {**os.environ, "INGEST_TOKEN": token, "INGEST_OUTLETS": ",".join(OUTLETS)}
    command = [
        WRK,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
    ]
    output = subprocess.run(
        [*command, url + PATH], env=env, capture_output=True, text=True, check=True
    ).stdout
    line = next(line for line in output.splitlines() if line.startswith("JSON "))
    found = json.loads(line.removeprefix("JSON "))
    return Load(
        requests=found["requests"],
        seconds=found["duration_us"] / 1e6,
        p50=found["p50_us"] / 1e6,
        p99=found["p99_us"] / 1e6,
        failed=found["errors"] + found["non_2xx"],
    )


async def _python_load(url: str, token: str, connections: int, seconds: float) -> Load:
    """The fallback load generator: keep-alive HTTP/1.1 on raw streams, one coroutine per connection."""
    parts = urlsplit(url)
    latencies: list[float] = []
    failed = 0
    deadline = time.perf_counter() + seconds

    async def connection(number: int) -> None:
        nonlocal failed
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        n = 0
        while time.perf_counter() < deadline:
            n += 1
            body = json.dumps(
                {
                    "outlet": OUTLETS[n % len(OUTLETS)],
                    "channel": "walk_in",
                    "category": "service_quality",
                    "summary": f"bench {number}-{n}",
                }
            ).encode()
            head = (
                f"POST {PATH} HTTP/1.1\r\nHost: {parts.netloc}\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode()
            started = time.perf_counter()
            writer.write(head + body)
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            failed += status >= 400
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection(n) for n in range(connections)))
    elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [latencies[0]] * 99
    return Load(len(latencies), elapsed, cuts[49], cuts[98], failed)


def load(server: Server, connections: int, seconds: float) -> Load:
    """One load run; the CPU time is the server's and its worker processes' (`--workers N`)."""
    pids = family(server.pid)
    before = sum(cpu_seconds(pid) for pid in pids)
    if WRK is not None:
        found = _wrk(server.url, server.token, connections, seconds)
    else:
        found = asyncio.run(_python_load(server.url, server.token, connections, seconds))
    return replace(found, cpu_seconds=sum(cpu_seconds(pid) for pid in pids) - before)


def run_once(kind: str, store: str, connections: int) -> Load:
    """One run on a fresh store: `baseline`, `product`, or `bare` (the product, boards and policies off)."""
    with tempfile.TemporaryDirectory() as folder:
        if kind == "baseline":
            server = baseline(folder)
        else:
            url = (
                f"sqlite:///{Path(folder) / 'ingest.db'}"
                if store == "sqlite"
                else _fresh_schema(POSTGRES_URL)
            )
            server = product(url, folder, background=kind == "product")
        with server as running:
            load(running, connections, WARMUP_SECONDS)
            return load(running, connections, SECONDS)


def _fresh_schema(database_url: str) -> str:
    """A new, empty schema in the bench's own PostgreSQL database (created if missing)."""
    import psycopg

    parts = urlsplit(database_url)
    dbname = parts.path.removeprefix("/")
    admin = urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{dbname}"')
    schema = f"ingest_{int(time.time() * 1000)}"
    with psycopg.connect(
        urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")), autocommit=True
    ) as conn:
        for (old,) in conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'ingest_%'"
        ).fetchall():
            # Only earlier runs' leftovers: a bench running beside this one keeps its schema.
            if (
                old.removeprefix("ingest_").isdigit()
                and int(old.removeprefix("ingest_")) < (time.time() - STALE_SCHEMA_SECONDS) * 1000
            ):
                conn.execute(f'DROP SCHEMA "{old}" CASCADE')
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return f"{urlunsplit((parts.scheme, parts.netloc, parts.path, '', ''))}?schema={schema}"


def _postgres_available() -> bool:
    if POSTGRES_URL.lower() in ("", "no"):
        return False
    parts = urlsplit(POSTGRES_URL)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), timeout=1):
            return True
    except OSError:
        return False


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 0.01 else f"{seconds * 1000:.0f} ms"


KINDS = {
    "baseline": "trivial FastAPI POST",
    "product": "incident serve",
    "bare": "incident serve, boards and policies off",
}


def compare(store: str, connections: int) -> None:
    rounds = [{kind: run_once(kind, store, connections) for kind in KINDS} for _ in range(ROUNDS)]
    print(
        f"\n### Ingest of new complaints, {connections} connection{'s' if connections > 1 else ''}, "
        f"{store} ({SECONDS:.0f} s per run)\n"
    )
    print(
        "| round | server | req/s | p50 | p99 | failed | server CPU per request | × baseline (same round) |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for n, runs in enumerate(rounds, start=1):
        for kind, run in runs.items():
            print(
                f"| {n} | {KINDS[kind]} | {run.rate:,.0f} | {_ms(run.p50)} | {_ms(run.p99)} | {run.failed} "
                f"| {run.cpu_per_request * 1000:.2f} ms | {run.rate / runs['baseline'].rate:.2f} |"
            )
    for kind in ("product", "bare"):
        ratios = [runs[kind].rate / runs["baseline"].rate for runs in rounds]
        print(
            f"\n{KINDS[kind]}: {min(ratios):.2f}–{max(ratios):.2f}× the baseline over {ROUNDS} rounds "
            "(the spread is the machine's noise)"
        )


def main() -> None:
    generator = f"wrk ({WRK})" if WRK else "the Python fallback (wrk is not installed: the client limits)"
    print(f"\nLoad generator: {generator}")
    for store in STORES:
        if store == "postgres" and not _postgres_available():
            print(f"\nPostgreSQL at {POSTGRES_URL} is not reachable: its ingest is skipped")
            continue
        compare(store, CONNECTIONS)
    compare("sqlite", 1)


if __name__ == "__main__":
    main()
