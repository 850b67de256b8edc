"""Read endpoints of the boards: office board, branch wall, complaint statistics, timelines."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy import select

from application.access.policy import check_read
from application.access.principal import Principal
from application.outlet_queues import queue_state
from domain.complaint_terms import Category
from domain.emergency_terms import EmergencyKind
from domain.errors import InvalidInputError
from domain.level import Level
from domain.organisation import Organisation
from domain.playbooks import PLAYBOOKS
from domain.status import IncidentStatus
from domain.steps import ComplaintStep
from domain.values import Role
from interfaces.http.auth import CurrentPrincipal
from interfaces.http.board_status import unreachable
from interfaces.http.outlets import queue_view
from interfaces.http.services import services
from interfaces.http.views import EMERGENCY_STEPS, incident_type
from interfaces.services import Services
from projections.complaint_facts import complaint_stats
from projections.office_board import is_overdue, office_board
from projections.timeline import timeline

READ_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing, unknown or revoked token"},
    403: {"description": "Outside the token's role or scope"},
    422: {"description": "Invalid input; `field` names it"},
    503: {
        "description": "The boards did not reach `after`: still catching up (try again), or stuck on an "
        "event they cannot process (the message says where and why; `X-Boards-Stale-Since` is set)"
    },
}
router = APIRouter(prefix="/api/v1/boards", tags=["boards"], responses=READ_ERRORS)
App = Annotated[Services, Depends(services)]
After = Annotated[
    int | None,
    Query(
        ge=0,
        le=2**62,
        description="Wait until the board has processed this log position (read your own write).",
    ),
]
WAIT_SECONDS = 10.0
# Per kind: the same code (report_superior, call_police, ...) reads differently in each playbook.
ACTION_LABELS = {(kind.value, a.code): (a.zh, a.en) for kind, actions in PLAYBOOKS.items() for a in actions}


def _label(code: str | None, zh: str, en: str) -> dict[str, str] | None:
    return None if code is None else {"code": code, "zh": zh, "en": en}


def _step_label(row: dict[str, Any], code: str) -> dict[str, str] | None:
    if row["type"] == "complaint":
        step = ComplaintStep(code)
        return _label(code, step.zh, step.en)
    zh, en = EMERGENCY_STEPS.get(code) or _action_label(row, code)
    return _label(code, zh, en)


def _action_label(row: dict[str, Any], code: str) -> tuple[str, str]:
    return ACTION_LABELS.get((row["kind"], code), (code, code))


def _wait(app: Services, after: int | None) -> dict[str, Any]:
    """Wait for `after`; the boards' position, the log's head and `stale` (why they lag, or null)."""
    head = app.desk.recorder.max_notification_id() or 0
    # A position the log has not reached was never handed to a client: refuse it now, not after the wait.
    if after is not None and after > head:
        raise InvalidInputError(f"position {after} is beyond the end of the log", field="after")
    if after is not None and not app.boards.wait_for(after, WAIT_SECONDS):
        raise unreachable(app.boards.status(head), after)
    return app.boards.status(head).as_json()


def visible_outlets(principal: Principal, organisation: Organisation, unit: str | None) -> set[str]:
    """The outlets whose incidents this caller may see, narrowed to `unit`'s subtree if given."""
    if principal.role is Role.OFFICE:
        scope = {u.code for u in organisation.outlets_under(principal.unit)}
    elif principal.role is Role.BRANCH:
        scope = {principal.unit}
    elif principal.role in (Role.AUDITOR, Role.CALL_CENTRE):
        scope = {u.code for u in organisation.outlets}
    else:
        raise HTTPException(403, f"token {principal.name!r} ({principal.role.value}) may not read boards")
    if unit is not None:
        if unit not in organisation:
            raise HTTPException(422, f"unit {unit!r} is not in the organisation")
        scope &= {u.code for u in organisation.outlets_under(unit)}
    return scope


def _office_row(row: dict[str, Any], organisation: Organisation, now: datetime) -> dict[str, Any]:
    level = Level(row["level"])
    kind = Category(row["kind"]) if row["type"] == "complaint" else EmergencyKind(row["kind"])
    status = IncidentStatus(row["status"])
    outlet = organisation.get(row["outlet"])
    return {
        **row,
        "level": _label(level.value, level.zh, level.en),
        "kind": _label(kind.value, kind.zh, kind.en),
        "status": _label(status.value, status.zh, status.en),
        "current_step": _step_label(row, row["current_step"]) if row["current_step"] else None,
        "next_step": _step_label(row, row["next_step"]),
        "open_actions": [_label(code, *_action_label(row, code)) for code in row["open_actions"]],
        "outlet_name": {"zh": outlet.name_zh, "en": outlet.name_en} if outlet else None,
        "outlet_path": [u.code for u in organisation.path(row["outlet"])] if outlet else [],
        "overdue": is_overdue(row, now),
        "age_seconds": max(0, int((now - row["opened_at"]).total_seconds())),
    }


