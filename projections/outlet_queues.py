"""The outlets' queues (网点客流) as the boards show them: latest reading, surge, the episode's readings.

Each row holds what the queue's own events change, so the board moves a row on by applying the
events to it (`event.mutate`, the domain's own rules: which readings an episode keeps, and how
many), without loading the queue from the event store.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, BigInteger, Column, Connection, Integer, MetaData, String, Table, delete, select

from domain.outlet_queue import OutletQueue, QueueReading
from domain.plain import plain
from projections.board import Board
from projections.bulk import RowWriter
from projections.logged import Logged

metadata = MetaData()
outlet_queues = Table(
    "outlet_queues",
    metadata,
    Column("outlet", String(64), primary_key=True),
    Column("queue_id", String(36), nullable=False),
    Column("latest_reading", JSON(none_as_null=True)),
    Column("surge_emergency_id", String(36)),
    Column("episode_readings", JSON, nullable=False),
    Column("surges", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("position", BigInteger, nullable=False),
)
READINGS = ("latest_reading", "surge_emergency_id", "episode_readings")  # what a reader is shown


def no_readings() -> dict[str, Any]:
    """What a reader is shown of an outlet that has posted no reading yet."""
    return {"latest_reading": None, "surge_emergency_id": None, "episode_readings": []}


class QueueState:
    """One queue as its row holds it; the queue's events mutate it as they would the aggregate."""

    def __init__(self, row: dict[str, Any]) -> None:
        self.id = UUID(row["queue_id"])
        self.outlet: str = row["outlet"]
        self.version: int = row["version"]
        self.modified_on: datetime | None = None
        self.latest_reading = _reading(row["latest_reading"])
        surge = row["surge_emergency_id"]
        self.surge_emergency_id = UUID(surge) if surge else None
        self.episode_readings = [_reading(r) for r in row["episode_readings"]]
        self.surges: int = row["surges"]

    @classmethod
    def opened(cls, event: OutletQueue.Opened) -> QueueState:
        return cls(
            {
                "queue_id": str(event.originator_id),
                "outlet": event.outlet,
                "version": event.originator_version,
                **no_readings(),
                "surges": 0,
            }
        )

    def row(self, position: int) -> dict[str, Any]:
        return {
            "outlet": self.outlet,
            "queue_id": str(self.id),
            "latest_reading": plain(self.latest_reading, reveal_personal=False),
            "surge_emergency_id": str(self.surge_emergency_id) if self.surge_emergency_id else None,
            "episode_readings": plain(self.episode_readings, reveal_personal=False),
            "surges": self.surges,
            "version": self.version,
            "position": position,
        }


def _reading(found: dict[str, Any] | None) -> QueueReading | None:
    if found is None:
        return None
    return QueueReading(found["waiting"], found["longest_wait_minutes"], datetime.fromisoformat(found["at"]))


class OutletQueuesBoard(Board):
    """One row per outlet that has posted a reading, moved on by its queue's events."""

    name = "outlet_queues"
    metadata = metadata

    def __init__(self) -> None:
        self._writer = RowWriter(outlet_queues)

    def apply(self, batch: Sequence[Logged], conn: Connection) -> None:
        events = [logged for logged in batch if isinstance(logged.event, OutletQueue.Event)]
        if not events:
            return
        ids = {str(logged.event.originator_id) for logged in events}
        found = conn.execute(select(outlet_queues).where(outlet_queues.c.queue_id.in_(sorted(ids))))
        states = {UUID(row["queue_id"]): QueueState(dict(row)) for row in found.mappings()}
        positions: dict[UUID, int] = {}
        for logged in events:
            event = logged.event
            if isinstance(event, OutletQueue.Opened):
                states[event.originator_id] = QueueState.opened(event)
            else:
                event.mutate(states[event.originator_id])  # checks the version: no event missed
            positions[event.originator_id] = logged.position
        conn.execute(delete(outlet_queues).where(outlet_queues.c.queue_id.in_(sorted(ids))))
        self._writer.insert_mappings(conn, [states[i].row(p) for i, p in positions.items()])


def queue_readings(conn: Connection, outlets: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Each outlet's latest reading, surge emergency and episode readings (`no_readings()` before any)."""
    wanted = sorted(set(outlets))
    found = {outlet: no_readings() for outlet in wanted}
    if not wanted:
        return found
    query = select(outlet_queues.c.outlet, *(outlet_queues.c[key] for key in READINGS))
    for row in conn.execute(query.where(outlet_queues.c.outlet.in_(wanted))).mappings():
        found[row["outlet"]] = {key: row[key] for key in READINGS}
    return found
