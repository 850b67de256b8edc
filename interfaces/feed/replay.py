"""Replays for watchers: what they may see after a position, a page at a time, on a pool of their own.

A replay reads the feed index (projections/feed_index.py) up to the index's tracked position, and
the rest, which the index has not reached yet (usually a few milliseconds' worth; more if the boards
are behind or run in a worker that is down), from the log itself, labelled by the hub's incident
index. Each page is one job on a small thread pool that nothing else uses, so a hundred replays
queue behind each other instead of taking the threads the HTTP API runs on; a replay holds one page
at a time, and one whose watcher has gone submits no further page.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Iterator
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine

from application.incident_desk import IncidentDesk
from application.log_tail import LoggedEvent
from interfaces.feed.incident_index import IncidentIndex
from interfaces.feed.messages import feed_message
from interfaces.feed.sender import ReplayTurns
from projections.feed_index import PAGE, FeedScope, indexed_pages, indexed_position

Page = list[tuple[int, str]]


class Replays:
    """Streams (position, text) pages of a scope's messages at positions (after, until]."""

    def __init__(
        self, desk: IncidentDesk, engine: Engine, index: IncidentIndex, threads: int, page: int = PAGE
    ) -> None:
        self._desk, self._engine, self._index, self._page = desk, engine, index, page
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="feed-replay")
        self.reading = 0  # replays under way; touched only on the event loop
        self.turns = ReplayTurns()

    async def stream(self, scope: FeedScope, after: int, until: int) -> AsyncGenerator[Page, None]:
        """Each page is read on the replay pool; cancelling the consumer cancels the next read."""
        loop = asyncio.get_running_loop()
        pages = self._pages(scope, after, until)
        self.reading += 1
        try:
            while (page := await loop.run_in_executor(self._pool, next, pages, None)) is not None:
                yield page
        finally:
            self.reading -= 1

    def close(self) -> None:
        """Drop queued pages and wait for the ones being read (each is short) before the store closes."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _pages(self, scope: FeedScope, after: int, until: int) -> Iterator[Page]:
        indexed = min(until, indexed_position(self._engine))
        cursor = max(after, indexed)
        if after < indexed:
            cursor = after
            for page in indexed_pages(self._engine, scope, after, indexed, self._page):
                # A rebuild resets the index's position before it refills the table: a page read
                # from a table being refilled is thrown away, and the log has the rest.
                if indexed_position(self._engine) < indexed:
                    break
                cursor = page[-1][0] if page else cursor
                yield page
            else:
                cursor = indexed
        yield from self._from_the_log(scope, cursor, until)

    def _from_the_log(self, scope: FeedScope, after: int, until: int) -> Iterator[Page]:
        start = after
        while start < until:
            batch = self._desk.recorder.select_notifications(
                start=start, limit=self._page, stop=until, inclusive_of_start=False
            )
            if not batch:
                return
            page: Page = []
            for notification in batch:
                event = self._desk.mapper.to_domain_event(notification)
                message = feed_message(LoggedEvent(notification.id, event), self._index)
                if message is not None and scope.covers(
                    message.outlet, message.incident_type, message.level_rank
                ):
                    page.append((message.position, message.text))
            yield page
            start = batch[-1].id
