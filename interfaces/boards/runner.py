"""Feeds the incident log to every board: one tail, batches, rows and positions in one transaction.

An event a board cannot process stops the boards there, loudly and boundedly: every event before it
is applied, the runner retries with backoff, logs each distinct failure once, and reports it (in its
status, and in a row beside the tracking table that every process reads) until it goes away.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete
from sqlalchemy.exc import StatementError

from application.incident_desk import IncidentDesk, utc_now
from application.log_follower import FollowerEndedError, LogFollower
from application.log_tail import LoggedEvent
from interfaces.boards.health import Backoff, BoardFailure, BoardStatus, StallWatch, describe
from interfaces.boards.leader import LeaderLock
from interfaces.boards.waiting import TrackingWaiter
from projections.board import Board
from projections.board_checkpoints import BoardCheckpoints, split_at_checkpoints
from projections.board_failure import clear_failure, record_failure
from projections.board_failure import metadata as failure_metadata
from projections.tracking import advance, board_tracking, tracked_position
from projections.tracking import metadata as tracking_metadata

log = logging.getLogger(__name__)

BATCH_SIZE = 500
STANDBY_SECONDS = 1.0  # how often a standby looks whether the projector lock came free


class ProjectionFailedError(RuntimeError):
    """The boards could not process the event at `position` (None: the failure is not an event's)."""

    def __init__(self, position: int | None, board: str | None, cause: BaseException) -> None:
        self.position, self.board, self.cause = position, board, cause
        self.reason = describe(cause)
        where = f"position {position}" if position is not None else "an unknown position"
        super().__init__(f"{where}{f' ({board})' if board else ''}: {self.reason}")


class BoardRunner:
    """Keeps the boards current with the log; `wait_for(position)` lets a reader see its own write.

    Only the holder of the leader lock projects; another runner on the same database waits as a
    standby (reading the boards' state from the database) and takes over when the lock is free.
    """

    def __init__(
        self,
        desk: IncidentDesk,
        engine: Engine,
        boards: Sequence[Board],
        leader: LeaderLock,
        *,
        backoff: Backoff | None = None,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._desk, self._engine, self._boards, self._leader = desk, engine, list(boards), leader
        tracking_metadata.create_all(engine)
        failure_metadata.create_all(engine)
        for board in self._boards:
            if board.create(engine):
                # Its rows were of an older shape and are gone: replay the log into it.
                with engine.begin() as conn:
                    conn.execute(delete(board_tracking).where(board_tracking.c.board == board.name))
        self._backoff, self._now = backoff or Backoff(), now
        self._stopped = threading.Event()
        self._moved = threading.Condition()
        self._positions: dict[str, int] | None = None
        self._position = self.tracked()
        self._thread: threading.Thread | None = None
        self._follower: LogFollower | None = None
        self._failure: BoardFailure | None = None
        self._logged: tuple[int | None, str | None, str] | None = None  # the failure last logged
        self._row_may_be_set = True  # a failure row left by an earlier projector is cleared once healthy
        self._failed_at = -1  # the boards' position at the last failure
        self._stall = StallWatch(now)
        self._standby = TrackingWaiter(engine, [b.name for b in self._boards], now)
        self._every = next((b.every for b in self._boards if isinstance(b, BoardCheckpoints)), None)

    @property
    def leader(self) -> LeaderLock:
        """The lock this runner projects under (the policies run under it too)."""
        return self._leader

    def position(self) -> int:
        """The last log position every board has processed."""
        return self._position if self._leader.held else self._standby.position()

    def status(self, head: int) -> BoardStatus:
        """How the boards stand against the log's `head` (from the database while a standby)."""
        if not self._leader.held:
            return self._standby.status(head)
        position = self._position
        return BoardStatus(position, head, self._failure or self._stall.failure(position, head))

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
        # Take the lock now if it is free: until then this runner answers as a standby would.
        self._leader.try_acquire()
        self._thread = threading.Thread(target=self._run, name="board-runner", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._follower is not None:
            self._follower.stop()
        if self._thread is not None:
            self._thread.join(10)
        self._leader.release()
        with self._moved:
            self._moved.notify_all()

    def wait_for(self, position: int, timeout: float) -> bool:
        """Block until the boards have processed `position` (True), or the timeout passes, or they
        are failing before it (False at once: waiting would not help)."""
        if not self._leader.held:
            return self._standby.wait_for(position, timeout)
        with self._moved:
            self._moved.wait_for(
                lambda: (
                    self._position >= position
                    or self._stopped.is_set()
                    or (self._failure is not None and self._failure.blocks(position))
                ),
                timeout,
            )
            return self._position >= position

    def catch_up(self, until: int, batch_size: int = 2000) -> int:
        """Process the log up to `until` in this thread (rebuilds and tests); returns the events applied.

        Raises ProjectionFailedError at the first event a board cannot process, all before it applied.
        """
        applied = 0
        if self._position >= until:
            return 0
        with LogFollower(self._desk, after=self.tracked(), batch_size=batch_size) as follower:
            while follower.position < until:
                try:
                    batch = [logged for logged in follower.next_batch() if logged.position <= until]
                except Exception as error:  # the log itself: an event that cannot be read or decoded
                    raise ProjectionFailedError(self._next_position(), None, error) from error
                if batch:
                    self._apply(batch)
                    applied += len(batch)
        return applied

    # The loop: project while leader; on failure, report, back off, and start again from the boards.

    def _run(self) -> None:
        while not self._stopped.is_set():
            if not self._leader.try_acquire():
                self._stopped.wait(STANDBY_SECONDS)  # a standby: another process projects
                continue
            try:
                self._follow()
            except Exception as error:
                if self._stopped.is_set():
                    return  # the store closing under a stopping runner is no failure of the boards
                self._stopped.wait(self._failed(error))

    def _follow(self) -> None:
        self._forget()
        with LogFollower(self._desk, after=self.tracked(), batch_size=BATCH_SIZE) as follower:
            self._follower = follower
            while not self._stopped.is_set():
                try:
                    # Whatever has arrived meanwhile goes in the same transaction.
                    batch = follower.next_batch(timeout=0.2)
                except FollowerEndedError:
                    return
                except Exception as failed:  # the log itself: an event that cannot be read or decoded
                    raise ProjectionFailedError(self._next_position(), None, failed) from failed
                if batch:
                    self._apply(batch)
                if not self._leader.still_held():
                    return  # another process may lead now: take the lock again, or stand by
                self._healthy()  # after progress, or idle: everything the log held has been applied

    def _apply(self, batch: list[LoggedEvent]) -> None:
        # No transaction crosses a checkpoint's boundary: checkpoints stand at the same positions
        # whatever the batches were (a rebuild's equal the live projector's).
        parts = split_at_checkpoints(batch, self._every) if self._every else [batch]
        for part in parts:
            self._apply_part(list(part))

    def _apply_part(self, batch: list[LoggedEvent]) -> None:
        try:
            self._write(batch)
            return
        except ProjectionFailedError:
            if len(batch) == 1:
                raise
        # Find the event that fails, one transaction per event: everything before it is applied.
        # (Outside the handler: the batch's error, SQL parameters and all, is not its context.)
        self._forget()
        for logged in batch:
            self._write([logged])

    def _write(self, batch: list[LoggedEvent]) -> None:
        # The transaction's first statement is a write, so SQLite takes its write lock at once
        # (waiting its turn) instead of failing to upgrade a read snapshot that went stale.
        single = batch[0].position if len(batch) == 1 else None
        try:
            positions = self._board_positions()
            with self._engine.begin() as conn:
                for board in self._boards:
                    fresh = [logged for logged in batch if logged.position > positions[board.name]]
                    if not fresh:
                        continue
                    try:
                        board.apply(fresh, conn)
                        advance(conn, board.name, fresh[-1].position)
                    except Exception as error:
                        raise ProjectionFailedError(single, board.name, error) from error
        except ProjectionFailedError:
            self._positions = None  # re-read from the database after a rollback
            raise
        except Exception as error:  # the store: connecting, committing
            self._positions = None
            raise ProjectionFailedError(single, None, error) from error
        for board in self._boards:
            positions[board.name] = max(positions[board.name], batch[-1].position)
        with self._moved:
            self._position = batch[-1].position
            self._moved.notify_all()

    def _forget(self) -> None:
        self._positions = None
        for board in self._boards:
            board.forget()  # memory may be ahead of a batch that rolled back

    def _next_position(self) -> int | None:
        """The first stored position after the boards' (where a failure to read the log is stuck)."""
        try:
            found = self._desk.recorder.select_notifications(start=self._position + 1, limit=1)
        except Exception:  # the store is away: the position stays unknown
            return None
        return found[0].id if found else None

    # Failing and recovering: what the status, the log and the failure row say.

    def _failed(self, error: Exception) -> float:
        """Record a failed attempt; returns the seconds to wait before the next."""
        failed = (
            error if isinstance(error, ProjectionFailedError) else ProjectionFailedError(None, None, error)
        )
        now, previous = self._now(), self._failure
        # Stale since the first failure after the boards last moved; progress starts a new count.
        if previous is not None and self._failed_at != self._position:
            previous = None
            self._backoff.reset()
        delay = self._backoff.next()
        self._failed_at = self._position
        failure = BoardFailure(
            since=previous.since if previous else now,
            reason=failed.reason,
            stuck_at=failed.position,
            board=failed.board,
            attempts=previous.attempts + 1 if previous else 1,
            retry_at=now + timedelta(seconds=delay),
        )
        key = (failure.stuck_at, failure.board, failure.reason)
        if key != self._logged:
            self._logged = key
            cause = failed.cause
            root = cause.orig if isinstance(cause, StatementError) and cause.orig is not None else cause
            # The root's own traceback, unchained: a statement error's text carries the SQL parameters.
            trace = "".join(traceback.format_exception(root, chain=False)).rstrip()
            log.error(
                "the boards are stuck: %s; retrying with backoff (up to %g s) until it is fixed\n%s",
                failed,
                self._backoff.cap,
                trace,
            )
        else:
            log.debug("the boards are still stuck (attempt %s): %s", failure.attempts, failed)
        self._publish(failure)  # first: whoever sees the failure here finds it in the database too
        with self._moved:
            self._failure = failure
            self._moved.notify_all()  # readers waiting for a position past it are answered now
        return delay

    def _healthy(self) -> None:
        """Called after progress or when idle: clears a failure the boards have got past."""
        failure = self._failure
        if failure is not None and failure.stuck_at is not None and self._position < failure.stuck_at:
            return
        if failure is not None:
            self._failure, self._logged = None, None
            self._backoff.reset()
            log.warning(
                "the boards recovered at position %s after %s attempts (stuck since %s)",
                self._position,
                failure.attempts,
                failure.since.isoformat(),
            )
            self._row_may_be_set = True
        if self._row_may_be_set:
            self._publish(None)

    def _publish(self, failure: BoardFailure | None) -> None:
        """Write (or clear) the failure row for other processes; best effort, the store may be away."""
        try:
            with self._engine.begin() as conn:
                if failure is None:
                    clear_failure(conn)
                else:
                    record_failure(
                        conn,
                        since=failure.since,
                        reason=failure.reason,
                        stuck_at=failure.stuck_at,
                        board=failure.board,
                        attempts=failure.attempts,
                        retry_at=failure.retry_at,
                    )
        except Exception as error:
            log.debug("could not record the boards' status: %s", describe(error))
            return
        self._row_may_be_set = failure is not None
