"""What makes a board fail, for tests: stored events no board can take, and a board that refuses one.

The events go straight into the store through its recorder, so these tests do not depend on what the
domain refuses at the door (it refuses more over time): they are what a board meets in a log written
by an older release, or by a bug.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, TypeVar

from eventsourcing.persistence import StoredEvent
from sqlalchemy import BigInteger, Column, Connection, MetaData, Table, insert, select

from application.incident_desk import IncidentDesk
from domain.actors import Actor, Stamp
from domain.complaint import Complaint
from domain.values import Category, Channel, Role
from projections.board import Board
from projections.logged import Logged

# The tester's input: a valid datetime that no UTC column can hold (it is year 0 in UTC).
YEAR_ONE = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14)))
NUL_SUMMARY = "a\x00b"  # PostgreSQL text cannot hold a NUL
UNKNOWN_TOPIC = "domain.complaint:Complaint.Vanished"  # a class a later release removed
WRITER = Actor(id="writer-1", role=Role.OFFICE, unit="HQ", name="写入测试")
T = TypeVar("T")


def record_unprojectable_report(desk: IncidentDesk, **changes: Any) -> int:
    """Store a complaint's Reported event with `changes` made after the domain built it; its position."""
    now = datetime.now(UTC)
    complaint = Complaint.report(
        incident_id=uuid.uuid4(),
        stamp=Stamp(actor=WRITER, occurred_at=now, recorded_at=now),
        outlet="BJ-HD-01",
        channel=Channel.WALK_IN,
        category=Category.SERVICE_QUALITY,
        summary="柜员态度差",
    )
    (reported,) = complaint.collect_events()
    for name, value in changes.items():
        object.__setattr__(reported, name, value)  # past the domain's checks, as an old release wrote it
    desk.recorder.insert_events([desk.mapper.to_stored_event(reported)])
    return _position(desk, complaint.id)


def record_unreadable_event(desk: IncidentDesk) -> int:
    """Store an event whose topic no longer resolves to a class; its position."""
    incident_id = uuid.uuid4()
    desk.recorder.insert_events([StoredEvent(incident_id, 1, UNKNOWN_TOPIC, b"{}")])
    return _position(desk, incident_id)


def _position(desk: IncidentDesk, incident_id: uuid.UUID) -> int:
    position = desk.receipts.position_of(incident_id, 1)
    assert position is not None
    return position


refusals = MetaData()
refused_rows = Table("refusing_board", refusals, Column("position", BigInteger, primary_key=True))


class RefusingBoard(Board):
    """A real board (one row per event) that cannot process events from a chosen position on.

    `refuse_from = None` fixes it, as a new release would.
    """

    name = "refusing_board"
    metadata = refusals

    def __init__(self, refuse_from: int | None = None) -> None:
        self.refuse_from = refuse_from

    def apply(self, batch: Sequence[Logged], conn: Connection) -> None:
        for logged in batch:
            if self.refuse_from is not None and logged.position >= self.refuse_from:
                raise ValueError(f"the refusing board cannot show the event at {logged.position}")
        conn.execute(insert(refused_rows), [{"position": logged.position} for logged in batch])


def refused_positions(conn: Connection) -> list[int]:
    return [
        int(p)
        for p in conn.execute(select(refused_rows.c.position).order_by(refused_rows.c.position)).scalars()
    ]


def eventually(found: Callable[[], T | None], timeout: float = 15.0, what: str = "the condition") -> T:
    """Poll until `found()` gives something truthy (returned), or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = found()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.02)
