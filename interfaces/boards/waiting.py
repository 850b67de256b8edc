"""Waiting until the boards have processed a position, so a client reads its own write; and their status."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from sqlalchemy import Connection, Engine

from application.incident_desk import utc_now
from interfaces.boards.health import STALL_SECONDS, BoardFailure, BoardStatus, StallWatch
from projections.board_failure import metadata as failure_metadata
from projections.board_failure import recorded_failure
from projections.tracking import metadata as tracking_metadata
from projections.tracking import tracked_position


class PositionWaiter(Protocol):
    """Something that can tell when the boards have reached a log position, and how they stand."""

    def wait_for(self, position: int, timeout: float) -> bool:
        """True once the boards have `position`; False on timeout or as soon as they cannot reach it."""
        ...

    def position(self) -> int: ...

    def status(self, head: int) -> BoardStatus:
        """The boards against the log's `head`, with the failure that keeps them stale, if any."""
        ...


class TrackingWaiter:
    """For a server whose boards run in another process: reads the boards' tracking and failure rows.

    The projector records its failure in a row beside the tracking table; a projector that records
    nothing (stopped, hung) shows as stale once the boards trail the log without moving for a while.
    It backs off from 5 ms to 100 ms between looks; a projector in this process is waited on
    through its condition variable instead (no polling at all).
    """

    def __init__(
        self,
        engine: Engine,
        boards: list[str],
        now: Callable[[], datetime] = utc_now,
        stall_seconds: float = STALL_SECONDS,
    ) -> None:
        self._engine, self._boards = engine, boards
        self._stall = StallWatch(now, stall_seconds)
        # The server may start before any projector has created them.
        tracking_metadata.create_all(engine)
        failure_metadata.create_all(engine)

    def position(self) -> int:
        with self._engine.connect() as conn:
            return self._position(conn)

    def _position(self, conn: Connection) -> int:
        return min((tracked_position(conn, name) for name in self._boards), default=0)

    def _read(self) -> tuple[int, BoardFailure | None]:
        """The boards' position and the projector's recorded failure, unless the boards are past it."""
        with self._engine.connect() as conn:
            position, row = self._position(conn), recorded_failure(conn)
        if row is None:
            return position, None
        del row["runner"]
        failure = BoardFailure(**row)
        # A row the projector could not clear (the store went away as it recovered) is history.
        return position, None if failure.stuck_at is not None and position >= failure.stuck_at else failure

    def status(self, head: int) -> BoardStatus:
        position, failure = self._read()
        return BoardStatus(position, head, failure or self._stall.failure(position, head))

    def wait_for(self, position: int, timeout: float) -> bool:
        deadline, pause = time.monotonic() + timeout, 0.005
        while True:
            reached, failure = self._read()
            if reached >= position:
                return True
            if (failure is not None and failure.blocks(position)) or time.monotonic() >= deadline:
                return False
            time.sleep(pause)
            pause = min(pause * 2, 0.1)
