"""Liveness and readiness: is the process up, and can it reach its store."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from application.incident_desk import IncidentDesk
from application.store.errors import RECOVERABLE_STORE_ERRORS
from interfaces.http.board_status import boards_not_ready

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """The store answers and the boards are not stuck; the log's head position is included."""
    desk: IncidentDesk = request.app.state.services.desk
    try:
        head = desk.recorder.max_notification_id() or 0
    except RECOVERABLE_STORE_ERRORS as error:
        return JSONResponse({"status": "unavailable", "detail": str(error)}, status_code=503)
    stale = boards_not_ready(request.app.state.services, head)
    if stale is not None:
        return stale
    return JSONResponse({"status": "ready", "position": head})
