"""Each policy's cost as its memory grows: handling an event early and late in a storm, and one tick.

A policy whose cost per event grows with what it remembers falls behind exactly in a storm. Each
policy is fed the same storm of related complaints (in memory, no store writes: what it decides is
queued and dropped), and the time per event over the first thousand is compared with the time per
event over the last thousand. A tick (the clock and passive waiting look at every open incident) is
timed at the storm's size: its cost is per open incident and per tick, not per event.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from application.incident_desk import IncidentDesk
from application.log_tail import LoggedEvent
from application.policies import standard_policies
from application.policies.base import Policy
from application.policies.dispatch import CommandQueue
from application.store.database_url import store_env
from domain.complaint import Complaint
from domain.values import Actor, Category, Channel, Role, Stamp
from interfaces.organisation_file import DEMO_ORGANISATION_PATH, load_organisation

STORM = int(os.environ.get("BENCH_POLICY_STORM", "50000"))
SAMPLE = 1000
ROUNDS = int(os.environ.get("BENCH_POLICY_ROUNDS", "2"))
OUTLETS = ["BJ-HD-01", "BJ-HD-02", "BJ-HD-03", "BJ-HD-04", "BJ-HD-05"]
T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def storm() -> list[LoggedEvent]:
    """STORM related complaints, one a second, over five outlets of one sub-branch."""
    logged = []
    for n in range(STORM):
        at = T0 + timedelta(seconds=n)
        outlet = OUTLETS[n % len(OUTLETS)]
        actor = Actor(id=f"teller-{outlet}", role=Role.BRANCH, unit=outlet)
        complaint = Complaint.report(
            incident_id=uuid.uuid4(),
            stamp=Stamp(actor=actor, occurred_at=at, recorded_at=at),
            outlet=outlet,
            channel=Channel.WALK_IN,
            category=Category.SERVICE_QUALITY,
            summary=f"排队太久 {n}",
        )
        (event,) = complaint.collect_events()
        logged.append(LoggedEvent(n + 1, event))
    return logged


def per_event(policy: Policy, events: list[LoggedEvent], queue: CommandQueue) -> tuple[float, float]:
    """Microseconds per event over the first and the last SAMPLE events."""

    def timed(batch: list[LoggedEvent]) -> float:
        started = time.perf_counter()
        for logged in batch:
            policy.handle(logged)
        seconds = time.perf_counter() - started
        queue.discard()
        return seconds / len(batch) * 1e6

    first = timed(events[:SAMPLE])
    for start in range(SAMPLE, len(events) - SAMPLE, SAMPLE):
        for logged in events[start : start + SAMPLE]:
            policy.handle(logged)
        queue.discard()
    return first, timed(events[-SAMPLE:])


def tick_ms(policy: Policy, queue: CommandQueue) -> float:
    now = T0 + timedelta(seconds=STORM, minutes=1)  # nothing due, nobody idle long: the scan alone
    started = time.perf_counter()
    policy.tick(now)
    seconds = time.perf_counter() - started
    queue.discard()
    return seconds * 1000


def measure(
    make: Callable[[], tuple[list[Policy], CommandQueue]], events: list[LoggedEvent]
) -> dict[str, list[tuple[float, float, float]]]:
    results: dict[str, list[tuple[float, float, float]]] = {}
    for _ in range(ROUNDS):
        policies, queue = make()
        for policy in policies:
            first, last = per_event(policy, events, queue)
            results.setdefault(policy.name, []).append((first, last, tick_ms(policy, queue)))
    return results


def main() -> None:
    organisation = load_organisation(DEMO_ORGANISATION_PATH)
    events = storm()
    with tempfile.TemporaryDirectory() as folder:
        desk = IncidentDesk(store_env(f"sqlite:///{Path(folder) / 'policies.db'}"))
        try:

            def make() -> tuple[list[Policy], CommandQueue]:
                queue = CommandQueue(desk)
                policies = standard_policies(desk, organisation)
                for policy in policies:
                    policy.commands = queue
                return policies, queue

            results = measure(make, events)
        finally:
            desk.close()
    print(f"\n### Policies as their memory grows: a storm of {STORM:,} related complaints\n")
    print(
        f"| policy | µs/event, first {SAMPLE:,} | µs/event, last {SAMPLE:,} | last ÷ first | tick over the storm |"
    )
    print("|---|---:|---:|---:|---:|")
    for name, runs in results.items():
        first = statistics.median(r[0] for r in runs)
        last = statistics.median(r[1] for r in runs)
        ticks = [r[2] for r in runs]
        print(
            f"| {name} | {first:.1f} | {last:.1f} | {last / first:.2f} "
            f"({min(r[1] / r[0] for r in runs):.2f}–{max(r[1] / r[0] for r in runs):.2f}) "
            f"| {statistics.median(ticks):.1f} ms |"
        )
