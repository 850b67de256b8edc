"""GET /api/v1/log/export: the log, a position range, a unit or one incident as verifiable NDJSON."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import StreamingResponse

from application.access.export_access import check_unit_export, check_whole_bank
from application.access.policy import check_read
from application.access.scope import INCIDENT_TYPES
from application.audit.export import export_lines
from application.audit.log_tree import LogTree, RecordedLeaf
from application.audit.signed_note import open_checkpoint, verifier_key
from domain.errors import InvalidInputError
from interfaces.http.auth import CurrentPrincipal
from interfaces.http.board_reads import App
from interfaces.services import Services
from projections.incident_search import Cursor, IncidentFilter, find_incidents

MAX_POSITION = 2**63 - 1
NDJSON = "application/x-ndjson"
router = APIRouter(
    prefix="/api/v1/log",
    tags=["log"],
    responses={
        401: {"description": "Missing, unknown or revoked token"},
        403: {"description": "The scope asked is outside the token's: the reason is named"},
        404: {"description": "No checkpoint yet, or no such incident"},
        422: {"description": "Invalid input: the field is named"},
        503: {"description": "This server keeps no tree of the log"},
    },
)
Scope = Literal["all", "range", "unit", "incident"]


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {NDJSON: {}}, "description": "Header line, one event a line, trailer"}},
)
def export(
    principal: CurrentPrincipal,
    app: App,
    scope: Annotated[Scope, Query(description="all, range (from/to), unit or incident.")],
    from_position: Annotated[int | None, Query(alias="from", ge=1, le=MAX_POSITION)] = None,
    to_position: Annotated[int | None, Query(alias="to", ge=1, le=MAX_POSITION)] = None,
    unit: Annotated[str | None, Query(max_length=64, description="A unit: its subtree's incidents.")] = None,
    incident: Annotated[UUID | None, Query(description="One incident's id.")] = None,
) -> StreamingResponse:
    """The events asked, each with its stored fields, leaf hash and inclusion proof against the latest
    signed checkpoint (events after it are left out): check it offline with tools/verify_export.py."""
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
        raise HTTPException(503, "this server keeps no tree of the log")
    note = tree.latest_checkpoint()
    if note is None:
        raise HTTPException(404, "no checkpoint has been signed yet")
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
    name = f"incident-log-{scope}-{size}.ndjson"
    return StreamingResponse(
        lines, media_type=NDJSON, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


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
