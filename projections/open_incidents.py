"""Queries over the office board: the open incidents in a scope with their counts, and the wall's roll-up."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from domain.emergency_terms import EmergencyKind
from domain.level import Level
from domain.organisation import Organisation
from projections.office_board import is_overdue, office_board
from projections.outlet_queues import queue_readings


def open_incidents(
    conn: Connection,
    *,
    outlets: Iterable[str],
    types: Iterable[str],
    now: datetime,
    level: str | None = None,
    status: str | None = None,
) -> dict[str, Any]:
    """The open incidents of `types` at `outlets`, worst level first, then oldest; counts by level.

    Drills (演练) are listed, each row marked `exercise`, but never counted as real: `counts` and
    `overdue` are the real incidents', `exercises` the drills' own. Each row is the board's, in codes, with `overdue`, `age_seconds` and, for a customer surge, its
    outlet's `queue` (shown until the surge is stood down, 二次分流).
    """
    query = select(office_board).where(
        office_board.c.outlet.in_(sorted(outlets)), office_board.c.type.in_(sorted(types))
    )
    if level is not None:
        query = query.where(office_board.c.level == level)
    if status is not None:
        query = query.where(office_board.c.status == status)
    query = query.order_by(office_board.c.level_rank.desc(), office_board.c.opened_at)
    rows = [dict(r) for r in conn.execute(query).mappings()]
    surges = {r["outlet"] for r in rows if r["kind"] == EmergencyKind.CUSTOMER_SURGE.value}
    queues = queue_readings(conn, surges)
    for row in rows:
        row["overdue"] = is_overdue(row, now)
        row["age_seconds"] = max(0, int((now - row["opened_at"]).total_seconds()))
        if row["outlet"] in surges:
            row["queue"] = queues[row["outlet"]]
    real = [r for r in rows if not r["exercise"]]
    drills = [r for r in rows if r["exercise"]]
    return {
        "counts": _by_level(Counter(r["level"] for r in real)),
        "overdue": sum(1 for r in real if r["overdue"]),
        "exercises": {
            "counts": _by_level(Counter(r["level"] for r in drills)),
            "overdue": sum(1 for r in drills if r["overdue"]),
        },
        "incidents": rows,
    }


def wall_units(
    conn: Connection, organisation: Organisation, *, outlets: Iterable[str], types: Iterable[str]
) -> list[dict[str, Any]]:
    """Every unit with an outlet in scope, depth first, with its worst open level and counts below it.

    The level, counts and `open` are the real incidents'; drills light no tile as if real, and are
    counted apart under `exercises` (a red robbery drill is not a red outlet).
    """
    in_scope = frozenset(outlets)
    query = select(office_board.c.outlet, office_board.c.level, office_board.c.exercise).where(
        office_board.c.outlet.in_(sorted(in_scope)), office_board.c.type.in_(sorted(types))
    )
    per_unit: dict[tuple[str, bool], Counter[str]] = {}
    for outlet, level, exercise in conn.execute(query):
        for node in organisation.path(outlet):
            per_unit.setdefault((node.code, bool(exercise)), Counter())[level] += 1
    units = []
    for node in organisation.units:
        if not any(u.code in in_scope for u in organisation.outlets_under(node.code)):
            continue
        units.append(
            {
                "code": node.code,
                "kind": node.kind.value,
                "parent": node.parent,
                "name_zh": node.name_zh,
                "name_en": node.name_en,
                **_tally(per_unit.get((node.code, False), Counter())),
                "exercises": _tally(per_unit.get((node.code, True), Counter())),
            }
        )
    return units


def _tally(counts: Counter[str]) -> dict[str, Any]:
    worst = max((Level(lv) for lv in counts), key=lambda lv: lv.rank, default=None)
    return {
        "worst_level": worst.value if worst else None,
        "counts": _by_level(counts),
        "open": sum(counts.values()),
    }


def _by_level(counts: Counter[str]) -> dict[str, int]:
    return {lv.value: counts.get(lv.value, 0) for lv in Level}
