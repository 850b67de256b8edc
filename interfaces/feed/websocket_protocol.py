"""uvicorn's WebSocket protocol, except that a peer that stops reading cannot keep its connection open.

uvicorn waits, with no deadline, for the peer to read: a close frame waits behind a full buffer, and
closing the transport waits for the buffer to drain. So a watcher that stopped reading (or whose
network died without a reset) kept its socket and its kernel buffers for good, and held up the
server's shutdown. Here a close is queued behind what is buffered even while the peer is not
reading, and the connection is reset if it is still open `CLOSE_GRACE` seconds after the app
closed it, returned, or the server began to shut down. A peer that reads again within the grace
receives everything sent, then the close code that says why (4001: resume from your last position).
"""

from __future__ import annotations

import asyncio
import socket
import struct
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

# Time for a closing handshake: the peer reads what is buffered and answers the close frame.
CLOSE_GRACE = 5.0


class StalledPeerProtocol(WebSocketsSansIOProtocol):
    """The WebSocket protocol `incident serve` runs (interfaces/serving.py)."""

    _abort_timer: asyncio.TimerHandle | None = None

    async def send(self, message: Any) -> None:
        if message["type"] == "websocket.close" and self.handshake_complete and not self.close_sent:
            self.writable.set()  # the close goes behind the buffered data, whether the peer reads or not
        await super().send(message)
        if self.close_sent:
            self._abort_later()

    async def run_asgi(self) -> None:
        await super().run_asgi()
        self._abort_later()

    def shutdown(self) -> None:
        super().shutdown()
        self._abort_later()

    def keepalive_timeout(self) -> None:
        super().keepalive_timeout()
        self._abort_later()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._abort_timer is not None:
            self._abort_timer.cancel()
        super().connection_lost(exc)

    def _abort_later(self) -> None:
        if self._abort_timer is None and self.transport is not None and not self.disconnected:
            self._abort_timer = self.loop.call_later(CLOSE_GRACE, self._reset)

    def _reset(self) -> None:
        # A plain close would leave the kernel trying to deliver the unread data for minutes (an
        # orphaned socket in FIN-WAIT, its buffers held): linger 0 sends a reset and frees them now.
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()
