"""One reader of the log per process, fanning each serialised event out to bounded watcher queues."""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass, field

from application.incident_desk import IncidentDesk
from application.log_tail import LogTail
from interfaces.feed.close_codes import RESUME
from interfaces.feed.incident_index import IncidentIndex
from interfaces.feed.limits import WATCHER_QUEUE
from interfaces.feed.messages import FeedMessage, feed_message
from projections.feed_index import FeedScope

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Watch:
    """One watcher: whose token, what it may and wants to see, its bounded queue, and why it ended."""

    token_id: str
    scope: FeedScope
    queue: asyncio.Queue[FeedMessage] = field(default_factory=lambda: asyncio.Queue(WATCHER_QUEUE))
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    end_code: int = RESUME
    end_reason: str = ""

    def wants(self, message: FeedMessage) -> bool:
        return self.scope.covers(message.outlet, message.incident_type, message.level_rank)

    def offer(self, message: FeedMessage) -> None:
        if self.ended.is_set() or not self.wants(message):
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            # A slow watcher is cut loose, not waited for: the others must not slow down.
            self.end(RESUME, "fell behind")

    def end(self, code: int, reason: str) -> None:
        """Ask this watcher's connection to close with `code` (the first reason given wins)."""
        if not self.ended.is_set():
            self.end_code, self.end_reason = code, reason
            self.ended.set()


class FeedHub:
    """Follows the log in a thread, learns each incident, serialises each event once, offers it to all."""

    def __init__(self, desk: IncidentDesk) -> None:
        self._desk = desk
        self.index = IncidentIndex()
        self._watches: set[Watch] = set()
        self._dispatched = 0  # touched only on the event loop
        self._tail: LogTail | None = None
        self._thread: threading.Thread | None = None

    @property
    def head(self) -> int:
        """The last position offered to watchers."""
        return self._dispatched

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._tail = tail = LogTail(self._desk)

        def follow() -> None:
            for logged in tail:
                self.index.learn(logged.event)
                message = feed_message(logged, self.index)
                loop.call_soon_threadsafe(self._dispatch, logged.position, message)

        self._thread = threading.Thread(target=follow, name="feed-hub", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._tail is not None:
            self._tail.stop()
        if self._thread is not None:
            self._thread.join(10)

    def _dispatch(self, position: int, message: FeedMessage | None) -> None:
        self._dispatched = position
        if message is not None:
            for watch in list(self._watches):
                watch.offer(message)

    def subscribe(self, watch: Watch) -> int:
        """Register on the event loop; everything after the returned position reaches the watch live."""
        self._watches.add(watch)
        return self._dispatched

    def unsubscribe(self, watch: Watch) -> None:
        self._watches.discard(watch)
