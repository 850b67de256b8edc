"""Finding incidents in the catalogue: filters, newest first, a page at a time behind an opaque cursor.

The cursor is the last row's (opened_at, incident_id), base64 of JSON: a keyset, so a page follows
from where the last one ended whatever was reported since (a new incident is either before the
cursor, and so not in the pages after it, or older and listed in its place; none is listed twice).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, and_, or_, select

from domain.errors import InvalidInputError
from domain.status import IncidentStatus
from projections.incident_catalogue import incident_catalogue

MAX_LIMIT = 200
NOT_A_CURSOR = "not a cursor this server gave (pass `next` as it came)"


@dataclass(frozen=True)
class Cursor:
    """Where a page ended: the last row listed, in the listing's order."""

    opened_at: datetime
    incident_id: str

    def encode(self) -> str:
        text = json.dumps([self.opened_at.isoformat(), self.incident_id], separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """The cursor a page gave as `next`; InvalidInputError for anything else."""
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            opened_at, incident_id = json.loads(raw)
            moment = datetime.fromisoformat(opened_at)
            if moment.utcoffset() is None:
                raise ValueError("a cursor's moment has its offset")
            return cls(moment.astimezone(UTC), str(UUID(incident_id)))
        except (binascii.Error, ValueError, TypeError, UnicodeDecodeError, RecursionError, OverflowError):
            raise InvalidInputError(NOT_A_CURSOR, field="cursor") from None


@dataclass(frozen=True)
class IncidentFilter:
    """What to find; None (or empty) leaves a criterion out. Times bound `opened_at`: from ≤ it < to."""

    outlets: frozenset[str] | None
    types: frozenset[str]
    kind: str | None = None
    level: str | None = None
    closed: bool | None = None
    reported_from: datetime | None = None
    reported_to: datetime | None = None
    exercise: bool | None = None
    text: str | None = None
    # The first characters of the id (as `incident watch` shows it): lowercase hex and dashes.
    id_prefix: str | None = None


def find_incidents(
    conn: Connection, found: IncidentFilter, *, limit: int = 50, after: Cursor | None = None
) -> tuple[list[dict[str, Any]], Cursor | None]:
    """One page of matching incidents, newest first (opened_at, then id), and the cursor of the next."""
    table = incident_catalogue.c
    query = select(*(c for c in incident_catalogue.c if c.name != "summary_folded"))
    for condition in _conditions(found):
        query = query.where(condition)
    if after is not None:
        query = query.where(
            or_(
                table.opened_at < after.opened_at,
                and_(table.opened_at == after.opened_at, table.incident_id < after.incident_id),
            )
        )
    query = query.order_by(table.opened_at.desc(), table.incident_id.desc()).limit(limit + 1)
    rows = [dict(row) for row in conn.execute(query).mappings()]
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, Cursor(rows[-1]["opened_at"], rows[-1]["incident_id"])


def _conditions(found: IncidentFilter) -> Iterable[Any]:
    table = incident_catalogue.c
    yield table.type.in_(sorted(found.types))
    if found.outlets is not None:
        yield table.outlet.in_(sorted(found.outlets))
    if found.kind is not None:
        yield table.kind == found.kind
    if found.level is not None:
        yield table.level == found.level
    if found.closed is True:
        yield table.status == IncidentStatus.CLOSED.value
    elif found.closed is False:  # open: being worked or stood down, not yet closed
        yield table.status != IncidentStatus.CLOSED.value
    if found.reported_from is not None:
        yield table.opened_at >= found.reported_from
    if found.reported_to is not None:
        yield table.opened_at < found.reported_to
    if found.exercise is not None:
        yield table.exercise.is_(found.exercise)
    if found.id_prefix:
        yield table.incident_id.startswith(found.id_prefix, autoescape=True)
    if found.text:
        # Literal text: autoescape makes %, _ and the escape character match themselves.
        yield table.summary_folded.contains(found.text.casefold(), autoescape=True)
