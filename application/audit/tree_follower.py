"""Keeps the log's tree up with the log and signs a checkpoint every few seconds while it grows.

It runs where the boards run, under their leader lock: of all the workers on one database only the
one projecting appends to the tree (another writer's rows would collide on the tree's keys; the loser
reloads the tree from its tables and carries on).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from eventsourcing.persistence import ApplicationRecorder
from sqlalchemy.exc import IntegrityError

from application.audit.log_tree import LogTree
from application.store.errors import RECOVERABLE_STORE_ERRORS

CHECKPOINT_SECONDS = 2.0
_log = logging.getLogger(__name__)


class Leadership(Protocol):
    """The boards' leader lock (interfaces/boards/leader.py), as far as the tree needs it."""

    @property
    def held(self) -> bool: ...


class TreeFollower:
    """A thread that appends the log's new rows to the tree and signs a checkpoint when it grew."""

    def __init__(
        self,
        tree: LogTree,
        recorder: ApplicationRecorder,
        clock: Callable[[], datetime],
        leader: Leadership,
        every_seconds: float = CHECKPOINT_SECONDS,
    ) -> None:
        self.tree, self._recorder, self._clock, self._leader = tree, recorder, clock, leader
        self._every = every_seconds
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="log-tree", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def catch_up(self) -> int:
        """Append what the log holds beyond the tree and sign the tree if it grew; how many were added."""
        added = self.tree.extend(self._recorder)
        if added or self.tree.latest_checkpoint() is None:
            self.tree.checkpoint(self._clock())
        return added

    def _run(self) -> None:
        while not self._stopping.wait(self._every):
            if not self._leader.held:
                continue
            try:
                self.catch_up()
            except IntegrityError:
                self.tree.forget()  # another writer got there first: reload from the tables
            except RECOVERABLE_STORE_ERRORS as error:
                _log.warning("the log's tree could not catch up, will retry: %s", error)
            except Exception:
                # Anything else is a fault to see in the log, not a reason to stop signing for good.
                _log.exception("the log's tree failed to catch up, will retry")
