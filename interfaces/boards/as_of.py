"""The boards as they stood at a past instant: the log cut at that instant, replayed into fresh boards.

The cut follows the incident's own rule (domain/time_travel.py): on either axis an incident stands at
a prefix of its events in version order, up to the first event after the instant; an event that is
that does not say when it occurred stands if it was recorded by then (`is_dated`). The
events that stand are replayed, in log order, into the same board classes the live boards use, in an
in-memory SQLite database, and the live boards' queries then read it: one definition of each board.

Replayed from the start, a million events take minutes; so the replay starts from the latest board
checkpoint all of whose events stood at the instant (projections/board_checkpoints.py), finds the
events after it that stood with one query over the events' moments (skipping the stretches between
checkpoints none of whose events is by the instant), and decodes only those. The events the
checkpoint board has not reached yet are read from the log itself. Without checkpoints (a new
board, no projector) this is the replay from position 0, by the same code.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Engine, Table, create_engine, func, select
from sqlalchemy.pool import StaticPool

from application.incident_desk import IncidentDesk
from application.log_tail import LoggedEvent
from domain.time_travel import Axis, moment_on
from projections.board import Board
from projections.board_checkpoints import (
    CHANGED,
    LOW,
    MOMENT_COLUMNS,
    THROUGH,
    BoardCheckpoints,
    board_checkpoints,
    event_moments,
    facts_at,
    is_dated,
    rows_at,
)
from projections.complaint_facts import ComplaintFactsBoard
from projections.incident_states import Incident
from projections.office_board import OfficeBoard
from projections.outlet_queues import OutletQueuesBoard
from projections.shared_pass import SharedPass
from projections.tracking import tracked_position

PAGE = 2000  # events read and applied at a time
ASKED = 500  # ids in one IN (...) list
MERGE_GAP = 64  # standing positions this close are read from the log in one range


@dataclass
class _Plan:
    """Where the replay starts, which events after it stood, and how far the moments reach."""

    start: int = 0  # the checkpoint's position (0: none, empty boards)
    reach: int = 0  # the events up to here are in event_moments; the rest is read from the log
    standing: list[int] = field(default_factory=list)  # positions in (start, reach] that stood
    cut: dict[str, int] = field(default_factory=dict)  # aggregate -> its first version after the instant


def boards_as_of(
    desk: IncidentDesk,
    engine: Engine,
    instant: datetime,
    axis: Axis,
    head: int,
    *,
    complaints: bool = True,
) -> Engine:
    """An in-memory database holding the office board, the queues and (with `complaints`) the complaint
    facts as they stood at `instant` on `axis`, from the log up to position `head`. The caller disposes
    of it. `engine` holds the live boards, whose checkpoints the replay starts from."""
    past = create_engine("sqlite://", poolclass=StaticPool)

    def load(incident_id: UUID, version: int) -> Incident:
        return desk.get_incident(incident_id, version=version)

    shared = SharedPass(load)
    boards: list[Board] = [OfficeBoard(shared), OutletQueuesBoard()]
    if complaints:
        boards.append(ComplaintFactsBoard(shared))
    for board in boards:
        board.create(past)
    with engine.connect() as conn:
        plan = _plan(conn, instant, axis, head)
        tail = list(_read(desk, plan.reach, head))
        plan.cut.update(_cut(conn, plan, instant, axis, _prefix_ids(tail)))
        restored = _restored(conn, plan, complaints)
    with past.begin() as conn:
        for table, rows in restored.items():
            if rows:
                conn.execute(table.insert(), rows)
    events = [*_decoded(desk, plan.standing), *_standing_in(tail, instant, axis, plan.cut)]
    for start in range(0, len(events), PAGE):
        with past.begin() as conn:
            for board in boards:
                board.apply(events[start : start + PAGE], conn)
    return past


def _plan(conn: Connection, instant: datetime, axis: Axis, head: int) -> _Plan:
    plan = _Plan(reach=min(tracked_position(conn, BoardCheckpoints.name), head))
    if not plan.reach:
        return plan
    c = board_checkpoints.c
    found = conn.execute(
        select(func.max(c.position)).where(c.position <= plan.reach, THROUGH[axis] <= instant)
    ).scalar()
    plan.start = int(found or 0)
    # A checkpoint's stretch none of whose events is by the instant holds nothing that stood: skipped.
    ranges: list[tuple[int, int]] = []
    low = plan.start
    stretches = conn.execute(
        select(c.position, LOW[axis])
        .where(c.position > plan.start, c.position <= plan.reach)
        .order_by(c.position)
    ).all()
    for position, earliest in stretches:
        if earliest <= instant:
            ranges.append((low, int(position)))
        low = int(position)
    ranges.append((low, plan.reach))  # past the last checkpoint: no bound on its moments yet
    m, moment = event_moments.c, MOMENT_COLUMNS[axis]
    candidates: list[Any] = []
    for after, until in _merged(ranges):
        candidates += conn.execute(
            select(m.position, m.originator_id, m.version, m.in_prefix)
            .where(m.position > after, m.position <= until, moment <= instant)
            .order_by(m.position)
        ).all()
    plan.cut = _cut(conn, plan, instant, axis, {row.originator_id for row in candidates if row.in_prefix})
    plan.standing = [
        int(row.position)
        for row in candidates
        if not row.in_prefix or row.version < plan.cut.get(row.originator_id, row.version + 1)
    ]
    return plan


def _merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for after, until in ranges:
        if merged and merged[-1][1] == after:
            merged[-1] = (merged[-1][0], until)
        elif until > after:
            merged.append((after, until))
    return merged


def _cut(conn: Connection, plan: _Plan, instant: datetime, axis: Axis, ids: set[str]) -> dict[str, int]:
    """Each incident's first version after `start` that was after the instant (its prefix ends there)."""
    m, moment = event_moments.c, MOMENT_COLUMNS[axis]
    cut: dict[str, int] = {}
    if plan.reach <= plan.start:
        return cut  # no moments after the start to look in (none kept yet, or the checkpoint is the last)
    asked = sorted(ids - set(plan.cut))
    for first in range(0, len(asked), ASKED):
        found = conn.execute(
            select(m.originator_id, func.min(m.version))
            .where(
                m.originator_id.in_(asked[first : first + ASKED]),
                m.position > plan.start,
                m.position <= plan.reach,
                m.in_prefix,
                moment > instant,
            )
            .group_by(m.originator_id)
        ).all()
        cut.update((aggregate, int(version)) for aggregate, version in found)
    return cut


