"""Group commit: concurrent writers share one durable transaction, each keeping its own outcome."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class PendingWrite:
    """One caller's write, waiting for the batch that carries it to commit."""

    payload: Any
    result: Any = None
    error: BaseException | None = None
    done: bool = field(default=False)


class GroupCommit:
    """Lets whichever writer holds the lock commit everything queued so far in one transaction.

    While one batch is being made durable (the fsync dominates), the next writers queue up; the
    next lock holder writes them all at once. Every caller returns only after the transaction that
    carries its write has committed, so an acknowledged write is on disk.
    """

    def __init__(self, write_batch: Callable[[Sequence[PendingWrite]], None]) -> None:
        self._write_batch = write_batch
        self._queue: list[PendingWrite] = []
        self._queue_lock = threading.Lock()
        self._leader_lock = threading.Lock()

    def submit(self, payload: Any) -> Any:
        pending = PendingWrite(payload)
        with self._queue_lock:
            self._queue.append(pending)
        with self._leader_lock:
            if not pending.done:
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                self._write_all(batch)
        if pending.error is not None:
            raise pending.error
        return pending.result

    def _write_all(self, batch: Sequence[PendingWrite]) -> None:
        try:
            self._write_batch(batch)
        except BaseException as error:
            # The transaction as a whole failed: every write in it failed with it.
            for pending in batch:
                if pending.error is None:
                    pending.result, pending.error = None, error
        finally:
            for pending in batch:
                pending.done = True
