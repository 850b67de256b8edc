"""The office board: every open complaint and emergency, where it stands and what is due next."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Column, Connection, Integer, MetaData, String, Table, delete

from domain.complaint import Complaint
from domain.texts import MAX_TEXT_LENGTH
from projections.board import Board
from projections.bulk import RowWriter
from projections.columns import UTCDateTime
from projections.incident_states import Incident
from projections.logged import Logged
from projections.shared_pass import SharedPass

metadata = MetaData()
office_board = Table(
    "office_board",
    metadata,
    Column("incident_id", String(36), primary_key=True),
    Column("type", String(16), nullable=False),
    Column("outlet", String(64), nullable=False, index=True),
    Column("kind", String(40), nullable=False),
    Column("level", String(16), nullable=False),
    Column("level_rank", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("current_step", String(40)),
    Column("next_step", String(60), nullable=False),
    Column("owner", String(200)),
    Column("opened_at", UTCDateTime(), nullable=False),
    Column("last_event_at", UTCDateTime(), nullable=False),
    Column("last_event", String(60), nullable=False),
    Column("last_actor", String(200), nullable=False),
    Column("last_actor_role", String(16), nullable=False),
    Column("due_at", UTCDateTime()),
    Column("clock_paused", Boolean, nullable=False),
    Column("open_actions", JSON, nullable=False),
    Column("exercise", Boolean, nullable=False),
    Column("summary", String(MAX_TEXT_LENGTH), nullable=False),
    Column("level_reason", String(MAX_TEXT_LENGTH), nullable=False),
    Column("idle_since", UTCDateTime()),
    Column("deadline_warned", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("position", Integer, nullable=False),
)


def office_row(incident: Incident, logged: Logged) -> dict[str, Any]:
    """One board row, from the incident's state after its latest event."""
    event = logged.event
    is_complaint = isinstance(incident, Complaint)
    owner = incident.owner if isinstance(incident, Complaint) else None
    return {
        "incident_id": str(incident.id),
        "type": "complaint" if is_complaint else "emergency",
        "outlet": incident.outlet,
        "kind": incident.category.value if isinstance(incident, Complaint) else incident.kind.value,
        "level": incident.level.value,
        "level_rank": incident.level.rank,
        "status": incident.status.value,
        "current_step": incident.current_step.value if isinstance(incident, Complaint) else None,
        "next_step": (
            incident.next_expected_step.value
            if isinstance(incident, Complaint)
            else incident.next_expected_step
        ),
        "owner": owner.display_name if owner else None,
        "opened_at": incident.opened_at,
        "last_event_at": incident.last_event_at,
        "last_event": type(event).__name__,
        "last_actor": event.actor.display_name,
        "last_actor_role": event.actor.role.value,
        "due_at": incident.due_at if isinstance(incident, Complaint) else None,
        "clock_paused": isinstance(incident, Complaint) and incident.clock.is_paused,
        "open_actions": [] if is_complaint else [a.code for a in incident.open_actions],  # type: ignore[union-attr]
        "exercise": incident.exercise,
        "summary": incident.summary,
        "level_reason": incident.level_reason,
        # Passive waiting (被动等待) flagged by the policy, until the next real activity.
        "idle_since": incident.idle_flagged_since,
        "deadline_warned": isinstance(incident, Complaint)
        and incident.warned_for_due_at is not None
        and incident.warned_for_due_at == incident.due_at,
        "version": incident.version,
        "position": logged.position,
    }


class OfficeBoard(Board):
    """Open incidents only: a closed one leaves the board (its timeline and statistics remain)."""

    name = "office_board"
    metadata = metadata

    def __init__(self, shared: SharedPass) -> None:
        self.shared = shared
        self._writer = RowWriter(office_board)

    def apply(self, batch: Sequence[Logged], conn: Connection) -> None:
        latest = self.shared.of(batch).latest()
        if not latest:
            return
        # One delete and one insert per batch: a busy incident costs one row write, not one per event.
        conn.execute(delete(office_board).where(office_board.c.incident_id.in_([str(i) for i in latest])))
        self._writer.insert_mappings(
            conn,
            [office_row(incident, logged) for incident, logged in latest.values() if not incident.is_closed],
        )

    def forget(self) -> None:
        self.shared.forget()


def is_overdue(row: dict[str, Any], now: datetime) -> bool:
    due: datetime | None = row["due_at"]
    return due is not None and not row["clock_paused"] and due < now
