"""GET /api/v1/log/export: the log, a position range, a unit or one incident as verifiable NDJSON."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import StreamingResponse

from interfaces.export_scope import NoEvidenceError, Scope, prepare_export
from interfaces.http.auth import CurrentPrincipal
from interfaces.http.board_reads import App

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
    },
)


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
    try:
        found = prepare_export(principal, app, scope, from_position, to_position, unit, incident)
    except NoEvidenceError as error:
        raise HTTPException(404, str(error)) from None
    disposition = f'attachment; filename="{found.name}"'
    return StreamingResponse(found.lines, media_type=NDJSON, headers={"Content-Disposition": disposition})
