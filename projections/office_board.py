"""The office board: every open complaint and emergency, where it stands and what is due next."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Column, Connection, Integer, MetaData, String, Table, delete

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
    # Who answers for it (a complaint's owner, an emergency's person in charge), their post, and a
    # handover waiting for its receiver (首问责任制); emergencies: whether the branch head took charge.
    Column("owner_position", String(32)),
    Column("handover_to", String(400)),
    Column("branch_head_took_charge", Boolean),
    Column("version", Integer, nullable=False),
    Column("position", Integer, nullable=False),
)


def office_row(incident: Incident, logged: Logged) -> dict[str, Any]:
    """One board row, from the incident's state after its latest event."""
    event = logged.event
    current_step = incident.current_step
    owner = incident.responsible
    handover = incident.pending_handover
    return {
        "incident_id": str(incident.id),
        "type": incident.TYPE.value,
        "outlet": incident.outlet,
        "kind": incident.kind_label.value,
        "level": incident.level.value,
        "level_rank": incident.level.rank,
        "status": incident.status.value,
        "current_step": current_step.code if current_step else None,
        "next_step": incident.next_expected_step.code,
        "owner": owner.display_name if owner else None,
        "opened_at": incident.opened_at,
        "last_event_at": incident.last_event_at,
        "last_event": type(event).__name__,
        "last_actor": event.actor.display_name,
        "last_actor_role": event.actor.role.value,
        "due_at": incident.due_at,
        "clock_paused": incident.clock_paused,
        "open_actions": [a.code for a in incident.open_actions],
        "exercise": incident.exercise,
        "summary": incident.summary,
        "level_reason": incident.level_reason,
        # Passive waiting (被动等待) flagged by the policy, until the next real activity.
        "idle_since": incident.idle_flagged_since,
        "deadline_warned": incident.deadline_warned,
        "owner_position": owner.position.value if owner and owner.position else None,
        "handover_to": handover.receiver if handover else None,
        "branch_head_took_charge": incident.branch_head_took_charge,
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
