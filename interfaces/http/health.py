"""Liveness and readiness: is the process up, and can it reach its store."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from application.incident_desk import IncidentDesk
from interfaces.http.board_status import boards_not_ready
from interfaces.http.errors import RETRY_AFTER_SECONDS
from interfaces.http.store_errors import STORE_ERRORS, describe, store_unavailable

router = APIRouter(
    tags=["health"], responses={422: {"description": "An unknown query parameter; `field` names it"}}
)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


def store_head(desk: IncidentDesk) -> int | str:
    """The log's head position, or why the store cannot be reached (within the store's wait, ~2 s)."""
    try:
        return desk.recorder.max_notification_id() or 0
    except STORE_ERRORS as error:
        if not store_unavailable(error):
            raise
        return describe(error)


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """The store answers and the boards are not stuck; the log's head position is included."""
    head = store_head(request.app.state.services.desk)
    if isinstance(head, str):
        retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        return JSONResponse({"status": "unavailable", "detail": head}, status_code=503, headers=retry)
    services = request.app.state.services
    stale = boards_not_ready(services, head)
    if stale is not None:
        return stale
    body: dict[str, Any] = {"status": "ready", "position": head}
    if services.policies is not None:
        policies = services.policies.status()
        # Ready (the policies are automation, not the service) but not silent about what they skipped.
        if policies["passed_over"] or policies["failing"]:
            body["policies"] = policies
    return JSONResponse(body)
