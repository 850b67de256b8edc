"""Boards as of a past instant over a large log: the office board at random past instants, beside the
live office board read in the same run (the baseline), at two log sizes so that any growth shows.

The log (BENCH_ASOF_EVENTS events, a million by default) is a bank's days at a steady pace: incidents
are reported, worked and closed (about 300 open at any moment), 5% of the reports and notes said to
have happened up to six hours before they were recorded (late reports, 补录). It is built by the
aggregates' own commands with a moving clock, saved a few hundred events per transaction, and
projected by the live boards (checkpoints included). Each round reads the live office board, then the
board as of a random instant on the recorded axis, the live board again, then the occurred axis
(paired, ROUNDS times); the statistics as of an instant (which restore every complaint's facts) and,
at the smaller size, the replay from position 0 that past boards were before checkpoints, are timed
beside them. The issue's aim: p95 < 500 ms over 1,000,000 events.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import StaticPool

from application.incident_desk import IncidentDesk
from application.store.database_url import store_env
from domain.complaint import Complaint
from domain.emergency import Emergency
from domain.time_travel import Axis
from domain.values import (
    Actor,
    Category,
    Channel,
    ComplaintOutcome,
    EmergencyKind,
    Level,
    Role,
    Stamp,
    WithdrawalConfirmation,
)
from interfaces.boards.as_of import boards_as_of
from interfaces.boards.wiring import make_runner
from interfaces.organisation_file import DEMO_ORGANISATION_PATH, load_organisation
from interfaces.sql_engine import engine_for
from projections.complaint_facts import complaint_stats
from projections.open_incidents import open_incidents
from projections.tracking import metadata as tracking_metadata

EVENTS = int(os.environ.get("BENCH_ASOF_EVENTS", "1000000"))
ROUNDS = int(os.environ.get("BENCH_ASOF_ROUNDS", "20"))
START = datetime(2026, 9, 1, 0, 0, tzinfo=UTC)
STEP = timedelta(seconds=2)  # between events: 1,000,000 events are 23 days of a busy bank
OPEN_AT_ONCE = 300
LATE = 0.05  # share of reports and notes said to have happened before they were recorded
PER_SAVE = 400  # events a transaction
OFFICE = Actor(id="bench-office", role=Role.OFFICE, unit="HQ", name="bench")
TYPES = ["complaint", "emergency"]

Step = Callable[[Stamp], None]


def _complaint_steps(complaint: Complaint) -> list[Step]:
    return [
        complaint.acknowledge,
        lambda s: complaint.add_note(s, text="已联系客户 called the customer"),
        lambda s: complaint.add_note(s, text="客户要求书面答复 asked for a written reply"),
        lambda s: complaint.record_withdrawal(s, confirmed_by=WithdrawalConfirmation.PHONE),
        lambda s: complaint.close(s, outcome=ComplaintOutcome.WITHDRAWN, summary="客户撤回 withdrawn"),
    ]


def _emergency_steps(emergency: Emergency) -> list[Step]:
    return [
        lambda s: emergency.change_level(s, level=Level.ORANGE, reason="蔓延 spreading"),
        lambda s: emergency.add_note(s, text="消防已到场 fire brigade on site"),
        lambda s: emergency.add_note(s, text="已疏散 evacuated"),
        lambda s: emergency.stand_down(s, summary="已扑灭 out", waiver_reason="已恢复 back to normal"),
    ]


class Day:
    """Builds the log: a moving clock, incidents opened, worked and closed, saved in batches."""

    def __init__(self, desk: IncidentDesk, outlets: list[str], rng: random.Random) -> None:
        self.desk, self.outlets, self.rng = desk, outlets, rng
        self.now = START
        self.open: list[tuple[Complaint | Emergency, list[Step], datetime]] = []
        self.pending: dict[uuid.UUID, Complaint | Emergency] = {}
        self.unsaved = 0

    def _stamp(self, not_before: datetime) -> Stamp:
        self.now += STEP
        said = self.now
        if self.rng.random() < LATE:
            said = max(not_before, self.now - timedelta(minutes=self.rng.uniform(10, 360)))
        return Stamp(actor=OFFICE, occurred_at=said, recorded_at=self.now)

    def _report(self) -> None:
        stamp = self._stamp(START)
        outlet = self.rng.choice(self.outlets)
        incident: Complaint | Emergency
        if self.rng.random() < 0.7:
            incident = Complaint.report(
                incident_id=uuid.uuid4(), stamp=stamp, outlet=outlet, channel=Channel.WALK_IN,
                category=Category.SERVICE_QUALITY, summary="排队太久 waited too long",
            )  # fmt: skip
            steps = _complaint_steps(incident)
        else:
            incident = Emergency.report(
                incident_id=uuid.uuid4(), stamp=stamp, outlet=outlet, kind=EmergencyKind.FIRE,
                level=Level.YELLOW, summary="冒烟 smoke",
            )  # fmt: skip
            steps = _emergency_steps(incident)
        self.open.append((incident, steps, stamp.occurred_at))
        self.pending[incident.id] = incident

    def _work(self) -> None:
        index = self.rng.randrange(len(self.open))
        incident, steps, opened = self.open[index]
        steps.pop(0)(self._stamp(opened))
        self.pending[incident.id] = incident
        if not steps:
            self.open[index] = self.open[-1]
            self.open.pop()

    def build(self, events: int) -> None:
        for _ in range(events):
            if len(self.open) < OPEN_AT_ONCE and (not self.open or self.rng.random() < 0.25):
                self._report()
            else:
                self._work()
            self.unsaved += 1
            if self.unsaved >= PER_SAVE:
                self.save()
        self.save()

    def save(self) -> None:
        if self.pending:
            self.desk.save(*self.pending.values())
        self.pending, self.unsaved = {}, 0


def _timed(run: Callable[..., object], *args: object) -> float:
    started = time.perf_counter()
    run(*args)
    return time.perf_counter() - started


def _past(
    desk: IncidentDesk, boards: Engine, outlets: list[str], instant: datetime, axis: Axis, head: int
) -> None:
    past = boards_as_of(desk, boards, instant, axis, head, complaints=False)
    with past.connect() as conn:
        open_incidents(conn, outlets=outlets, types=TYPES, now=instant)
    past.dispose()


def _past_stats(desk: IncidentDesk, boards: Engine, instant: datetime, head: int) -> None:
    past = boards_as_of(desk, boards, instant, Axis.RECORDED, head, complaints=True)
    with past.connect() as conn:
        complaint_stats(conn, group_by=lambda row: str(row["category"]), outlets=None, now=instant)
    past.dispose()


def _measure(
    desk: IncidentDesk, engine: Engine, outlets: list[str], end: datetime, rng: random.Random
) -> dict[str, list[float]]:
    head = int(desk.recorder.max_notification_id() or 0)
    runs: dict[str, list[float]] = {"live": [], "recorded": [], "occurred": [], "stats": []}

    def live() -> None:
        with engine.connect() as conn:
            open_incidents(conn, outlets=outlets, types=TYPES, now=end)

    for _ in range(ROUNDS):
        instant = START + (end - START) * rng.random()
        runs["live"].append(_timed(live))
        runs["recorded"].append(_timed(_past, desk, engine, outlets, instant, Axis.RECORDED, head))
        runs["live"].append(_timed(live))
        runs["occurred"].append(_timed(_past, desk, engine, outlets, instant, Axis.OCCURRED, head))
    for _ in range(3):
        instant = START + (end - START) * rng.random()
        runs["stats"].append(_timed(_past_stats, desk, engine, instant, head))
    return runs


def _from_zero(desk: IncidentDesk, outlets: list[str], end: datetime, rng: random.Random) -> list[float]:
    """The past board replayed from position 0 (what it was before checkpoints), three times."""
    bare = create_engine("sqlite://", poolclass=StaticPool)
    tracking_metadata.create_all(bare)
    head = int(desk.recorder.max_notification_id() or 0)
    runs = []
    for _ in range(3):
        instant = START + (end - START) * rng.random()
        runs.append(_timed(_past, desk, bare, outlets, instant, Axis.RECORDED, head))
    bare.dispose()
    return runs


def _p(runs: list[float], share: float) -> float:
    ordered = sorted(runs)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def main() -> None:
    rng = random.Random(12)
    organisation = load_organisation(DEMO_ORGANISATION_PATH)
    outlets = [u.code for u in organisation.outlets]
    results: list[tuple[int, dict[str, list[float]], float, list[float]]] = []
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'asof.db'}"
        desk = IncidentDesk(store_env(url))
        engine = engine_for(url, durable=False)
        runner = make_runner(desk, engine, url)
        day = Day(desk, outlets, rng)
        for size in (EVENTS // 10, EVENTS):
            started = time.perf_counter()
            day.build(size - int(desk.recorder.max_notification_id() or 0))
            built = time.perf_counter() - started
            started = time.perf_counter()
            runner.catch_up(int(desk.recorder.max_notification_id() or 0))
            projected = time.perf_counter() - started
            head = int(desk.recorder.max_notification_id() or 0)
            print(f"{head:,} events: built in {built:.0f} s, projected in {projected:.0f} s", flush=True)
            runs = _measure(desk, engine, outlets, day.now, rng)
            zero = _from_zero(desk, outlets, day.now, rng) if size < EVENTS else []
            results.append((head, runs, day.now.timestamp() - START.timestamp(), zero))
        engine.dispose()
        desk.close()
    print(f"\n### Boards as of a past instant (office board, SQLite, {ROUNDS} paired rounds per size)\n")
    print(
        "| events in the log | live board p50 (baseline) | as of, recorded p50 / p95 | as of, occurred p50 / p95 "
        "| p95 ÷ live p50 | statistics as of, p50 / max | replayed from 0 (before checkpoints), p50 |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for size, runs, _, zero in results:
        live = statistics.median(runs["live"]) * 1000
        print(
            f"| {size:,} | {live:.1f} ms | {_p(runs['recorded'], 0.5):.0f} / {_p(runs['recorded'], 0.95):.0f} ms "
            f"| {_p(runs['occurred'], 0.5):.0f} / {_p(runs['occurred'], 0.95):.0f} ms "
            f"| {_p(runs['recorded'] + runs['occurred'], 0.95) / live:,.0f}× "
            f"| {_p(runs['stats'], 0.5):.0f} / {max(runs['stats']) * 1000:.0f} ms "
            f"| {f'{statistics.median(zero) * 1000:,.0f} ms' if zero else '—'} |"
        )