@router.get("/office")
def office(
    principal: CurrentPrincipal,
    app: App,
    unit: str | None = None,
    type: Literal["complaint", "emergency"] | None = None,
    level: Level | None = None,
    status: Literal["open", "stood_down"] | None = None,
    after: After = None,
) -> dict[str, Any]:
    """Every open incident in the caller's scope, worst level first, then oldest first."""
    freshness = _wait(app, after)
    outlets = visible_outlets(principal, app.organisation, unit)
    query = select(office_board).where(office_board.c.outlet.in_(outlets))
    if principal.role is Role.CALL_CENTRE:
        query = query.where(office_board.c.type == "complaint")
    if type is not None:
        query = query.where(office_board.c.type == type)
    if level is not None:
        query = query.where(office_board.c.level == level.value)
    if status is not None:
        query = query.where(office_board.c.status == status)
    query = query.order_by(office_board.c.level_rank.desc(), office_board.c.opened_at)
    now = app.clock()
    with app.engine.connect() as conn:
        rows = [_office_row(dict(r), app.organisation, now) for r in conn.execute(query).mappings()]
    for row in rows:
        if row["kind"]["code"] == EmergencyKind.CUSTOMER_SURGE.value:
            # A surge shows its outlet's queue readings until it is stood down (二次分流).
            row["queue"] = queue_view(queue_state(app.desk, row["outlet"]))
    counts = Counter(r["level"]["code"] for r in rows)
    return {
        **freshness,
        "counts": {lv.value: counts.get(lv.value, 0) for lv in Level},
        "overdue": sum(1 for r in rows if r["overdue"]),
        "incidents": rows,
    }


@router.get("/wall")
def wall(
    principal: CurrentPrincipal, app: App, unit: str | None = None, after: After = None
) -> dict[str, Any]:
    """Every unit in scope with its worst open level and counts, rolled up at every node of the tree."""
    freshness = _wait(app, after)
    outlets = visible_outlets(principal, app.organisation, unit)
    query = select(office_board.c.outlet, office_board.c.level, office_board.c.type).where(
        office_board.c.outlet.in_(outlets)
    )
    if principal.role is Role.CALL_CENTRE:
        query = query.where(office_board.c.type == "complaint")
    per_unit: dict[str, Counter[str]] = {}
    with app.engine.connect() as conn:
        for outlet, level, _ in conn.execute(query):
            for node in app.organisation.path(outlet):
                per_unit.setdefault(node.code, Counter())[level] += 1
    units = []
    for node in app.organisation.units:
        below = (
            {u.code for u in app.organisation.outlets_under(node.code)}
            if node.code in app.organisation
            else set()
        )
        if not below & outlets:
            continue
        counts = per_unit.get(node.code, Counter())
        worst = max((Level(lv) for lv in counts), key=lambda lv: lv.rank, default=None)
        units.append(
            {
                "code": node.code,
                "kind": node.kind.value,
                "parent": node.parent,
                "name_zh": node.name_zh,
                "name_en": node.name_en,
                "worst_level": worst.value if worst else None,
                "counts": {lv.value: counts.get(lv.value, 0) for lv in Level},
                "open": sum(counts.values()),
            }
        )
    return {**freshness, "units": units}


GROUPS = Literal["channel", "category", "outlet", "sub_branch", "branch", "day"]


@router.get("/complaint-stats")
def stats(
    principal: CurrentPrincipal,
    app: App,
    group_by: GROUPS = "category",
    unit: str | None = None,
    after: After = None,
) -> dict[str, Any]:
    """The call centre's statistics (分类统计): received, closed within 15/30/60 days, overdue, rates, times."""
    freshness = _wait(app, after)
    outlets = visible_outlets(principal, app.organisation, unit)
    org = app.organisation

    def ancestor(outlet: str, depth: int) -> str:
        path = org.path(outlet) if outlet in org else []
        return path[depth].code if len(path) > depth else outlet

    keys = {
        "channel": lambda r: r["channel"],
        "category": lambda r: r["category"],
        "outlet": lambda r: r["outlet"],
        "sub_branch": lambda r: ancestor(r["outlet"], 2),
        "branch": lambda r: ancestor(r["outlet"], 1),
        "day": lambda r: r["received_day"],
    }
    with app.engine.connect() as conn:
        groups = complaint_stats(conn, group_by=keys[group_by], outlets=outlets, now=app.clock())
    return {**freshness, "group_by": group_by, "groups": [vars(g) for g in groups]}


timeline_router = APIRouter(
    prefix="/api/v1/incidents",
    tags=["incidents"],
    responses={**READ_ERRORS, 404: {"description": "No such incident"}},
)


@timeline_router.get("/{incident_id}/timeline")
def incident_timeline(
    incident_id: UUID, principal: CurrentPrincipal, app: App, after: After = None
) -> dict[str, Any]:
    """The incident's timeline board: every event with who did it and when, for its detail view."""
    freshness = _wait(app, after)
    incident = app.desk.get_incident(incident_id)
    check_read(principal, incident_type(incident), incident.outlet, app.organisation)
    query = select(timeline).where(timeline.c.incident_id == str(incident_id)).order_by(timeline.c.position)
    with app.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    return {**freshness, "incident_id": str(incident_id), "events": rows}
