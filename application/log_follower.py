"""The one engine that follows the log for the boards, the policies and the feed: batches, then wait.

A reader thread runs a `LogTail` from a position and queues what it reads; the consumer takes it in
batches (all that has arrived, up to a size), in its own thread, and so works on one batch while
the next is read. A stored event the tail cannot decode is either passed to `on_undecodable` (in
the consumer's thread, in its place in the log: after every event before it has been handed over)
or ends the batches with the error, after the events before it. So do the tail's other failures.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import TracebackType
from uuid import UUID

from eventsourcing.application import Application

from application.log_tail import LoggedEvent, LogTail

DEFAULT_BATCH = 500
QUEUED_BATCHES = 20  # the reader stays at most this many batches ahead of the consumer
POLL_SECONDS = 0.2  # how often a blocked reader looks whether the consumer has gone


class FollowerEndedError(RuntimeError):
    """The log's reader stopped without a failure while the consumer still wanted events (it was stopped)."""


@dataclass(frozen=True)
class _Undecodable:
    position: int
    topic: str
    error: Exception


@dataclass(frozen=True)
class _Failed:
    error: Exception


_END = object()
_Item = LoggedEvent | _Undecodable | _Failed | object


class LogFollower:
    """Every event after `after`, in order, once, in batches of at most `batch_size`; then live.

    Use it as a context manager (it starts the reader on entry and stops and joins it on exit), and
    take batches with `next_batch(timeout)` or iterate `batches(idle_seconds)`. `position` is the
    last position handed over (or passed over as undecodable).
    """

    def __init__(
        self,
        app: Application[UUID],
        after: int = 0,
        *,
        batch_size: int = DEFAULT_BATCH,
        on_undecodable: Callable[[int, str, Exception], None] | None = None,
        retry_seconds: float = 0.5,
    ) -> None:
        self.position = after
        self._batch_size = batch_size
        self._on_undecodable = on_undecodable
        self._tail = LogTail(
            app,
            after=after,
            retry_seconds=retry_seconds,
            on_undecodable=self._queue_undecodable if on_undecodable is not None else None,
        )
        self._queue: queue.Queue[_Item] = queue.Queue(maxsize=QUEUED_BATCHES * batch_size)
        self._ending = threading.Event()
        self._pending: _Item | None = None  # taken from the queue, not handed over yet
        self._ended = False
        self._thread = threading.Thread(target=self._read, name="log-follower", daemon=True)
        self.read = 0  # events the reader has decoded and queued (what a restart costs)

    def __enter__(self) -> LogFollower:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
        self._thread.join(POLL_SECONDS * 50)

    def stop(self) -> None:
        """Stop reading (from any thread); the consumer's next wait ends."""
        self._ending.set()
        self._tail.stop()

    # -- the consumer's side ----------------------------------------------------------------

    def batches(self, idle_seconds: float | None = None) -> Iterator[list[LoggedEvent]]:
        """Batches until stopped; with `idle_seconds`, an empty batch after each that long idle."""
        while True:
            try:
                batch = self.next_batch(idle_seconds)
            except FollowerEndedError:
                return
            if batch or idle_seconds is not None:
                yield batch

    def next_batch(self, timeout: float | None = None) -> list[LoggedEvent]:
        """What has arrived, up to a batch, waiting up to `timeout` for the first (empty: none came).

        Empty too right after an undecodable event was passed over (`position` moved). Raises the
        tail's failure once every event before it has been handed over, and FollowerEndedError once
        the follower was stopped.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        batch: list[LoggedEvent] = []
        while len(batch) < self._batch_size:
            item = self._take(deadline if not batch else time.monotonic())
            if item is None:
                break
            if isinstance(item, LoggedEvent):
                batch.append(item)
                self.position = item.position
                continue
            if batch:
                self._pending = item  # hand over what came before it first
                break
            self._settle(item)
            break  # passed over: the position moved, which the consumer may be waiting for
        return batch

    def _take(self, deadline: float | None) -> _Item | None:
        if self._pending is not None:
            item, self._pending = self._pending, None
            return item
        while True:
            if self._ended:
                raise FollowerEndedError("the log follower was stopped")
            wait = POLL_SECONDS if deadline is None else min(POLL_SECONDS, deadline - time.monotonic())
            try:
                return self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
            except queue.Empty:
                if self._ending.is_set() and not self._thread.is_alive() and self._queue.empty():
                    self._ended = True
                elif deadline is not None and time.monotonic() >= deadline:
                    return None

    def _settle(self, item: _Item) -> None:
        """What is not an event: an undecodable one (told, then passed over), a failure, the end."""
        if isinstance(item, _Undecodable):
            assert self._on_undecodable is not None
            self._on_undecodable(item.position, item.topic, item.error)
            self.position = item.position
        elif isinstance(item, _Failed):
            self._ended = True
            raise item.error
        else:
            self._ended = True
            raise FollowerEndedError("the log follower was stopped")

    # -- the reader's side ------------------------------------------------------------------

    def _read(self) -> None:
        try:
            for logged in self._tail:
                if not self._put(logged):
                    return
                self.read += 1
        except Exception as error:  # reading or decoding the log: the consumer decides what it means
            self._put(_Failed(error))
            return
        self._put(_END)

    def _queue_undecodable(self, position: int, topic: str, error: Exception) -> None:
        self._put(_Undecodable(position, topic, error))

    def _put(self, item: _Item) -> bool:
        """Queue `item`, giving up (False) once the consumer has stopped taking them."""
        while not self._ending.is_set():
            try:
                self._queue.put(item, timeout=POLL_SECONDS)
            except queue.Full:
                continue
            return True
        return False
