"""What HTTP says about stale boards: the readiness check, and the 503 for a position out of reach."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from interfaces.boards.health import BoardStatus
from interfaces.services import Services

STALE_SINCE_HEADER = "X-Boards-Stale-Since"


def boards_not_ready(app: Services, head: int) -> JSONResponse | None:
    """/readyz's boards check: 503 with the stuck position and the reason while the boards are stale."""
    try:
        status = app.boards.status(head)
    except SQLAlchemyError as error:
        return JSONResponse({"status": "unavailable", "detail": type(error).__name__}, status_code=503)
    if status.failure is None:
        return None
    body = {
        "status": "boards_stale",
        "position": head,
        "detail": status.summary(),
        "boards": status.as_json(),
    }
    return JSONResponse(body, status_code=503, headers={STALE_SINCE_HEADER: status.failure.since.isoformat()})


def unreachable(status: BoardStatus, after: int) -> HTTPException:
    """The 503 for a read whose `after` the boards have not reached: catching up, or stuck before it."""
    failure, now = status.failure, datetime.now(UTC)
    if failure is None:
        return HTTPException(503, status.why_not(after), headers={"Retry-After": "1"})
    retry = max(1, math.ceil((failure.retry_at - now).total_seconds())) if failure.retry_at else 10
    headers = {"Retry-After": str(retry), STALE_SINCE_HEADER: failure.since.isoformat()}
    return HTTPException(503, status.why_not(after), headers=headers)
