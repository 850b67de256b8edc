"""The read endpoint of an incident's timeline board: every event, who did it and when."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter

from application.access.policy import check_read
from domain.moments import is_late
from interfaces.http.auth import CurrentPrincipal
from interfaces.http.board_reads import READ_ERRORS, After, App, wait_for_boards
from projections.timeline import timeline_events

router = APIRouter(
    prefix="/api/v1/incidents",
    tags=["incidents"],
    responses={**READ_ERRORS, 404: {"description": "No such incident"}},
)


@router.get("/{incident_id}/timeline")
def incident_timeline(
    incident_id: UUID, principal: CurrentPrincipal, app: App, after: After = None
) -> dict[str, Any]:
    """The incident's timeline board: every event with who did it and when (`late`: 补录), for its detail view."""
    freshness = wait_for_boards(app, after)
    incident = app.desk.get_incident(incident_id)
    check_read(principal, incident.TYPE, incident.outlet, app.organisation)
    with app.engine.connect() as conn:
        events = timeline_events(conn, str(incident_id))
    # Late entries (补录) marked by the domain's one rule, so that the page never judges lateness itself.
    marked = [{**e, "late": is_late(e["occurred_at"], e["recorded_at"])} for e in events]
    return {**freshness, "incident_id": str(incident_id), "events": marked}
