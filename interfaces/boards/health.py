"""How the boards stand: their position against the log's head, and why they are stuck if they are."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from application.backoff import Backoff
from application.failure import describe

__all__ = ["Backoff", "BoardFailure", "BoardStatus", "StallWatch", "describe"]

# Behind the log and not moving for this long: nobody is projecting (a stopped worker, a hung runner).
# The same as a read's longest wait for `after`: by then a client would have been told 503 anyway.
STALL_SECONDS = 10.0


@dataclass(frozen=True)
class BoardFailure:
    """The boards cannot get past a log position: since when, where, on which board, and why."""

    since: datetime
    reason: str
    stuck_at: int | None = None  # the first position the boards could not process, when known
    board: str | None = None  # the board that raised, when one did
    attempts: int = 1
    retry_at: datetime | None = None

    def blocks(self, position: int) -> bool:
        """Whether a reader waiting for `position` would wait in vain (events before it are applied)."""
        return self.stuck_at is None or position >= self.stuck_at

    def as_json(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "stuck_at": self.stuck_at,
            "board": self.board,
            "reason": self.reason,
            "attempts": self.attempts,
            "retry_at": self.retry_at.isoformat() if self.retry_at else None,
        }


@dataclass(frozen=True)
class BoardStatus:
    """The boards' position, the log's head, and the failure that keeps them stale (None: healthy)."""

    position: int
    head: int
    failure: BoardFailure | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "head": self.head,
            "stale": self.failure.as_json() if self.failure else None,
        }

    def summary(self) -> str:
        """One sentence: where the boards are stuck, since when, and why (empty while healthy)."""
        failure = self.failure
        if failure is None:
            return ""
        where = f"at position {failure.stuck_at}" if failure.stuck_at is not None else "behind the log"
        board = f" ({failure.board})" if failure.board else ""
        return (
            f"the boards are stuck {where}{board} since {failure.since.isoformat()}: {failure.reason} "
            f"(they show the log up to position {self.position} of {self.head})"
        )

    def why_not(self, after: int) -> str:
        """Why a read waiting for `after` is answered 503."""
        if self.failure is None:
            return (
                f"the boards have not reached position {after} yet (they are at {self.position}); try again"
            )
        return f"{self.summary()}; position {after} cannot be reached until that is fixed"


class StallWatch:
    """Notices boards that are behind the log and have not moved for `seconds`: nobody projects them."""

    def __init__(self, now: Callable[[], datetime], seconds: float = STALL_SECONDS) -> None:
        self._now, self._limit = now, timedelta(seconds=seconds)
        self._lock = threading.Lock()
        self._seen: tuple[int, datetime] | None = None  # the position last seen behind, and since when

    def stalled_since(self, position: int, head: int) -> datetime | None:
        """When the boards were first seen stuck at `position` behind `head`, once that is long enough."""
        with self._lock:
            if position >= head:
                self._seen = None
                return None
            if self._seen is None or self._seen[0] != position:
                self._seen = (position, self._now())
            since = self._seen[1]
        return since if self._now() - since >= self._limit else None

    def failure(self, position: int, head: int) -> BoardFailure | None:
        since = self.stalled_since(position, head)
        if since is None:
            return None
        reason = (
            f"the boards have not moved from position {position} while the log is at {head}: "
            "is their projector running (`incident serve`, or `incident project` when scaled out)?"
        )
        return BoardFailure(since=since, reason=reason)
