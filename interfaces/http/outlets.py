"""Outlet queue readings (网点客流): branches post them; the surge policy and the board read them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Response
from pydantic import BaseModel, ConfigDict, Field

from application.access.policy import check_queue_access
from application.outlet_queues import post_queue_reading
from domain.organisation import Organisation, UnitKind
from interfaces.http.auth import CurrentPrincipal
from interfaces.http.board_reads import READ_ERRORS, After, App, wait_for_boards
from interfaces.http.command_models import COMMAND_ID_PATTERN, Integer, Moment, Number
from interfaces.http.views import CommandOut
from projections.outlet_queues import queue_readings

router = APIRouter(
    prefix="/api/v1/outlets",
    tags=["outlets"],
    responses={
        401: {"description": "Missing, unknown or revoked token"},
        403: {"description": "Outside the token's role or scope"},
        404: {"description": "No such outlet"},
        409: {"description": "A command-id conflict"},
        413: {"description": "Body too large"},
        422: {"description": "Invalid input; `field` names it"},
    },
)


class QueueReadingIn(BaseModel):
    """How many customers wait at the outlet, and the longest wait so far."""

    model_config = ConfigDict(extra="forbid")

    waiting: Integer = Field(ge=0, le=100_000, description="People waiting now.")
    longest_wait_minutes: Number = Field(ge=0, le=24 * 60, description="The longest wait, in minutes.")
    occurred_at: Moment | None = None
    command_id: str | None = Field(None, min_length=1, max_length=200, pattern=COMMAND_ID_PATTERN)


def _check_outlet(organisation: Organisation, outlet: str) -> None:
    unit = organisation.get(outlet)
    if unit is None or unit.kind is not UnitKind.OUTLET:
        raise HTTPException(404, f"{outlet!r} is not an outlet of the organisation")


@router.post("/{outlet}/queue-readings", response_model=CommandOut)
def post_reading(
    outlet: str,
    body: QueueReadingIn,
    principal: CurrentPrincipal,
    app: App,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=200, pattern=COMMAND_ID_PATTERN)] = None,
) -> CommandOut:
    """Post a queue reading; one over the surge thresholds in force (15 waiting and 10 minutes by default)
    opens a customer-surge emergency."""
    _check_outlet(app.organisation, outlet)
    check_queue_access(principal, outlet, app.organisation, post=True)
    result = post_queue_reading(
        app.desk,
        outlet,
        body.waiting,
        body.longest_wait_minutes,
        actor=principal.actor,
        occurred_at=body.occurred_at,
        command_id=body.command_id or idempotency_key,
    )
    response.headers["ETag"] = f'"{result.version}"'
    return CommandOut(
        incident_id=result.incident_id,
        version=result.version,
        position=result.position,
        replayed=result.replayed,
    )


@router.get("/{outlet}/queue", responses={503: READ_ERRORS[503]})
def read_queue(outlet: str, principal: CurrentPrincipal, app: App, after: After = None) -> dict[str, Any]:
    """The outlet's latest reading and, during a surge, the readings since it began (a board)."""
    _check_outlet(app.organisation, outlet)
    check_queue_access(principal, outlet, app.organisation, post=False)
    wait_for_boards(app, after)
    with app.engine.connect() as conn:
        return {"outlet": outlet, **queue_readings(conn, [outlet])[outlet]}
