"""One reader of the log per process, fanning each serialised event out to bounded watcher queues."""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass, field

from application.incident_desk import IncidentDesk
from application.log_tail import LoggedEvent, LogTail
from interfaces.feed.incident_index import IncidentIndex
from interfaces.feed.messages import FeedMessage, feed_message

log = logging.getLogger(__name__)
WATCHER_QUEUE = 1000


@dataclass(eq=False)
class Watch:
    """One watcher: what it may and wants to see, and its own bounded queue."""

    outlets: frozenset[str]
    types: frozenset[str]
    min_rank: int
    queue: asyncio.Queue[FeedMessage] = field(default_factory=lambda: asyncio.Queue(WATCHER_QUEUE))
    overflowed: asyncio.Event = field(default_factory=asyncio.Event)

    def wants(self, message: FeedMessage) -> bool:
        return (
            message.outlet in self.outlets
            and message.incident_type in self.types
            and message.level_rank >= self.min_rank
        )

    def offer(self, message: FeedMessage) -> None:
        if self.overflowed.is_set() or not self.wants(message):
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            # A slow watcher is cut loose, not waited for: the others must not slow down.
            self.overflowed.set()


class FeedHub:
    """Follows the log in a thread, learns each incident, serialises each event once, offers it to all."""

    def __init__(self, desk: IncidentDesk) -> None:
        self._desk = desk
        self._index = IncidentIndex()
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
                self._index.learn(logged.event)
                message = feed_message(logged, self._index)
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

    def catch_up(self, after: int, until: int) -> list[FeedMessage]:
        """The messages of positions (after, until], read from the store (runs in a worker thread)."""
        messages: list[FeedMessage] = []
        start = after
        while start < until:
            batch = self._desk.recorder.select_notifications(
                start=start, limit=500, stop=until, inclusive_of_start=False
            )
            if not batch:
                break
            for notification in batch:
                logged = LoggedEvent(
                    notification.id, notification.topic, self._desk.mapper.to_domain_event(notification)
                )
                message = feed_message(logged, self._index)
                if message is not None:
                    messages.append(message)
            start = batch[-1].id
        return messages