def _restored(conn: Connection, plan: _Plan, complaints: bool) -> dict[Table, list[dict[str, Any]]]:
    """The checkpoint's rows: the office board, the queues and (with `complaints`) the complaint facts."""
    if not plan.start:
        return {}
    restored = rows_at(conn, plan.start)
    if complaints:
        restored[CHANGED[0]] = facts_at(conn, plan.start)
    return restored


def _read(desk: IncidentDesk, after: int, until: int) -> Iterator[LoggedEvent]:
    """Every event in (after, until], decoded, in log order."""
    while after < until:
        notifications = desk.recorder.select_notifications(after, PAGE, stop=until, inclusive_of_start=False)
        if not notifications:
            return
        for notification in notifications:
            yield LoggedEvent(notification.id, desk.mapper.to_domain_event(notification))
        after = notifications[-1].id


def _decoded(desk: IncidentDesk, positions: Sequence[int]) -> Iterator[LoggedEvent]:
    """The events at these positions (ascending), read from the log in runs of nearby positions."""
    wanted = set(positions)
    index = 0
    while index < len(positions):
        end = index
        while end + 1 < len(positions) and positions[end + 1] - positions[end] <= MERGE_GAP:
            end += 1
        for logged in _read(desk, positions[index] - 1, positions[end]):
            if logged.position in wanted:
                yield logged
        index = end + 1


def _prefix_ids(events: list[LoggedEvent]) -> set[str]:
    return {str(logged.event.originator_id) for logged in events if is_dated(logged.event)}


def _standing_in(
    events: list[LoggedEvent], instant: datetime, axis: Axis, cut: dict[str, int]
) -> Iterator[LoggedEvent]:
    """The events, read from the log past the moments' reach, that stood at `instant` on `axis`."""
    ended = set(cut)  # incidents whose prefix ended before these events
    for logged in events:
        event: Any = logged.event
        if not is_dated(event):  # it stands once it was recorded
            if event.timestamp <= instant:
                yield logged
            continue
        aggregate = str(event.originator_id)
        if aggregate in ended:
            continue
        if moment_on(event, axis) <= instant:
            yield logged
        else:
            ended.add(aggregate)
