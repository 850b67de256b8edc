"""Read endpoints of the boards: the office board, the branch wall, the complaint statistics."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Response

from application.access.principal import Principal
from application.access.scope import board_scope
from domain.level import Level
from domain.time_travel import Axis
from interfaces.http.auth import CurrentPrincipal
from interfaces.http.board_labels import labelled_office_row
from interfaces.http.board_past import BoardAsOf, board_source
from interfaces.http.board_reads import READ_ERRORS, After, App
from interfaces.http.past_state import AxisParam
from interfaces.http.stats_csv import stats_table
from interfaces.services import Services
from projections.complaint_facts import ComplaintStats
from projections.complaint_groups import grouped_complaint_stats
from projections.open_incidents import open_incidents, wall_units

router = APIRouter(prefix="/api/v1/boards", tags=["boards"], responses=READ_ERRORS)


@router.get("/office")
def office(
    principal: CurrentPrincipal,
    app: App,
    unit: str | None = None,
    type: Literal["complaint", "emergency"] | None = None,
    level: Level | None = None,
    status: Literal["open", "stood_down"] | None = None,
    after: After = None,
    as_of: BoardAsOf = None,
    axis: AxisParam = None,
) -> dict[str, Any]:
    """Every open incident in the caller's scope, worst level first, then oldest first (now, or `as_of`)."""
    scope = board_scope(principal, app.organisation, unit)
    types = scope.types & {type} if type is not None else scope.types
    with board_source(app, after, as_of, axis) as source:
        board = open_incidents(
            source.conn,
            outlets=scope.outlets_in(app.organisation),
            types=types,
            now=source.now,
            level=level.value if level is not None else None,
            status=status,
        )
    rows = [labelled_office_row(row, app.organisation) for row in board["incidents"]]
    return {**source.answer, **board, "incidents": rows}


@router.get("/wall")
def wall(
    principal: CurrentPrincipal,
    app: App,
    unit: str | None = None,
    after: After = None,
    as_of: BoardAsOf = None,
    axis: AxisParam = None,
) -> dict[str, Any]:
    """Every unit in scope with its worst open level and counts, rolled up at every node of the tree."""
    scope = board_scope(principal, app.organisation, unit)
    with board_source(app, after, as_of, axis) as source:
        units = wall_units(
            source.conn, app.organisation, outlets=scope.outlets_in(app.organisation), types=scope.types
        )
    return {**source.answer, "units": units}


GroupBy = Literal["channel", "category", "outlet", "sub_branch", "branch", "day"]


def _complaint_stats(
    principal: Principal,
    app: Services,
    group_by: GroupBy,
    unit: str | None,
    after: int | None,
    as_of: datetime | None,
    axis: Axis | None,
) -> tuple[dict[str, Any], list[ComplaintStats]]:
    scope = board_scope(principal, app.organisation, unit)
    with board_source(app, after, as_of, axis, complaints=True) as source:
        groups = grouped_complaint_stats(
            source.conn,
            app.organisation,
            group_by=group_by,
            outlets=scope.outlets_in(app.organisation),
            now=source.now,
            calendar=app.calendar,
        )
    return source.answer, groups


@router.get("/complaint-stats")
def stats(
    principal: CurrentPrincipal,
    app: App,
    group_by: GroupBy = "category",
    unit: str | None = None,
    after: After = None,
    as_of: BoardAsOf = None,
    axis: AxisParam = None,
) -> dict[str, Any]:
    """The call centre's statistics (分类统计): received, closed within 15/30/60 days, overdue, rates, times."""
    answer, groups = _complaint_stats(principal, app, group_by, unit, after, as_of, axis)
    return {**answer, "group_by": group_by, "groups": [vars(g) for g in groups]}


@router.get(
    "/complaint-stats.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The statistics as CSV (UTF-8 with BOM)"}},
)
def stats_csv(
    principal: CurrentPrincipal,
    app: App,
    group_by: GroupBy = "category",
    unit: str | None = None,
    after: After = None,
    as_of: BoardAsOf = None,
    axis: AxisParam = None,
) -> Response:
    """The same statistics as CSV for Excel: bilingual headers, a UTF-8 BOM, no cell read as a formula."""
    _, groups = _complaint_stats(principal, app, group_by, unit, after, as_of, axis)
    name = f"complaint-stats-{group_by}.csv"
    return Response(
        stats_table(groups),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
