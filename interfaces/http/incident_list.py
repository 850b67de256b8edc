"""Finding incidents: `GET /api/v1/incidents`, every incident in the caller's scope, closed ones too."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from application.access.scope import board_scope
from domain.complaint_terms import Category
from domain.emergency_terms import EmergencyKind
from domain.errors import InvalidInputError
from domain.level import Level
from domain.texts import MAX_TEXT_LENGTH, readable_text
from interfaces.http.auth import CurrentPrincipal
from interfaces.http.board_labels import labelled_catalogue_row
from interfaces.http.board_reads import READ_ERRORS, After, App, wait_for_boards
from interfaces.http.command_models import Moment
from projections.incident_search import MAX_LIMIT, Cursor, IncidentFilter, find_incidents

router = APIRouter(prefix="/api/v1", tags=["incidents"], responses=READ_ERRORS)
KINDS = [c.value for c in Category] + [k.value for k in EmergencyKind]
Kind = Annotated[
    str | None,
    Query(
        json_schema_extra={"enum": KINDS},
        description="A complaint's category or an emergency's kind.",
    ),
]
Reported = Annotated[
    Moment | None, Query(description="ISO 8601 with its offset; bounds when it was reported (opened_at).")
]
Text = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=MAX_TEXT_LENGTH,
        description="Words in the summary, matched literally and regardless of case.",
    ),
]


def _utc(moment: datetime | None, field: str) -> datetime | None:
    # A moment near year 1 or 9999 may have no UTC equivalent: bad input, not a crash.
    try:
        return moment.astimezone(UTC) if moment is not None else None
    except OverflowError:
        raise InvalidInputError(f"{field} is out of range", field=field) from None


@router.get("/incidents")
def list_incidents(
    principal: CurrentPrincipal,
    app: App,
    unit: str | None = None,
    type: Literal["complaint", "emergency"] | None = None,
    kind: Kind = None,
    level: Level | None = None,
    status: Annotated[
        Literal["open", "closed"] | None,
        Query(description="`open` is every incident not yet closed, a stood-down emergency too."),
    ] = None,
    reported_from: Reported = None,
    reported_to: Reported = None,
    exercise: bool | None = None,
    q: Text = None,
    id: Annotated[
        str | None,
        Query(
            pattern=r"^[0-9A-Fa-f-]{4,36}$",
            description="The first characters of the id (at least 4), as `incident watch` shows them.",
            examples=["3f2a9c1e"],
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: Annotated[str | None, Query(max_length=400, description="`next` of the page before.")] = None,
    after: After = None,
) -> dict[str, Any]:
    """Every incident in the caller's scope, open or closed, newest first by when it was reported.

    `reported_from` ≤ opened_at < `reported_to`. A page holds at most `limit`; `next` is the cursor of
    the page after it (null on the last), stable while new incidents arrive.
    """
    if kind is not None and kind not in KINDS:
        raise InvalidInputError(f"{kind!r} is not a complaint category or an emergency kind", field="kind")
    text = readable_text(q, "q").strip() if q is not None else None
    start = Cursor.decode(cursor) if cursor is not None else None
    freshness = wait_for_boards(app, after)
    scope = board_scope(principal, app.organisation, unit)
    wanted = IncidentFilter(
        outlets=scope.outlets,
        types=scope.types & {type} if type is not None else scope.types,
        kind=kind,
        level=level.value if level is not None else None,
        closed=None if status is None else status == "closed",
        reported_from=_utc(reported_from, "reported_from"),
        reported_to=_utc(reported_to, "reported_to"),
        exercise=exercise,
        text=text,
        id_prefix=id.lower() if id is not None else None,
    )
    with app.engine.connect() as conn:
        rows, following = find_incidents(conn, wanted, limit=limit, after=start)
    incidents = [labelled_catalogue_row(row, app.organisation) for row in rows]
    return {**freshness, "incidents": incidents, "next": following.encode() if following else None}
