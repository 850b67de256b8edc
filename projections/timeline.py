"""The timeline of each incident: every event, in order, for its detail view."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Connection, Integer, MetaData, String, Table, select

from projections.board import Board
from projections.bulk import RowWriter
from projections.columns import UTCDateTime
from projections.logged import Logged
from projections.shared_pass import BatchPass, SharedPass

metadata = MetaData()
timeline = Table(
    "timeline",
    metadata,
    Column("position", BigInteger, primary_key=True),
    Column("incident_id", String(36), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("event", String(60), nullable=False),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("recorded_at", UTCDateTime(), nullable=False),
    Column("actor_id", String(200), nullable=False),
    Column("actor_name", String(200), nullable=False),
    Column("actor_role", String(16), nullable=False),
    Column("actor_unit", String(64), nullable=False),
    # The branch post of the actor (null for others, and for events stored before posts existed).
    Column("actor_position", String(32)),
    Column("data", JSON, nullable=False),
)


def timeline_values(found: BatchPass) -> list[tuple[Any, ...]]:
    """The batch's rows, as tuples in the table's column order. Personal data never reaches a board."""
    return [
        (
            logged.position,
            incident_id,
            event.originator_version,
            type(event).__name__,
            event.occurred_at,
            event.timestamp,
            actor.id,
            actor.display_name,
            actor.role.value,
            actor.unit,
            actor.position.value if actor.position else None,
            data,
        )
        for logged, incident_id, data in zip(found.events, found.ids, found.data(), strict=True)
        for event in (logged.event,)
        for actor in (event.actor,)
    ]


class TimelineBoard(Board):
    """Appends one row per event."""

    name = "timeline"
    metadata = metadata

    def __init__(self, shared: SharedPass | None = None) -> None:
        self.shared = SharedPass() if shared is None else shared
        self._writer = RowWriter(timeline)

    def apply(self, batch: Sequence[Logged], conn: Connection) -> None:
        self._writer.insert(conn, timeline_values(self.shared.of(batch)))

    def forget(self) -> None:
        self.shared.forget()


def timeline_events(conn: Connection, incident_id: str) -> list[dict[str, Any]]:
    """The incident's events in log order, each with who did it and when."""
    query = select(timeline).where(timeline.c.incident_id == incident_id).order_by(timeline.c.position)
    return [dict(row) for row in conn.execute(query).mappings()]
