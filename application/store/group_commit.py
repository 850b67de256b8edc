"""Group commit: concurrent writers share one durable transaction, each keeping its own outcome."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass
class PendingWrite:
    """One caller's write, waiting for the batch that carries it to commit."""

    payload: Any
    result: Any = None
    error: BaseException | None = None
    done: bool = False


class GroupCommit:
    """While one batch is being made durable (the fsync dominates), the next writers queue up;
    when it is done, one of them leads the next batch with everything queued so far.

    Every caller returns only after the transaction that carries its write has committed, so an
    acknowledged write is on disk. Waiters sleep on a condition, not on the writer's lock, so a
    finished writer is never held up behind the next batch's fsync.
    """

    def __init__(self, write_batch: Callable[[Sequence[PendingWrite]], None]) -> None:
        self._write_batch = write_batch
        self._queue: list[PendingWrite] = []
        self._leading = False
        self._changed = threading.Condition()

    def submit(self, payload: Any) -> Any:
        pending = PendingWrite(payload)
        batch: list[PendingWrite] = []
        with self._changed:
            self._queue.append(pending)
            while self._leading and not pending.done:
                self._changed.wait()
            if not pending.done:
                self._leading = True
                batch, self._queue = self._queue, []
        if not pending.done:
            self._lead(batch)
        if pending.error is not None:
            raise pending.error
        return pending.result

    def _lead(self, batch: Sequence[PendingWrite]) -> None:
        try:
            self._write_batch(batch)
        except BaseException as error:
            # The transaction as a whole failed: every write in it failed with it.
            for pending in batch:
                if pending.error is None:
                    pending.result, pending.error = None, error
        finally:
            with self._changed:
                for pending in batch:
                    pending.done = True
                self._leading = False
                self._changed.notify_all()
