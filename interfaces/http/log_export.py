"""The log's export for auditors: NDJSON evidence of a scope, each event with its inclusion proof, streamed."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import StreamingResponse
from sqlalchemy import select

from application.access.policy import check_log_export, check_read
from application.audit.export import ExportScope, export_lines
from application.audit.signed_note import open_checkpoint, verifier_key
from domain.errors import InvalidInputError
from interfaces.http.auth import CurrentPrincipal
from interfaces.http.board_reads import App, wait_for_boards
from interfaces.http.log import MAX_POSITION
from projections.incident_catalogue import incident_catalogue

router = APIRouter(prefix="/api/v1/log", tags=["log"])


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}, "description": "The export, line by line"}},
)
def export(
    principal: CurrentPrincipal,
    app: App,
    incident: Annotated[UUID | None, Query(description="One incident's events.")] = None,
    unit: Annotated[str | None, Query(description="The events of the incidents of a unit's subtree.")] = None,
    from_position: Annotated[
        int | None,
        Query(alias="from", ge=1, le=MAX_POSITION, description="The first position (whole-bank only)."),
    ] = None,
    to_position: Annotated[
        int | None,
        Query(alias="to", ge=1, le=MAX_POSITION, description="The last position (whole-bank only)."),
    ] = None,
) -> StreamingResponse:
    """The stored events of one incident, a unit, a position range or the whole log, as NDJSON evidence.

    A header line (the signed checkpoint the proofs are against, its verifier key), one line per event
    (every stored field, its leaf hash and its inclusion proof) and a trailer counting them; events
    recorded after the latest checkpoint are left for the next. Refused outside the caller's scope: the
    whole log and a range only to a whole-bank reader.
    """
    if (
        sum(x is not None for x in (incident, unit)) + (from_position is not None or to_position is not None)
        > 1
    ):
        raise InvalidInputError("give one of incident, unit, or a from/to range", field="incident")
    if from_position is not None and to_position is not None and from_position > to_position:
        raise InvalidInputError(f"from {from_position} is after to {to_position}", field="from")
    if unit is not None and unit not in app.organisation:
        raise InvalidInputError(f"unit {unit!r} is not in the organisation", field="unit")
    if app.log_tree is None:
        raise HTTPException(503, "this server keeps no tree of the log")
    tree = app.log_tree
    if incident is None:
        check_log_export(principal, app.organisation, unit)
    note = tree.latest_checkpoint()
    if note is None:
        raise HTTPException(404, "no checkpoint has been signed yet: nothing can be proved")
    checkpoint = open_checkpoint(note, verifier_key(tree.origin, tree.public_key))
    last = tree.position_at(checkpoint.size)
    # The catalogue names each incident's type and outlet: it must have reached the checkpoint.
    wait_for_boards(app, last)
    scope = _scope(principal, app, incident, unit, from_position, to_position)
    lines = export_lines(tree, app.desk.recorder, checkpoint, note, scope, app.clock())
    name = f"incident-log-{checkpoint.size}.ndjson"
    return StreamingResponse(
        lines,
        media_type="application/x-ndjson",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Tree-Size": str(checkpoint.size),
        },
    )


def _scope(
    principal: Any, app: App, incident: UUID | None, unit: str | None, first: int | None, last: int | None
) -> ExportScope:
    if incident is not None:
        with app.engine.connect() as conn:
            row = conn.execute(
                select(incident_catalogue.c.type, incident_catalogue.c.outlet).where(
                    incident_catalogue.c.incident_id == str(incident)
                )
            ).first()
        if row is None:
            raise HTTPException(404, f"no incident {incident} in the signed log")
        check_read(principal, row.type, row.outlet, app.organisation)
        first_position = app.log_tree.recorded_position_of(str(incident), 1) if app.log_tree else None
        return ExportScope(
            {"incident": str(incident)},
            after=max((first_position or 1) - 1, 0),
            originators=frozenset({str(incident)}),
        )
    if unit is not None:
        outlets = [u.code for u in app.organisation.outlets_under(unit)]
        with app.engine.connect() as conn:
            ids = conn.execute(
                select(incident_catalogue.c.incident_id).where(incident_catalogue.c.outlet.in_(outlets))
            ).scalars()
            originators = frozenset(str(i) for i in ids)
        return ExportScope({"unit": unit}, originators=originators)
    if first is not None or last is not None:
        return ExportScope({"from": first, "to": last}, after=(first or 1) - 1, up_to=last)
    return ExportScope({"whole_log": True})
