"""The timeline of each incident: every event, in order, for its detail view."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Connection, Integer, MetaData, String, Table, insert

from domain.plain import event_data
from projections.board import Board
from projections.columns import UTCDateTime
from projections.logged import Logged, incident_events

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
    Column("data", JSON, nullable=False),
)


def timeline_row(logged: Logged) -> dict[str, Any]:
    event = logged.event
    return {
        "position": logged.position,
        "incident_id": str(event.originator_id),
        "version": event.originator_version,
        "event": type(event).__name__,
        "occurred_at": event.occurred_at,
        "recorded_at": event.timestamp,
        "actor_id": event.actor.id,
        "actor_name": event.actor.display_name,
        "actor_role": event.actor.role.value,
        "actor_unit": event.actor.unit,
        # Personal data never reaches a board.
        "data": event_data(event, reveal_personal=False),
    }


class TimelineBoard(Board):
    """Appends one row per event."""

    name = "timeline"
    metadata = metadata

    def apply(self, batch: Sequence[Logged], conn: Connection) -> None:
        rows = [timeline_row(logged) for logged in incident_events(batch)]
        if rows:
            conn.execute(insert(timeline), rows)
