"""A storm of related complaints over HTTP: ingest with the policies on against off, and the grading's lag.

10,000 related complaints (one category, five outlets of one sub-branch) posted at 16 connections to
`incident serve` on the embedded store, then three related complaints at a quiet outlet of another
branch: how long until they are yellow (关联性) is the policy lag — the grading had to work through the
whole storm first. Runs alternate (off, on, off, on) so that a noisy machine shows as spread.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench.servers import INCIDENT_SERVE, server_process
from domain.values import Role
from interfaces.settings import Settings
from interfaces.wiring import token_registry

STORM = int(os.environ.get("BENCH_STORM", "10000"))
CONNECTIONS = int(os.environ.get("BENCH_STORM_CONNECTIONS", "16"))
ROUNDS = int(os.environ.get("BENCH_STORM_ROUNDS", "2"))
STORM_OUTLETS = ["BJ-HD-01", "BJ-HD-02", "BJ-HD-03", "BJ-HD-04", "BJ-HD-05"]
QUIET_OUTLET = "SH-PD-01"


@dataclass(frozen=True)
class StormRun:
    policies: bool
    seconds: float
    latencies: list[float]
    lag: float | None

    @property
    def rate(self) -> float:
        return STORM / self.seconds

    def p99(self) -> float:
        return statistics.quantiles(self.latencies, n=100)[98]


def _complaint(outlet: str, n: int) -> dict[str, object]:
    return {"outlet": outlet, "channel": "walk_in", "category": "service_quality", "summary": f"排队太久 {n}"}


async def _storm(url: str, token: str) -> tuple[float, list[float]]:
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(STORM):
        queue.put_nowait(n)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=60) as client:

        async def worker() -> None:
            while not queue.empty():
                n = queue.get_nowait()
                started = time.perf_counter()
                answer = await client.post("/api/v1/complaints", json=_complaint(STORM_OUTLETS[n % 5], n))
                answer.raise_for_status()
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
        return time.perf_counter() - started, latencies


def _lag(url: str, token: str, timeout: float = 600.0) -> float | None:
    """Seconds from the third quiet complaint's acknowledgement until all three are yellow."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        ids = [
            client.post("/api/v1/complaints", json=_complaint(QUIET_OUTLET, n)).json()["incident_id"]
            for n in range(3)
        ]
        acknowledged = time.perf_counter()
        while time.perf_counter() - acknowledged < timeout:
            levels = {client.get(f"/api/v1/incidents/{i}").json()["level"]["code"] for i in ids}
            if levels == {"yellow"}:
                return time.perf_counter() - acknowledged
            time.sleep(0.05)
    return None


def run_once(policies: bool) -> StormRun:
    with tempfile.TemporaryDirectory() as folder:
        url_db = f"sqlite:///{Path(folder) / 'storm.db'}"
        registry = token_registry(Settings(database_url=url_db))
        token = registry.issue(role=Role.OFFICE, unit="HQ", name="bench", now=datetime.now(UTC))[1]
        env = {
            "INCIDENT_DATABASE_URL": url_db,
            "INCIDENT_RUN_POLICIES": "yes" if policies else "no",
        }
        with server_process(INCIDENT_SERVE, env, folder) as (url, _pid):
            seconds, latencies = asyncio.run(_storm(url, token))
            lag = _lag(url, token) if policies else None
    return StormRun(policies, seconds, latencies, lag)


def main() -> None:
    runs = [run_once(policies) for _ in range(ROUNDS) for policies in (False, True)]
    off = [r for r in runs if not r.policies]
    on = [r for r in runs if r.policies]
    print(f"\n### Storm: {STORM:,} related complaints at {CONNECTIONS} connections, embedded store\n")
    print("| run | policies | complaints/s | p99 | × policies off (same round) | policy lag |")
    print("|---:|---|---:|---:|---:|---:|")
    for n, (a, b) in enumerate(zip(off, on, strict=True), start=1):
        for run in (a, b):
            lag = (
                "—"
                if run.lag is None and not run.policies
                else (f"{run.lag:.2f} s" if run.lag else "> 600 s")
            )
            ratio = run.rate / a.rate
            print(
                f"| {n} | {'on' if run.policies else 'off'} | {run.rate:,.0f} | {run.p99() * 1000:.0f} ms "
                f"| {ratio:.2f} | {lag} |"
            )
