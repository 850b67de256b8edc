"""Boards: rebuild rate against the raw read-and-decode rate of the same log, and ack-to-board delay.

Rounds alternate (read and decode, rebuild, read and decode, rebuild) on one log, so that a noisy
machine shows as spread. Each figure is also given in CPU time of the process (every thread), which
a busy machine disturbs less than the wall clock. On the embedded SQLite store; on PostgreSQL too
when BENCH_POSTGRES_URL names a database (a schema of its own is made there and dropped after).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from application.incident_desk import IncidentDesk
from application.store.database_url import store_env
from domain.complaint import Complaint
from domain.values import Actor, Category, Channel, EmergencyKind, Level, Role
from interfaces.boards.rebuild import rebuild_boards
from interfaces.boards.runner import BoardRunner
from interfaces.boards.wiring import make_runner
from interfaces.sql_engine import engine_for

INCIDENTS = int(os.environ.get("BENCH_INCIDENTS", "400"))
EVENTS_PER_INCIDENT = int(os.environ.get("BENCH_EVENTS_PER_INCIDENT", "40"))
LATENCY_SAMPLES = int(os.environ.get("BENCH_LATENCY_SAMPLES", "500"))
ROUNDS = int(os.environ.get("BENCH_BOARD_ROUNDS", "3"))
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "")
OFFICE = Actor(id="bench-office", role=Role.OFFICE, unit="HQ", name="bench")
OUTLETS = ["BJ-HD-01", "BJ-HD-02", "SH-PD-01", "GD-TH-03", "SC-JJ-01"]


def fill(desk: IncidentDesk) -> int:
    """A log of complaints and emergencies with a realistic spread of events."""
    for n in range(INCIDENTS):
        outlet = OUTLETS[n % len(OUTLETS)]
        if n % 4 == 0:
            incident_id = desk.report_emergency(
                actor=OFFICE,
                occurred_at=None,
                outlet=outlet,
                kind=EmergencyKind.FIRE,
                level=Level.ORANGE,
                summary="bench",
            ).incident_id
        else:
            incident_id = desk.report_complaint(
                actor=OFFICE,
                occurred_at=None,
                outlet=outlet,
                channel=Channel.WALK_IN,
                category=Category.SERVICE_QUALITY,
                summary="bench",
            ).incident_id
            desk.act(incident_id, Complaint.acknowledge(), actor=OFFICE, occurred_at=None)
        for i in range(EVENTS_PER_INCIDENT - 2):
            desk.act(incident_id, Complaint.add_note(text=f"note {i}"), actor=OFFICE, occurred_at=None)
    return int(desk.recorder.max_notification_id() or 0)


@dataclass(frozen=True)
class Timed:
    """One run: events over wall-clock seconds and over the process's CPU seconds."""

    events: int
    wall: float
    cpu: float


def timed(events: int, run: Callable[[], object]) -> Timed:
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return Timed(events, time.perf_counter() - wall, time.process_time() - cpu)


def read_and_decode(desk: IncidentDesk) -> None:
    start = 0
    while batch := desk.recorder.select_notifications(start=start, limit=2000, inclusive_of_start=False):
        for notification in batch:
            desk.mapper.to_domain_event(notification)
        start = batch[-1].id


def rounds(desk: IncidentDesk, database_url: str, events: int) -> list[tuple[Timed, Timed]]:
    """(read and decode, rebuild), alternating."""
    engine = engine_for(database_url)
    found = []
    for _ in range(ROUNDS):
        baseline = timed(events, lambda: read_and_decode(desk))
        rebuilt = timed(events, lambda: rebuild_boards(desk, engine, database_url))
        found.append((baseline, rebuilt))
    engine.dispose()
    return found


def ack_to_board_delays(desk: IncidentDesk, database_url: str) -> list[float]:
    engine = engine_for(database_url)
    runner = make_runner(desk, engine, database_url)
    runner.start()
    _reach(runner, int(desk.recorder.max_notification_id() or 0), timeout=300)
    incident_id = desk.report_complaint(
        actor=OFFICE,
        occurred_at=None,
        outlet="BJ-HD-01",
        channel=Channel.ONLINE,
        category=Category.BUSINESS_OPERATION,
        summary="latency",
    ).incident_id
    delays = []
    for i in range(LATENCY_SAMPLES):
        result = desk.act(
            incident_id,
            Complaint.add_note(text=str(i)),
            actor=OFFICE,
            occurred_at=None,
            command_id=uuid.uuid4().hex,
        )
        acknowledged = time.perf_counter()
        _reach(runner, result.position, timeout=10)
        delays.append((time.perf_counter() - acknowledged) * 1000)
    runner.stop()
    engine.dispose()
    return delays


def _reach(runner: BoardRunner, position: int, timeout: float) -> None:
    # A figure measured on failing boards would be a lie (their waits return at once): stop instead.
    if not runner.wait_for(position, timeout):
        raise SystemExit(f"the boards did not reach position {position}: {runner.status(position).summary()}")


@contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """A fresh schema in the database at `url`, dropped afterwards; yields the store's URL for it."""
    import psycopg  # only when asked for: the embedded bench needs no PostgreSQL

    schema = f"bench_boards_{uuid.uuid4().hex[:8]}"
    bare = urlunsplit(urlsplit(url)._replace(query=""))
    with psycopg.connect(bare, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{bare}?schema={schema}"
    finally:
        with psycopg.connect(bare, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def measure_store(name: str, database_url: str) -> None:
    desk = IncidentDesk(store_env(database_url))
    events = fill(desk)
    found = rounds(desk, database_url, events)
    delays = ack_to_board_delays(desk, database_url)
    desk.close()
    print(report(f"Boards on {name}: a log of {events:,} events ({INCIDENTS} incidents)", found, delays))


def _span(values: list[float], form: str) -> str:
    low, high = min(values), max(values)
    return format(low, form) if format(low, form) == format(high, form) else f"{low:{form}} – {high:{form}}"


def report(title: str, found: list[tuple[Timed, Timed]], delays: list[float]) -> str:
    rates = [(b.events / b.wall, r.events / r.wall) for b, r in found]
    ratios = [b.wall / r.wall for b, r in found]
    cpu_ratios = [b.cpu / r.cpu for b, r in found]
    quantiles = statistics.quantiles(delays, n=100)
    return "\n".join(
        [
            f"\n### {title}, {len(found)} alternating rounds\n",
            "| what | events/s | × read-and-decode (wall) | × (CPU) |",
            "|---|---:|---:|---:|",
            f"| read and decode the log (baseline) | {_span([b for b, _ in rates], ',.0f')} | 1.00 | 1.00 |",
            "| rebuild every board (office, timeline, statistics, feed index), built beside and swapped in"
            f" | {_span([r for _, r in rates], ',.0f')} | {_span(ratios, '.2f')} | {_span(cpu_ratios, '.2f')} |",
            f"\n| command acknowledged → board shows it ({len(delays)} sequential commands) | p50 | p99 | max |",
            "|---|---:|---:|---:|",
            f"| in-process projector | {statistics.median(delays):.1f} ms | {quantiles[98]:.1f} ms"
            f" | {max(delays):.1f} ms |",
        ]
    )


def main() -> None:
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        measure_store("SQLite", f"sqlite:///{Path(tmp) / 'boards.db'}")
    if POSTGRES_URL:
        with postgres_schema(POSTGRES_URL) as url:
            measure_store("PostgreSQL", url)


if __name__ == "__main__":
    main()
