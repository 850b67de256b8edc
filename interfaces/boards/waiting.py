"""Waiting until the boards have processed a position, so a client reads its own write."""

from __future__ import annotations

import time
from typing import Protocol

from sqlalchemy import Engine

from projections.tracking import tracked_position


class PositionWaiter(Protocol):
    """Something that can tell when the boards have reached a log position."""

    def wait_for(self, position: int, timeout: float) -> bool: ...

    def position(self) -> int: ...


class TrackingWaiter:
    """For a server whose boards run in another process: watches the boards' tracking rows.

    It backs off from 5 ms to 100 ms between looks; a projector in this process is waited on
    through its condition variable instead (no polling at all).
    """

    def __init__(self, engine: Engine, boards: list[str]) -> None:
        self._engine, self._boards = engine, boards

    def position(self) -> int:
        with self._engine.connect() as conn:
            return min((tracked_position(conn, name) for name in self._boards), default=0)

    def wait_for(self, position: int, timeout: float) -> bool:
        deadline, pause = time.monotonic() + timeout, 0.005
        while self.position() < position:
            if time.monotonic() >= deadline:
                return False
            time.sleep(pause)
            pause = min(pause * 2, 0.1)
        return True
