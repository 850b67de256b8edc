"""The incident catalogue: one row per incident ever reported, open or closed, for finding them again."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Boolean, Column, Connection, Index, Integer, MetaData, String, Table, delete

from domain.texts import MAX_TEXT_LENGTH
from projections.board import Board
from projections.bulk import RowWriter
from projections.columns import UTCDateTime
from projections.incident_states import Incident
from projections.logged import Logged
from projections.shared_pass import SharedPass

metadata = MetaData()
incident_catalogue = Table(
    "incident_catalogue",
    metadata,
    Column("incident_id", String(36), primary_key=True),
    Column("type", String(16), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("outlet", String(64), nullable=False, index=True),
    Column("level", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("opened_at", UTCDateTime(), nullable=False),
    Column("closed_at", UTCDateTime()),
    Column("exercise", Boolean, nullable=False),
    Column("summary", String(MAX_TEXT_LENGTH), nullable=False),
    # The summary case-folded in Python: the same matching on both stores (SQLite's lower() is ASCII only).
    Column("summary_folded", String(4 * MAX_TEXT_LENGTH), nullable=False),
    Column("last_event_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    Column("position", Integer, nullable=False),
    # The listing's order and its cursor: newest first by when it was reported, then by id.
    Index("ix_incident_catalogue_opened", "opened_at", "incident_id"),
)


def index_row(incident: Incident, logged: Logged) -> dict[str, Any]:
    """The incident's row, from its state after its latest event."""
    return {
        "incident_id": str(incident.id),
        "type": incident.TYPE.value,
        "kind": incident.kind_label.value,
        "outlet": incident.outlet,
        "level": incident.level.value,
        "status": incident.status.value,
        "opened_at": incident.opened_at,
        "closed_at": incident.closed_at,
        "exercise": incident.exercise,
        "summary": incident.summary,
        "summary_folded": incident.summary.casefold(),
        "last_event_at": incident.last_event_at,
        "version": incident.version,
        "position": logged.position,
    }


class IncidentCatalogueBoard(Board):
    """Every incident, closed ones too (the office board drops those): what `GET /incidents` searches."""

    name = "incident_catalogue"
    metadata = metadata

    def __init__(self, shared: SharedPass) -> None:
        self.shared = shared
        self._writer = RowWriter(incident_catalogue)

    def apply(self, batch: Sequence[Logged], conn: Connection) -> None:
        latest = self.shared.of(batch).latest()
        if not latest:
            return
        # One delete and one insert per batch, as on the office board: a busy incident is one row write.
        conn.execute(
            delete(incident_catalogue).where(incident_catalogue.c.incident_id.in_([str(i) for i in latest]))
        )
        self._writer.insert_mappings(
            conn, [index_row(incident, logged) for incident, logged in latest.values()]
        )

    def forget(self) -> None:
        self.shared.forget()
