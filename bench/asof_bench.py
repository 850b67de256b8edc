"""Boards as of a past instant: how long the office board at a random past instant takes, beside the
live board read in the same run (the baseline), at two log sizes, so that the growth shows.

An SQLite log of BENCH_ASOF_EVENTS events is written through the desk (complaints reported and
worked, emergencies, notes), with recorded times spread over a day; the live boards are projected.
Each round reads the live office board (baseline) and then the board as of a random instant, on the
recorded axis and on the occurred axis, ROUNDS times each, paired. The issue's aim is p95 < 500 ms
over 1,000,000 events; what limits it is that a past board replays every event up to the instant
(README: "Boards as of a past instant").
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from application.incident_desk import IncidentDesk
from application.store.database_url import store_env
from domain.complaint import Complaint
from domain.time_travel import Axis
from domain.values import Actor, Category, Channel, EmergencyKind, Level, Role
from interfaces.boards.as_of import boards_as_of
from interfaces.boards.wiring import make_runner
from interfaces.organisation_file import DEMO_ORGANISATION_PATH, load_organisation
from interfaces.sql_engine import engine_for
from projections.open_incidents import open_incidents

EVENTS = int(os.environ.get("BENCH_ASOF_EVENTS", "8000"))
ROUNDS = int(os.environ.get("BENCH_ASOF_ROUNDS", "10"))
START = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
OFFICE = Actor(id="bench-office", role=Role.OFFICE, unit="HQ", name="bench")


class Clock:
    """The desk's clock: a day's events, one after another."""

    def __init__(self, step: timedelta) -> None:
        self.now, self.step = START, step

    def __call__(self) -> datetime:
        self.now += self.step
        return self.now


def _fill(desk: IncidentDesk, outlets: list[str], events: int, rng: random.Random) -> None:
    written = 0
    while written < events:
        outlet = rng.choice(outlets)
        if rng.random() < 0.7:
            incident = desk.report_complaint(
                actor=OFFICE, occurred_at=None, outlet=outlet, channel=Channel.WALK_IN,
                category=Category.SERVICE_QUALITY, summary="排队太久 waited too long",
            ).incident_id  # fmt: skip
            written += 1
            for command in (
                Complaint.acknowledge(),
                Complaint.add_note(text="已联系客户"),
                Complaint.apologise(note="致歉"),
            ):
                desk.act(incident, command, actor=OFFICE, occurred_at=None)
                written += 1
        else:
            desk.report_emergency(
                actor=OFFICE, occurred_at=None, outlet=outlet, kind=EmergencyKind.FIRE, level=Level.YELLOW,
                summary="冒烟 smoke",
            )  # fmt: skip
            written += 1


def _live(engine, outlets: list[str], now: datetime) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    with engine.connect() as conn:
        open_incidents(conn, outlets=outlets, types=["complaint", "emergency"], now=now)
    return time.perf_counter() - started


def _past(desk: IncidentDesk, outlets: list[str], instant: datetime, axis: Axis, head: int) -> float:
    started = time.perf_counter()
    engine = boards_as_of(desk, instant, axis, head)
    with engine.connect() as conn:
        open_incidents(conn, outlets=outlets, types=["complaint", "emergency"], now=instant)
    engine.dispose()
    return time.perf_counter() - started


def _measure(desk: IncidentDesk, engine, outlets: list[str], rng: random.Random) -> dict[str, list[float]]:  # type: ignore[no-untyped-def]
    head = int(desk.recorder.max_notification_id() or 0)
    end = desk.clock()
    runs: dict[str, list[float]] = {"live": [], "recorded": [], "occurred": []}
    for _ in range(ROUNDS):
        instant = START + (end - START) * rng.random()
        runs["live"].append(_live(engine, outlets, end))
        runs["recorded"].append(_past(desk, outlets, instant, Axis.RECORDED, head))
        runs["live"].append(_live(engine, outlets, end))
        runs["occurred"].append(_past(desk, outlets, instant, Axis.OCCURRED, head))
    return runs


def _p(runs: list[float], share: float) -> float:
    ordered = sorted(runs)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def main() -> None:
    rng = random.Random(12)
    organisation = load_organisation(DEMO_ORGANISATION_PATH)
    outlets = [u.code for u in organisation.outlets]
    results: list[tuple[int, dict[str, list[float]]]] = []
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'asof.db'}"
        clock = Clock(timedelta(days=1) / EVENTS)
        desk = IncidentDesk(store_env(url), clock=clock)
        engine = engine_for(url, durable=False)
        runner = make_runner(desk, engine, url)
        for size in (EVENTS // 4, EVENTS):
            _fill(desk, outlets, size - int(desk.recorder.max_notification_id() or 0), rng)
            runner.catch_up(int(desk.recorder.max_notification_id() or 0))
            results.append(
                (int(desk.recorder.max_notification_id() or 0), _measure(desk, engine, outlets, rng))
            )
        engine.dispose()
        desk.close()
    print(f"\n### Boards as of a past instant (office board, SQLite, {ROUNDS} paired rounds per size)\n")
    print(
        "| events in the log | live board p50 (baseline) | as of, recorded p50 / p95 | as of, occurred p50 / p95 | p95 ÷ live p50 |"
    )
    print("|---:|---:|---:|---:|---:|")
    for size, runs in results:
        live = statistics.median(runs["live"]) * 1000
        print(
            f"| {size:,} | {live:.1f} ms | {_p(runs['recorded'], 0.5):.0f} / {_p(runs['recorded'], 0.95):.0f} ms "
            f"| {_p(runs['occurred'], 0.5):.0f} / {_p(runs['occurred'], 0.95):.0f} ms "
            f"| {_p(runs['recorded'] + runs['occurred'], 0.95) / live:,.0f}× |"
        )
