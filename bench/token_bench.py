"""Token verification: GET requests/s with the verified-token cache on and off, and verify()'s cost per call.

- HTTP: `incident serve` in a process of its own (an SQLite file in a temporary folder, boards on,
  policies off), `wrk` in another, GET /api/v1/incidents/{id} of one stored complaint with an office
  token; the server restarted for each run with INCIDENT_TOKEN_CACHE_SECONDS=0 (off, the baseline)
  or the default, alternated off, on, off, on. BENCH_TOKENS_POSTGRES_URL adds the same on PostgreSQL.
- In process: `TokenRegistry.verify` of one token, cache off and on, alternated.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench.servers import INCIDENT_SERVE, server_process
from domain.values import Role

ROUNDS = int(os.environ.get("BENCH_TOKENS_ROUNDS", "3"))
SECONDS = int(os.environ.get("BENCH_TOKENS_SECONDS", "5"))
CONNECTIONS = int(os.environ.get("BENCH_TOKENS_CONNECTIONS", "16"))
CALLS = int(os.environ.get("BENCH_TOKENS_CALLS", "20000"))
POSTGRES_URL = os.environ.get("BENCH_TOKENS_POSTGRES_URL", "")
COMPLAINT = {
    "outlet": "BJ-HD-01",
    "channel": "walk_in",
    "category": "service_quality",
    "summary": "bench",
    "contact": {"name": "张三", "phone": "13800138000", "email": ""},
}


def _serve(
    database_url: str, folder: str, cache_seconds: str | None
) -> AbstractContextManager[tuple[str, int]]:
    env = {"INCIDENT_DATABASE_URL": database_url, "INCIDENT_RUN_POLICIES": "no"}
    if cache_seconds is not None:
        env["INCIDENT_TOKEN_CACHE_SECONDS"] = cache_seconds
    return server_process(INCIDENT_SERVE, env, folder)


def _wrk(url: str, token: str, seconds: int = SECONDS) -> float:
    done = subprocess.run(
        ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "-H", f"Authorization: Bearer {token}", url],
        capture_output=True,
        text=True,
        check=True,
    )
    if "Non-2xx" in done.stdout:
        raise RuntimeError(f"the server refused requests: {done.stdout}")
    found = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    if found is None:
        raise RuntimeError(done.stdout)
    return float(found.group(1))


def http_rates(database_url: str, folder: str) -> dict[str, list[float]]:
    from interfaces.settings import Settings
    from interfaces.wiring import token_registry

    registry = token_registry(Settings(database_url=database_url))
    token = registry.issue(role=Role.OFFICE, unit="HQ", name="bench", now=datetime.now(UTC))[1]
    rates: dict[str, list[float]] = {"cache off": [], "cache on": []}
    incident: str | None = None
    for _ in range(ROUNDS):
        for name, seconds in (("cache off", "0"), ("cache on", None)):
            with _serve(database_url, folder, seconds) as (url, _pid):
                if incident is None:
                    headers = {"Authorization": f"Bearer {token}"}
                    answer = httpx.post(f"{url}/api/v1/complaints", json=COMPLAINT, headers=headers)
                    incident = str(answer.raise_for_status().json()["incident_id"])
                target = f"{url}/api/v1/incidents/{incident}"
                _wrk(target, token, seconds=1)  # a fresh process: warm it up
                rates[name].append(_wrk(target, token))
    return rates


def verify_costs(database_url: str) -> dict[str, list[float]]:
    """Microseconds per `verify()` of one token, in this process."""
    from application.access.tokens import TOKEN_CACHE_SECONDS, TokenRegistry
    from interfaces.organisation_file import DEMO_ORGANISATION_PATH, load_organisation
    from interfaces.sql_engine import engine_for

    organisation = load_organisation(DEMO_ORGANISATION_PATH)
    registries = {
        "cache off": TokenRegistry(engine_for(database_url), organisation, cache_seconds=0),
        "cache on": TokenRegistry(engine_for(database_url), organisation, cache_seconds=TOKEN_CACHE_SECONDS),
    }
    token = registries["cache off"].issue(role=Role.OFFICE, unit="HQ", name="bench", now=datetime.now(UTC))[1]
    costs: dict[str, list[float]] = {name: [] for name in registries}
    for _ in range(ROUNDS):
        for name, registry in registries.items():
            costs[name].append(_per_call(functools.partial(registry.verify, token)))
    for registry in registries.values():
        registry.close()
    return costs


def _per_call(call: Callable[[], object]) -> float:
    for _ in range(100):
        call()
    started = time.perf_counter()
    for _ in range(CALLS):
        if call() is None:
            raise RuntimeError("the token was refused")
    return (time.perf_counter() - started) / CALLS * 1e6


def _table(title: str, figures: dict[str, list[float]], unit: str, *, lower_is_better: bool = False) -> None:
    """Medians with their spread, and the speed of each against the cache off's (above 1: faster)."""
    print(f"\n### {title}\n\n| what | median (min–max) | speed × cache off |\n|---|---:|---:|")
    baseline = statistics.median(figures["cache off"])
    for name, values in figures.items():
        median = statistics.median(values)
        speed = baseline / median if lower_is_better else median / baseline
        print(f"| {name} | {median:,.1f} ({min(values):,.1f}–{max(values):,.1f}) {unit} | {speed:.2f} |")


def main() -> None:
    if shutil.which("wrk") is None:
        print("token bench: wrk is not installed; only the in-process figures follow")
    stores = [("SQLite", None), *([("PostgreSQL", POSTGRES_URL)] if POSTGRES_URL else [])]
    for store, given in stores:
        with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as folder:
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            database_url = f"{given}?schema={schema}" if given else f"sqlite:///{Path(folder) / 'tokens.db'}"
            if given:
                _postgres(given, f'CREATE SCHEMA "{schema}"')
            try:
                costs = verify_costs(database_url)
                _table(f"verify() of one token, {store}, µs per call", costs, "µs", lower_is_better=True)
                if shutil.which("wrk"):
                    rates = http_rates(database_url, folder)
                    title = (
                        f"GET an incident with a token, {store}, {CONNECTIONS} connections (wrk, {SECONDS} s)"
                    )
                    _table(title, rates, "req/s")
            finally:
                if given:
                    _postgres(given, f'DROP SCHEMA "{schema}" CASCADE')


def _postgres(database_url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(statement)


if __name__ == "__main__":
    main()
