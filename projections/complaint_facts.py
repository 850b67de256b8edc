"""The call centre's statistics (分类统计): one row of facts per complaint, counted on request."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Boolean, Column, Connection, Integer, MetaData, String, Table, delete, select

from domain.complaint import Complaint
from domain.complaint_clock import LIMITS_DAYS
from projections.board import Board
from projections.bulk import RowWriter
from projections.columns import UTCDateTime
from projections.logged import Logged
from projections.shared_pass import SharedPass

metadata = MetaData()
complaint_facts = Table(
    "complaint_facts",
    metadata,
    Column("incident_id", String(36), primary_key=True),
    Column("outlet", String(64), nullable=False, index=True),
    Column("channel", String(40), nullable=False),
    Column("category", String(40), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("acknowledged_at", UTCDateTime()),
    Column("closed_at", UTCDateTime()),
    Column("due_at", UTCDateTime()),
    Column("clock_paused", Boolean, nullable=False),
    Column("founded", Boolean),
    Column("satisfied", Boolean),
    Column("exercise", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
)


def facts_row(complaint: Complaint) -> dict[str, Any]:
    return {
        "incident_id": str(complaint.id),
        "outlet": complaint.outlet,
        "channel": complaint.channel.value,
        "category": complaint.category.value,
        "received_at": complaint.received_at,
        "acknowledged_at": complaint.acknowledged_at,
        "closed_at": complaint.closed_at,
        "due_at": complaint.due_at,
        "clock_paused": complaint.clock.is_paused,
        "founded": complaint.founded,
        "satisfied": complaint.satisfied if complaint.followed_up else None,
        "exercise": complaint.exercise,
        "version": complaint.version,
    }


class ComplaintFactsBoard(Board):
    """Keeps one row per complaint current; drills are kept but counted apart."""

    name = "complaint_facts"
    metadata = metadata

    def __init__(self, shared: SharedPass) -> None:
        self.shared = shared
        self._writer = RowWriter(complaint_facts)

    def apply(self, batch: Sequence[Logged], conn: Connection) -> None:
        latest = [c for c, _ in self.shared.of(batch).latest().values() if isinstance(c, Complaint)]
        if latest:
            conn.execute(
                delete(complaint_facts).where(complaint_facts.c.incident_id.in_([str(c.id) for c in latest]))
            )
            self._writer.insert_mappings(conn, [facts_row(c) for c in latest])

    def forget(self) -> None:
        self.shared.forget()


@dataclass(frozen=True)
class ComplaintStats:
    """The call centre's counts for one group (a channel, category, unit or day)."""

    group: str
    received: int
    closed: int
    closed_within: dict[int, int]
    overdue: int
    founded_rate: float | None
    satisfaction_rate: float | None
    hours_to_acknowledge: dict[str, float | None]
    hours_to_close: dict[str, float | None]


def _hours(deltas: list[timedelta]) -> dict[str, float | None]:
    hours = sorted(d.total_seconds() / 3600 for d in deltas)
    if not hours:
        return {"median": None, "p90": None}
    p90 = (
        hours[min(len(hours) - 1, int(0.9 * len(hours)))]
        if len(hours) < 10
        else statistics.quantiles(hours, n=10)[-1]
    )
    return {"median": round(statistics.median(hours), 2), "p90": round(p90, 2)}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def summarise(group: str, rows: Iterable[dict[str, Any]], now: datetime) -> ComplaintStats:
    rows = list(rows)
    closed = [r for r in rows if r["closed_at"] is not None]
    checked = [r for r in rows if r["founded"] is not None]
    followed = [r for r in rows if r["satisfied"] is not None]
    return ComplaintStats(
        group=group,
        received=len(rows),
        closed=len(closed),
        closed_within={
            days: sum(1 for r in closed if r["closed_at"] - r["received_at"] <= timedelta(days=days))
            for days in LIMITS_DAYS
        },
        overdue=sum(
            1
            for r in rows
            if r["closed_at"] is None
            and r["due_at"] is not None
            and not r["clock_paused"]
            and r["due_at"] < now
        ),
        founded_rate=_rate(sum(1 for r in checked if r["founded"]), len(checked)),
        satisfaction_rate=_rate(sum(1 for r in followed if r["satisfied"]), len(followed)),
        hours_to_acknowledge=_hours(
            [r["acknowledged_at"] - r["received_at"] for r in rows if r["acknowledged_at"]]
        ),
        hours_to_close=_hours([r["closed_at"] - r["received_at"] for r in closed]),
    )


def complaint_stats(
    conn: Connection,
    *,
    group_by: Callable[[dict[str, Any]], str],
    outlets: Iterable[str] | None,
    now: datetime,
    include_exercises: bool = False,
) -> list[ComplaintStats]:
    """Counts per group over the complaints at `outlets` (None: every outlet)."""
    query = select(complaint_facts)
    if outlets is not None:
        query = query.where(complaint_facts.c.outlet.in_(list(outlets)))
    if not include_exercises:
        query = query.where(complaint_facts.c.exercise.is_(False))
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in conn.execute(query).mappings():
        groups[group_by(dict(row))].append(dict(row))
    return [summarise(group, rows, now) for group, rows in sorted(groups.items())]
