"""Boards: rebuild rate against the raw read-and-decode rate of the same log, and ack-to-board delay.

Both measured in one run on the embedded SQLite store.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from application.incident_desk import IncidentDesk
from application.store.database_url import store_env
from bench.report import Figure, measure, table
from domain.complaint import Complaint
from domain.values import Actor, Category, Channel, EmergencyKind, Level, Role
from interfaces.boards.rebuild import rebuild_boards
from interfaces.boards.runner import BoardRunner
from interfaces.boards.wiring import make_runner
from interfaces.sql_engine import engine_for

INCIDENTS = int(os.environ.get("BENCH_INCIDENTS", "400"))
EVENTS_PER_INCIDENT = int(os.environ.get("BENCH_EVENTS_PER_INCIDENT", "40"))
LATENCY_SAMPLES = int(os.environ.get("BENCH_LATENCY_SAMPLES", "500"))
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


def read_and_decode(desk: IncidentDesk, events: int) -> Figure:
    def run() -> None:
        start = 0
        while True:
            batch = desk.recorder.select_notifications(start=start, limit=2000, inclusive_of_start=False)
            if not batch:
                break
            for notification in batch:
                desk.mapper.to_domain_event(notification)
            start = batch[-1].id

    return measure("read and decode the log (baseline)", events, run)


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


def main() -> None:
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        url = f"sqlite:///{Path(tmp) / 'boards.db'}"
        desk = IncidentDesk(store_env(url))
        events = fill(desk)
        baseline = read_and_decode(desk, events)
        report = rebuild_boards(desk, engine_for(url), url)
        rebuild = Figure(
            "rebuild every board (office, timeline, statistics, feed index)", report.events, report.seconds
        )
        delays = ack_to_board_delays(desk, url)
        desk.close()
    print(table(f"Boards, a log of {events:,} events", baseline, [rebuild], unit="events/s"))
    quantiles = statistics.quantiles(delays, n=100)
    print(
        f"\n### Command acknowledged → board shows it ({len(delays)} sequential commands)\n\n"
        f"| p50 | p99 | max |\n|---:|---:|---:|\n"
        f"| {statistics.median(delays):.1f} ms | {quantiles[98]:.1f} ms | {max(delays):.1f} ms |"
    )


if __name__ == "__main__":
    main()
