"""Rebuilding the boards from the log: replay every event into boards beside the live ones, then swap."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from application.incident_desk import IncidentDesk
from interfaces.boards.health import describe
from interfaces.boards.leader import LeaderLock
from interfaces.boards.runner import BoardRunner, ProjectionFailedError
from interfaces.boards.shadow import ShadowBoards
from interfaces.boards.wiring import make_boards
from projections.board import Board


class ProjectorRunningError(RuntimeError):
    """Another process is projecting the boards: stop it before rebuilding."""


class RebuildFailedError(RuntimeError):
    """The rebuild stopped before the swap: the live boards and their positions are as they were."""


@dataclass(frozen=True)
class RebuildReport:
    """What a rebuild did."""

    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def rebuild_boards(
    desk: IncidentDesk,
    engine: Engine,
    database_url: str,
    batch_size: int = 2000,
    boards: Sequence[Board] | None = None,
) -> RebuildReport:
    """Rebuild every board from position 0, holding the projector lock so nothing else writes them.

    The new boards are built beside the live ones and swapped in only once every event is in them;
    any failure before that raises RebuildFailedError and leaves the live boards untouched.
    """
    leader = LeaderLock(engine, database_url)
    if not leader.try_acquire():
        raise ProjectorRunningError("a projector holds the boards (a running server or `incident project`)")
    try:
        chosen = list(boards) if boards is not None else make_boards(desk)
        started = time.perf_counter()
        try:
            with ShadowBoards(engine, database_url) as shadow:
                runner = BoardRunner(desk, shadow.engine, chosen, leader)
                shadow.as_scratch(chosen)
                events = runner.catch_up(
                    until=desk.recorder.max_notification_id() or 0, batch_size=batch_size
                )
                shadow.swap_into_live(chosen)
        except ProjectionFailedError as error:
            raise RebuildFailedError(f"the rebuild stopped at {error}") from error
        except Exception as error:
            raise RebuildFailedError(f"the rebuild failed: {describe(error)}") from error
        return RebuildReport(events, time.perf_counter() - started)
    finally:
        leader.release()
