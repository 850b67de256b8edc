"""Writing to one watcher's socket: live messages all at once as they come, replays in turns, deadlines.

Nothing here goes through Starlette's or ASGI's send: frames are written to the connection's
`FrameLink` (interfaces/feed/websocket_protocol.py), a live event's frame made once for every
watcher. Every message written is at a position after the last one written, so none is repeated
or reordered, whichever of the replay, the live hand-off or a resume offers it.
"""

from __future__ import annotations

import asyncio

from interfaces.feed.close_codes import RESUME
from interfaces.feed.hub import FeedHub, Watch
from interfaces.feed.messages import FeedMessage, heartbeat
from interfaces.feed.websocket_protocol import FrameLink, TextFrame

# A replay writes up to this much at once before it looks at the socket's buffer again.
REPLAY_WRITE = 64 * 1024


class SendTimedOutError(Exception):
    """A send did not reach the socket within the send timeout: the peer has stopped reading."""


class WatcherGoneError(ConnectionError):
    """The connection closed while something waited to be sent to it."""


class Sender:
    """Writes to one watcher, and remembers the last position written (its resume point).

    A write happens only while the socket's buffer is below its high-water mark; a replay or a
    heartbeat that finds it full waits up to the send timeout, and live messages wait in the watch's
    bounded queue, on the same deadline. Either way a peer that stopped reading gets 4001.
    """

    def __init__(self, link: FrameLink, timeout: float, position: int) -> None:
        self._link, self._timeout, self.position = link, timeout, position
        self._loop = asyncio.get_running_loop()
        self.last_write = self._loop.time()
        self._deadline: asyncio.TimerHandle | None = None
        self._watch: Watch | None = None

    @property
    def writable(self) -> bool:
        return self._link.writable

    async def until_writable(self) -> None:
        """Returns once the socket takes writes; SendTimedOutError after the send timeout."""
        if not self._link.writable:
            try:
                async with asyncio.timeout(self._timeout):
                    while not self._link.writable and self._link.open:
                        await self._link.until_writable()
            except TimeoutError:
                raise SendTimedOutError from None
        if not self._link.open:
            raise WatcherGoneError

    async def beat(self, hub: FeedHub, watch: Watch) -> None:
        """A heartbeat: the head of the log, and this watcher's position, as they are when it goes.

        Its head never passes a message still queued for this watcher (live messages wait while the
        replay runs or the socket is full): a client takes "head" as "everything up to here in my
        scope has reached me", and one that stops reading there must not miss the queued ones.
        """
        await self.until_writable()
        head = min(hub.head, watch.pending[0].position - 1) if watch.pending else hub.head
        self._link.write(self._link.frame(TextFrame(heartbeat(head, self.position))))
        self.last_write = self._loop.time()

    async def keep_beating(self, hub: FeedHub, watch: Watch, seconds: float) -> None:
        """A heartbeat after every `seconds` in which nothing else was written; until cancelled."""
        while True:
            await asyncio.sleep(max(0.0, self.last_write + seconds - self._loop.time()))
            if self._loop.time() - self.last_write >= seconds:
                await self.beat(hub, watch)

    def write_page(self, page: list[tuple[int, str]], start: int, budget: int = REPLAY_WRITE) -> int:
        """Writes page[start:] up to about `budget` bytes in one go; the index of the first not written."""
        frames: list[bytes] = []
        size, index, position = 0, start, self.position
        while index < len(page) and size < budget:
            at, text = page[index]
            index += 1
            if at > position:
                frame = self._link.frame(TextFrame(text))
                frames.append(frame)
                size += len(frame)
                position = at
        self._write(frames, position)
        return index

    def go_live(self, watch: Watch) -> None:
        """From now on, what the hub gives `watch` is written as it comes, queued messages first."""
        self._watch = watch
        watch.deliver = self.deliver
        self._link.on_writable = self._drained
        self.deliver(watch.pending)

    def deliver(self, pending: list[FeedMessage]) -> None:
        """Writes every queued message in one go, or leaves them queued until the buffer drains."""
        if not self._link.writable:
            if not self._link.open:
                pending.clear()
            elif self._deadline is None:
                self._deadline = self._loop.call_later(self._timeout, self._timed_out)
            return
        frames: list[bytes] = []
        position = self.position
        for message in pending:
            if message.position > position:
                frames.append(self._link.frame(message.frame))
                position = message.position
        pending.clear()
        self._write(frames, position)

    def stop(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._link.on_writable = None
        if self._watch is not None:
            self._watch.deliver = None

    def _write(self, frames: list[bytes], position: int) -> None:
        if frames:
            self._link.write(frames[0] if len(frames) == 1 else b"".join(frames))
            self.position = position
            self.last_write = self._loop.time()

    def _drained(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        if self._watch is not None:
            self.deliver(self._watch.pending)

    def _timed_out(self) -> None:
        self._deadline = None
        if self._watch is not None and self._watch.pending and not self._link.writable:
            self._watch.end(RESUME, f"a send took over {self._timeout:g} s")


class ReplayTurns:
    """Replays send in turns: one slice of at most `slice_seconds` of sending per pass of the event loop.

    Sending is event-loop work, and every replay whose page has arrived is ready at once: each
    sending its page at a stretch made every request to the API wait behind all of them at each step
    of its way through the loop (a p99 of 1.7 s for /healthz with 100 replays here). In turns, a
    request waits for one slice per step. A watcher whose socket is full gives up its turn at once
    and waits on its own deadline, holding up no one.
    """

    def __init__(self, slice_seconds: float = 0.004) -> None:
        self._turn = asyncio.Lock()
        self._slice = slice_seconds

    async def send(self, sender: Sender, page: list[tuple[int, str]]) -> None:
        loop = asyncio.get_running_loop()
        done = 0
        while done < len(page):
            async with self._turn:
                ends = loop.time() + self._slice
                while done < len(page) and loop.time() < ends and sender.writable:
                    done = sender.write_page(page, done)
                # Still holding the turn: the next slice runs in the loop's next pass, after the
                # requests that are waiting now.
                await asyncio.sleep(0)
            if done < len(page):
                await sender.until_writable()
