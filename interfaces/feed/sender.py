"""Sending to a watcher: a deadline on every send, and replays that take turns on the event loop."""

from __future__ import annotations

import asyncio

from fastapi import WebSocket


class SendTimedOutError(Exception):
    """A send did not reach the socket within the send timeout: the peer has stopped reading."""


class Sender:
    """Sends to one watcher with a deadline, and remembers the last position sent (its resume point)."""

    def __init__(self, websocket: WebSocket, timeout: float, position: int) -> None:
        self._websocket, self._timeout, self.position = websocket, timeout, position

    async def send(self, text: str, position: int | None = None) -> None:
        try:
            async with asyncio.timeout(self._timeout):
                await self._websocket.send_text(text)
        except TimeoutError:
            raise SendTimedOutError from None
        if position is not None:
            self.position = position

    async def send_within(self, text: str, position: int, seconds: float) -> bool:
        """True once sent; False if the socket would not take it within `seconds` (0: not at once).

        A send waits for room in the socket's buffer before it writes anything, so one that gave up
        wrote nothing and the same message can be sent again.
        """
        try:
            async with asyncio.timeout(seconds):
                await self._websocket.send_text(text)
        except TimeoutError:
            return False
        self.position = position
        return True


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
            blocked = False
            async with self._turn:
                ends = loop.time() + self._slice
                while done < len(page) and loop.time() < ends:
                    position, text = page[done]
                    if not await sender.send_within(text, position, 0.0):
                        blocked = True
                        break
                    done += 1
                # Still holding the turn: the next slice runs in the loop's next pass, after the
                # requests that are waiting now.
                await asyncio.sleep(0)
            if blocked:
                position, text = page[done]
                await sender.send(text, position)
                done += 1
