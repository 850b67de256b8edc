"""Checkpoints of the boards, and each event's two moments: where a past board starts, and what it adds.

A past board (interfaces/boards/as_of.py) is the log cut at an instant and replayed into fresh boards.
Replaying a million events for each question is too slow, so this board keeps, in the projector's
transaction like every board:

- `event_moments`: each event's position, aggregate, version and its two moments (recorded, and
  when it occurred for an event that says so; one that does not has its recorded time on both),
  so the events that stood at an instant are found by a query, not by decoding the whole log;
- `board_checkpoints`: at the last event of every `every` positions, the latest moment on each axis
  of any event up to there (`*_through`) and the earliest of the events since the checkpoint before
  (`*_low`); beside it, `checkpoint_*`: the office board's and the queues' rows as they stood there,
  and the complaint facts that changed since the checkpoint before, copied by the database itself
  (INSERT ... SELECT: no row passes through Python, so the projector barely slows). A checkpoint whose `through` is by the instant holds only
  events that stood then: a past board starts from it and adds what stood after it.

Both are derived from the log and rebuilt with the boards. The runner never lets a batch cross a
checkpoint's boundary (`split_at_checkpoints`), and this board comes first in its transaction, so a
checkpoint is taken when the next batch starts, from the other boards' rows before they apply it: the
same positions and the same rows on a live projector and on a rebuild.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    func,
    insert,
    literal,
    select,
)

from domain.time_travel import Axis
from projections.board import Board
from projections.bulk import RowWriter
from projections.columns import UTCDateTime
from projections.complaint_facts import complaint_facts
from projections.logged import Logged
from projections.office_board import office_board
from projections.outlet_queues import outlet_queues
from projections.tracking import tracked_position

DEFAULT_EVERY = 500  # positions between checkpoints: a past board replays at most about this many
COPIED_BOARDS = ("office_board", "outlet_queues", "complaint_facts")  # must stand where the checkpoint is

metadata = MetaData()
event_moments = Table(
    "event_moments",
    metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("originator_id", String(36), nullable=False),
    Column("version", Integer, nullable=False),
    Column("recorded_at", UTCDateTime(), nullable=False),
    Column("occurred_at", UTCDateTime(), nullable=False),
    # A dated event stands only on top of every earlier one of its aggregate (domain/time_travel.py).
    Column("in_prefix", Boolean, nullable=False),
    Index("ix_event_moments_originator", "originator_id", "version"),
)
board_checkpoints = Table(
    "board_checkpoints",
    metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("recorded_through", UTCDateTime(), nullable=False),
    Column("occurred_through", UTCDateTime(), nullable=False),
    Column("recorded_low", UTCDateTime(), nullable=False),
    Column("occurred_low", UTCDateTime(), nullable=False),
)


def _beside(board: Table) -> Table:
    """A table of the board's rows as they stood at each checkpoint (its columns, and the checkpoint's)."""
    return Table(
        f"checkpoint_{board.name}",
        metadata,
        Column("checkpoint", BigInteger, primary_key=True, autoincrement=False),
        *(
            Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable, autoincrement=False)
            for c in board.columns
        ),
    )


# Whole at each checkpoint, copied by the database itself: the open incidents, one row per outlet.
COPIED = {office_board: _beside(office_board), outlet_queues: _beside(outlet_queues)}
# One row per complaint ever: only those changed since the checkpoint before; a complaint's facts at a
# checkpoint are its row at the latest checkpoint up to it.
CHANGED = (complaint_facts, _beside(complaint_facts))
Index("ix_checkpoint_complaint_facts_incident", CHANGED[1].c.incident_id, CHANGED[1].c.checkpoint)
MOMENT_COLUMNS = {Axis.RECORDED: event_moments.c.recorded_at, Axis.OCCURRED: event_moments.c.occurred_at}
THROUGH = {
    Axis.RECORDED: board_checkpoints.c.recorded_through,
    Axis.OCCURRED: board_checkpoints.c.occurred_through,
}
LOW = {Axis.RECORDED: board_checkpoints.c.recorded_low, Axis.OCCURRED: board_checkpoints.c.occurred_low}


def moment_row(logged: Logged) -> dict[str, Any]:
    """The event's position, aggregate, version and moments on both axes."""
    event = logged.event
    in_prefix = is_dated(event)
    return {
        "position": logged.position,
        "originator_id": str(event.originator_id),
        "version": event.originator_version,
        "recorded_at": event.timestamp,
        "occurred_at": event.occurred_at if in_prefix else event.timestamp,
        "in_prefix": in_prefix,
    }


