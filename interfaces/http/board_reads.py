"""What every read of the boards shares: the `after` parameter, the wait for it, the errors it may answer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query

from domain.errors import InvalidInputError
from interfaces.http.board_status import unreachable
from interfaces.http.services import services
from interfaces.services import Services

READ_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing, unknown or revoked token"},
    403: {"description": "Outside the token's role or scope"},
    422: {"description": "Invalid input; `field` names it"},
    503: {
        "description": "The boards did not reach `after`: still catching up (try again), or stuck on an "
        "event they cannot process (the message says where and why; `X-Boards-Stale-Since` is set)"
    },
}
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


def wait_for_boards(app: Services, after: int | None) -> dict[str, Any]:
    """Wait for `after`; the boards' position, the log's head and `stale` (why they lag, or null)."""
    head = app.desk.recorder.max_notification_id() or 0
    # A position the log has not reached was never handed to a client: refuse it now, not after the wait.
    if after is not None and after > head:
        raise InvalidInputError(f"position {after} is beyond the end of the log", field="after")
    if after is not None and not app.boards.wait_for(after, WAIT_SECONDS):
        raise unreachable(app.boards.status(head), after)
    return app.boards.status(head).as_json()
