"""What an export asks for, checked against the caller's scope, shared by the API and the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from application.access.export_access import check_unit_export, check_whole_bank
from application.access.policy import check_read
from application.access.principal import Principal
from application.access.scope import INCIDENT_TYPES
from application.audit.export import export_lines
from application.audit.log_tree import LogTree, RecordedLeaf
from application.audit.signed_note import open_checkpoint, verifier_key
from domain.errors import InvalidInputError
from interfaces.services import Services
from projections.incident_search import Cursor, IncidentFilter, find_incidents

Scope = Literal["all", "range", "unit", "incident"]


class NoEvidenceError(LookupError):
    """The server keeps no tree, or no checkpoint is signed yet."""


@dataclass(frozen=True)
class Export:
    """A checked export, ready to stream: its lines and how many events it will hold."""

    lines: Iterator[str]
    size: int
    name: str


def prepare_export(
    principal: Principal,
    app: Services,
    scope: Scope,
    from_position: int | None = None,
    to_position: int | None = None,
    unit: str | None = None,
    incident: UUID | None = None,
) -> Export:
    """Check the caller may export this scope (AccessDeniedError, InvalidInputError), then its lines."""
    asked: dict[str, object] = {"scope": scope}
    outlets: frozenset[str] | None = None
    if scope in ("all", "range"):
        check_whole_bank(
            principal, app.organisation, "the whole log" if scope == "all" else "a position range"
        )
    if scope == "range":
        if from_position is None or to_position is None:
            missing = "from" if from_position is None else "to"
            raise InvalidInputError("a range needs both from and to", field=missing)
        if from_position > to_position:
            raise InvalidInputError("from is after to", field="from")
        asked.update({"from": from_position, "to": to_position})
    elif scope == "incident":
        if incident is None:
            raise InvalidInputError("scope incident needs incident", field="incident")
        found = app.desk.get_incident(incident)
        check_read(principal, found.TYPE, found.outlet, app.organisation)
        asked["incident"] = str(incident)
    elif scope == "unit":
        if unit is None:
            raise InvalidInputError("scope unit needs unit", field="unit")
        outlets = check_unit_export(principal, app.organisation, unit)
        asked["unit"] = unit
    tree = app.log_tree
    if tree is None:
        raise NoEvidenceError("this server keeps no tree of the log")
    note = tree.latest_checkpoint()
    if note is None:
        raise NoEvidenceError("no checkpoint has been signed yet")
    vkey = verifier_key(tree.origin, tree.public_key)
    checkpoint = open_checkpoint(note, vkey)
    size = checkpoint.size
    leaves: Iterator[RecordedLeaf]
    if scope == "range":
        leaves = tree.leaves_below(size, first_position=from_position or 1, last_position=to_position)
    elif scope == "incident":
        leaves = tree.leaves_below(size, originator_id=str(incident))
    elif outlets is not None:
        leaves = _of_incidents(tree, size, _incident_ids(app, outlets))
    else:
        leaves = tree.leaves_below(size)
    lines = export_lines(tree, app.desk.recorder, note, checkpoint, vkey, asked, leaves, app.clock())
    return Export(lines, size, f"incident-log-{scope}-{size}.ndjson")


def _incident_ids(app: Services, outlets: frozenset[str]) -> set[str]:
    # The unit's incidents, a page at a time from the catalogue: ids only (36 characters each).
    wanted = IncidentFilter(outlets=outlets, types=INCIDENT_TYPES)
    ids: set[str] = set()
    after: Cursor | None = None
    while True:
        with app.engine.connect() as conn:
            rows, after = find_incidents(conn, wanted, limit=500, after=after)
        ids.update(str(row["incident_id"]) for row in rows)
        if after is None:
            return ids


def _of_incidents(tree: LogTree, size: int, ids: set[str]) -> Iterator[RecordedLeaf]:
    return (leaf for leaf in tree.leaves_below(size) if leaf.originator_id in ids)