def is_dated(event: Any) -> bool:
    """Whether the event says when it happened (an incident's, a queue reading's): then it stands on
    top of its aggregate's earlier events, by its moment on the axis; otherwise once it was recorded."""
    return hasattr(event, "occurred_at")


def bucket(position: int, every: int) -> int:
    """Which run of `every` positions the position is in (1..every is the first)."""
    return (position - 1) // every


def split_at_checkpoints(batch: Sequence[Any], every: int) -> list[Sequence[Any]]:
    """The batch cut where a run of `every` positions ends: no part crosses a checkpoint's boundary."""
    parts: list[Sequence[Any]] = []
    start = 0
    for index in range(1, len(batch)):
        if bucket(batch[index].position, every) != bucket(batch[index - 1].position, every):
            parts.append(batch[start:index])
            start = index
    if batch:
        parts.append(batch[start:])
    return parts


def copy_at(board: Table, beside: Table, position: int, where: Any = None) -> Any:
    """INSERT INTO beside SELECT position, board's columns FROM board [WHERE ...]: done by the database."""
    rows = select(literal(position, BigInteger), *board.columns)
    if where is not None:
        rows = rows.where(where)
    return insert(beside).from_select(["checkpoint", *(c.name for c in board.columns)], rows)


def rows_at(conn: Connection, position: int) -> dict[Table, list[dict[str, Any]]]:
    """The office board's and the queues' rows as they stood at the checkpoint at `position`."""
    found: dict[Table, list[dict[str, Any]]] = {}
    for board, beside in COPIED.items():
        chosen = select(*(beside.c[c.name] for c in board.columns)).where(beside.c.checkpoint == position)
        found[board] = [dict(row) for row in conn.execute(chosen).mappings()]
    return found


def facts_at(conn: Connection, position: int) -> list[dict[str, Any]]:
    """Every complaint's facts as they stood at the checkpoint at `position` (its latest row up to it)."""
    board, beside = CHANGED
    latest = (
        select(beside.c.incident_id, func.max(beside.c.checkpoint).label("at"))
        .where(beside.c.checkpoint <= position)
        .group_by(beside.c.incident_id)
        .subquery()
    )
    chosen = select(*(beside.c[c.name] for c in board.columns)).join(
        latest, (beside.c.incident_id == latest.c.incident_id) & (beside.c.checkpoint == latest.c.at)
    )
    return [dict(row) for row in conn.execute(chosen).mappings()]


class BoardCheckpoints(Board):
    """Each event's moments, and a checkpoint of the boards at the end of every `every` positions."""

    name = "board_checkpoints"
    metadata = metadata

    def __init__(self, every: int = DEFAULT_EVERY) -> None:
        if every < 1:
            raise ValueError(f"board checkpoints every {every} positions: at least 1")
        self.every = every
        self._moments = RowWriter(event_moments)

    def apply(self, batch: Sequence[Logged], conn: Connection) -> None:
        before = tracked_position(conn, self.name)
        if before and bucket(batch[0].position, self.every) != bucket(before, self.every):
            self._checkpoint(conn, before)
        self._moments.insert_mappings(conn, [moment_row(logged) for logged in batch])

    def _checkpoint(self, conn: Connection, position: int) -> None:
        # The other boards apply this batch after this board: they stand at `position` now, unless one
        # of them is at another position (a board filling from 0): then no checkpoint is taken here.
        if any(tracked_position(conn, board) != position for board in COPIED_BOARDS):
            return
        last = conn.execute(select(func.max(board_checkpoints.c.position))).scalar() or 0
        previous = conn.execute(select(board_checkpoints).where(board_checkpoints.c.position == last)).first()
        m = event_moments.c
        low_recorded, low_occurred, max_recorded, max_occurred = conn.execute(
            select(
                func.min(m.recorded_at),
                func.min(m.occurred_at),
                func.max(m.recorded_at),
                func.max(m.occurred_at),
            ).where(m.position > last, m.position <= position)
        ).one()
        if low_recorded is None:
            return
        touched = select(m.originator_id).where(m.position > last, m.position <= position, m.in_prefix)
        for board, beside in COPIED.items():
            conn.execute(copy_at(board, beside, position))
        board, beside = CHANGED
        conn.execute(copy_at(board, beside, position, board.c.incident_id.in_(touched)))
        conn.execute(
            board_checkpoints.insert().values(
                position=position,
                recorded_through=max(max_recorded, previous.recorded_through) if previous else max_recorded,
                occurred_through=max(max_occurred, previous.occurred_through) if previous else max_occurred,
                recorded_low=low_recorded,
                occurred_low=low_occurred,
            )
        )
