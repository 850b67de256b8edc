"""Rebuilding the boards from the log: drop their rows, replay every event in large batches."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import Engine, delete

from application.incident_desk import IncidentDesk
from interfaces.boards.leader import LeaderLock
from interfaces.boards.runner import BoardRunner
from interfaces.boards.wiring import make_boards
from projections.tracking import board_tracking


class ProjectorRunningError(RuntimeError):
    """Another process is projecting the boards: stop it before rebuilding."""


@dataclass(frozen=True)
class RebuildReport:
    """What a rebuild did."""

    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def rebuild_boards(
    desk: IncidentDesk, engine: Engine, database_url: str, batch_size: int = 2000
) -> RebuildReport:
    """Rebuild every board from position 0, holding the projector lock so nothing else writes them."""
    leader = LeaderLock(engine, database_url)
    if not leader.try_acquire():
        raise ProjectorRunningError("a projector holds the boards (a running server or `incident project`)")
    try:
        boards = make_boards(desk)
        for board in boards:
            board.drop(engine)
        board_tracking.create(engine, checkfirst=True)
        with engine.begin() as conn:
            conn.execute(delete(board_tracking).where(board_tracking.c.board.in_([b.name for b in boards])))
        runner = BoardRunner(desk, engine, boards, leader)
        head = desk.recorder.max_notification_id() or 0
        started = time.perf_counter()
        events = runner.catch_up(until=head, batch_size=batch_size)
        return RebuildReport(events, time.perf_counter() - started)
    finally:
        leader.release()
