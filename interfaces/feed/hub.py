"""One reader of the log per process, fanning each serialised event out to bounded watcher queues."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from application.failure import describe
from application.incident_desk import IncidentDesk
from application.log_follower import LogFollower
from interfaces.feed.close_codes import RESUME
from interfaces.feed.incident_index import IncidentIndex
from interfaces.feed.limits import WATCHER_QUEUE
from interfaces.feed.messages import FeedMessage, feed_message
from projections.feed_index import FeedScope

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Watch:
    """One watcher: whose token, what it may and wants to see, its bounded queue, and why it ended.

    Messages wait in `pending` while the watcher's replay runs or its socket is full; once live,
    `deliver` (its connection's Sender) writes them as they come, every queued one in one go.
    """

    token_id: str
    scope: FeedScope
    limit: int = WATCHER_QUEUE
    pending: list[FeedMessage] = field(default_factory=list)  # emptied at once, never from the left
    deliver: Callable[[list[FeedMessage]], None] | None = None
    # Done when the connection must close (fell behind, token revoked, a send timed out).
    ended: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    end_code: int = RESUME
    end_reason: str = ""

    def wants(self, message: FeedMessage) -> bool:
        return self.scope.covers(message.outlet, message.incident_type, message.level_rank)

    def offer(self, message: FeedMessage) -> None:
        if self.ended.done() or not self.wants(message):
            return
        if len(self.pending) >= self.limit:
            # A slow watcher is cut loose, not waited for: the others must not slow down.
            self.end(RESUME, "fell behind")
            return
        self.pending.append(message)

    def take(self, messages: list[FeedMessage]) -> None:
        """The hub's hand-off: what arrived since the last one, queued, then written if live."""
        for message in messages:
            self.offer(message)
        if self.pending and self.deliver is not None and not self.ended.done():
            self.deliver(self.pending)

    def end(self, code: int, reason: str) -> None:
        """Ask this watcher's connection to close with `code` (the first reason given wins)."""
        if not self.ended.done():
            self.end_code, self.end_reason = code, reason
            self.ended.set_result(None)


class FeedHub:
    """Follows the log in a thread, learns each incident, serialises each event once, offers it to all.

    With an `engine`, it starts where the feed-index board stands (its incident facts, then the log
    after its position); without one, from position 0.
    """

    def __init__(self, desk: IncidentDesk, engine: Engine | None = None) -> None:
        self._desk = desk
        self._engine = engine
        self.index = IncidentIndex()
        self._watches: set[Watch] = set()
        self._dispatched = 0  # touched only on the event loop, like `_arrived`
        self._arrived: list[tuple[int, FeedMessage | None]] = []
        self._follower: LogFollower | None = None
        self._thread: threading.Thread | None = None
        self.read = 0  # events read from the log since start (a restart's cost)

    @property
    def head(self) -> int:
        """The last position offered to watchers."""
        return self._dispatched

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Restore the index (here, before any watcher registers), then follow the log in a thread."""
        start = self.index.restore(self._engine) if self._engine is not None else 0
        self._dispatched = start
        self._follower = follower = LogFollower(self._desk, after=start, on_undecodable=self._undecodable)
        self._thread = threading.Thread(
            target=self._follow, args=(follower, loop), name="feed-hub", daemon=True
        )
        self._thread.start()

    def _follow(self, follower: LogFollower, loop: asyncio.AbstractEventLoop) -> None:
        with follower:
            for batch in follower.batches():
                self.read += len(batch)
                for logged in batch:
                    self.index.learn(logged.event)
                    message = feed_message(logged, self.index)
                    loop.call_soon_threadsafe(self._dispatch, logged.position, message)

    @staticmethod
    def _undecodable(position: int, topic: str, error: Exception) -> None:
        # Nothing can label it; the boards stop there and say so. The feed goes on without it.
        log.error(
            "the feed passed over the event at position %s (topic %s): %s", position, topic, describe(error)
        )

    def stop(self) -> None:
        if self._follower is not None:
            self._follower.stop()
        if self._thread is not None:
            self._thread.join(10)

    def _dispatch(self, position: int, message: FeedMessage | None) -> None:
        # Called once per event; what arrives before the loop's next pass goes to each watcher in
        # one hand-off (and, for a live one, one write).
        self._arrived.append((position, message))
        if len(self._arrived) == 1:
            asyncio.get_running_loop().call_soon(self._hand_off)

    def _hand_off(self) -> None:
        arrived, self._arrived = self._arrived, []
        self._dispatched = arrived[-1][0]
        messages = [message for _, message in arrived if message is not None]
        if messages:
            for watch in list(self._watches):
                watch.take(messages)

    def subscribe(self, watch: Watch) -> int:
        """Register on the event loop; everything after the returned position reaches the watch live."""
        self._watches.add(watch)
        return self._dispatched

    def unsubscribe(self, watch: Watch) -> None:
        self._watches.discard(watch)

    def queue_depths(self) -> list[int]:
        """How many messages wait for each live watcher now (for the metrics; read on any thread)."""
        return [len(watch.pending) for watch in list(self._watches)]
