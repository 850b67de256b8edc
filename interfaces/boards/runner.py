"""Feeds the incident log to every board: one tail, batches, rows and positions in one transaction."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence

from sqlalchemy import Engine, delete

from application.incident_desk import IncidentDesk
from application.log_tail import LoggedEvent, LogTail
from interfaces.boards.leader import LeaderLock
from projections.board import Board
from projections.tracking import advance, board_tracking, tracked_position
from projections.tracking import metadata as tracking_metadata

log = logging.getLogger(__name__)

BATCH_SIZE = 500
RETRY_SECONDS = 1.0


class BoardRunner:
    """Keeps the boards current with the log; `wait_for(position)` lets a reader see its own write.

    Only the holder of the leader lock projects; another runner on the same database waits as a
    standby and takes over when the lock is free.
    """

    def __init__(
        self, desk: IncidentDesk, engine: Engine, boards: Sequence[Board], leader: LeaderLock
    ) -> None:
        self._desk, self._engine, self._boards, self._leader = desk, engine, list(boards), leader
        tracking_metadata.create_all(engine)
        for board in self._boards:
            if board.create(engine):
                # Its rows were of an older shape and are gone: replay the log into it.
                with engine.begin() as conn:
                    conn.execute(delete(board_tracking).where(board_tracking.c.board == board.name))
        self._stopped = threading.Event()
        self._moved = threading.Condition()
        self._positions: dict[str, int] | None = None
        self._position = self.tracked()
        self._thread: threading.Thread | None = None
        self._tail: LogTail | None = None

    def position(self) -> int:
        """The last log position every board has processed."""
        return self._position

    def _board_positions(self) -> dict[str, int]:
        if self._positions is None:
            with self._engine.connect() as conn:
                self._positions = {b.name: tracked_position(conn, b.name) for b in self._boards}
        return self._positions

    def tracked(self) -> int:
        """The position every board has reached (the lowest of theirs)."""
        with self._engine.connect() as conn:
            return min((tracked_position(conn, b.name) for b in self._boards), default=0)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="board-runner", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._tail is not None:
            self._tail.stop()
        if self._thread is not None:
            self._thread.join(10)
        self._leader.release()
        with self._moved:
            self._moved.notify_all()

    def wait_for(self, position: int, timeout: float) -> bool:
        """Block until the boards have processed `position` (True) or the timeout passes (False)."""
        with self._moved:
            return self._moved.wait_for(lambda: self._position >= position or self._stopped.is_set(), timeout)

    def catch_up(self, until: int, batch_size: int = 2000) -> int:
        """Process the log up to `until` in this thread (rebuilds and tests); returns the events applied."""
        applied = 0
        tail = LogTail(self._desk, after=self.tracked())
        batch: list[LoggedEvent] = []
        if self._position >= until:
            return 0
        for logged in tail:
            batch.append(logged)
            if len(batch) >= batch_size or logged.position >= until:
                self._apply(batch)
                applied += len(batch)
                batch = []
            if logged.position >= until:
                tail.stop()
        return applied

    def _run(self) -> None:
        while not self._stopped.is_set():
            if not self._leader.try_acquire():
                self._stopped.wait(RETRY_SECONDS)  # a standby: another process projects
                continue
            try:
                self._follow()
            except Exception:
                log.exception(
                    "board runner failed at position %s; restarting from the boards' position", self._position
                )
                self._stopped.wait(RETRY_SECONDS)

    def _follow(self) -> None:
        self._positions = None
        for board in self._boards:
            board.forget()  # memory may be ahead of a batch that rolled back
        self._tail = tail = LogTail(self._desk, after=self.tracked())
        buffer: queue.Queue[LoggedEvent] = queue.Queue(maxsize=20 * BATCH_SIZE)

        def feed() -> None:
            for logged in tail:
                buffer.put(logged)

        feeder = threading.Thread(target=feed, name="board-feeder", daemon=True)
        feeder.start()
        try:
            while not self._stopped.is_set():
                try:
                    batch = [buffer.get(timeout=0.2)]
                except queue.Empty:
                    if not feeder.is_alive():
                        return
                    continue
                # Whatever else has arrived meanwhile goes in the same transaction.
                while len(batch) < BATCH_SIZE:
                    try:
                        batch.append(buffer.get_nowait())
                    except queue.Empty:
                        break
                self._apply(batch)
        finally:
            tail.stop()

    def _apply(self, batch: list[LoggedEvent]) -> None:
        # The transaction's first statement is a write, so SQLite takes its write lock at once
        # (waiting its turn) instead of failing to upgrade a read snapshot that went stale.
        positions = self._board_positions()
        try:
            with self._engine.begin() as conn:
                for board in self._boards:
                    fresh = [logged for logged in batch if logged.position > positions[board.name]]
                    if fresh:
                        board.apply(fresh, conn)
                        advance(conn, board.name, fresh[-1].position)
        except BaseException:
            self._positions = None  # re-read from the database after a rollback
            raise
        for board in self._boards:
            positions[board.name] = max(positions[board.name], batch[-1].position)
        with self._moved:
            self._position = batch[-1].position
            self._moved.notify_all()
