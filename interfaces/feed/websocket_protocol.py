"""uvicorn's WebSocket protocol, made for the feed: frames written without an ASGI send each, compression
paid once per message, and a peer that stops reading cannot keep its connection open.

- Frames. The feed writes whole frames to the socket itself, through the connection's `FrameLink`
  (the ASGI scope extension `FRAMES`): a live event is framed once (`TextFrame`) and the same bytes
  go to every watcher, with no Starlette or ASGI send per message per watcher.
- Compression. Per-message deflate is negotiated without context takeover either way, so a message is
  compressed on its own: once for every watcher, and no connection keeps a compressor (about 40 KB)
  or a decompressor. Messages under `COMPRESS_FROM` bytes (heartbeats) go uncompressed.
- Stalled peers. uvicorn waits, with no deadline, for the peer to read: a close frame waits behind a
  full buffer, and closing the transport waits for the buffer to drain. So a watcher that stopped
  reading (or whose network died without a reset) kept its socket and its kernel buffers for good,
  and held up the server's shutdown. Here a close is queued behind what is buffered even while the
  peer is not reading, and the connection is reset if it is still open `CLOSE_GRACE` seconds after
  the app closed it, returned, or the server began to shut down. A peer that reads again within the
  grace receives everything sent, then the close code that says why (4001: resume from your last
  position).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.extensions.permessage_deflate import PerMessageDeflate, ServerPerMessageDeflateFactory
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.server import ServerProtocol

# Time for a closing handshake: the peer reads what is buffered and answers the close frame.
CLOSE_GRACE = 5.0
# The scope extension under which the app finds the connection's FrameLink.
FRAMES = "incident.frames"
# The compression every connection that offers it gets (uvicorn's own window and memory settings).
WINDOW_BITS = 12
COMPRESS_SETTINGS = {"memLevel": 5}
# Below this, a message is sent as it is: a heartbeat would not shrink.
COMPRESS_FROM = 128


class TextFrame:
    """One text message framed once for every connection: as it is, and compressed (when first asked)."""

    __slots__ = ("_deflated", "_plain", "data")

    def __init__(self, text: str) -> None:
        self.data = text.encode()
        self._plain: bytes | None = None
        self._deflated: bytes | None = None

    @property
    def plain(self) -> bytes:
        if self._plain is None:
            self._plain = Frame(Opcode.TEXT, self.data).serialize(mask=False)
        return self._plain

    @property
    def deflated(self) -> bytes:
        if self._deflated is None:
            deflate = PerMessageDeflate(True, True, WINDOW_BITS, WINDOW_BITS, COMPRESS_SETTINGS)
            self._deflated = Frame(Opcode.TEXT, self.data).serialize(mask=False, extensions=[deflate])
        return self._deflated


class FrameLink:
    """One connection's socket as the feed writes to it: whole frames, in order, between uvicorn's own.

    Written only on the event loop, like everything else the protocol writes, so a frame never lands
    inside another. `on_writable` is called when a full write buffer has drained.
    """

    def __init__(self, protocol: StalledPeerProtocol) -> None:
        self._protocol = protocol
        self._writable: asyncio.Event | None = None  # made when someone first waits for room
        self._paused = False
        self._shared: bool | None = None  # found once the handshake is done
        self.on_writable: Callable[[], None] | None = None
        # The app reads nothing once it says so: messages from the peer are dropped as they come,
        # so reading never pauses (pongs and the close still arrive), and `lost` says it went.
        self.deaf = False
        self.lost: asyncio.Future[None] = protocol.loop.create_future()

    @property
    def open(self) -> bool:
        protocol = self._protocol
        return (
            protocol.conn.state is State.OPEN
            and not protocol.close_sent
            and not protocol.disconnected
            and not protocol.transport.is_closing()
        )

    @property
    def writable(self) -> bool:
        """Open, and the socket's buffer below its high-water mark."""
        return not self._paused and self.open

    async def until_writable(self) -> None:
        """Returns when the buffer has room, or the connection is gone (then `open` is False)."""
        if self._writable is None:
            self._writable = asyncio.Event()
        if self._paused and not self._protocol.disconnected:
            self._writable.clear()
        else:
            self._writable.set()
        await self._writable.wait()

    def frame(self, message: TextFrame) -> bytes:
        """The bytes of `message` as this connection takes them."""
        if self._shared is None:
            self._shared = self._compression()
        if self._shared is False or len(message.data) < COMPRESS_FROM:
            return message.plain
        if self._shared:
            return message.deflated
        return self._own(message)

    def write(self, data: bytes) -> None:
        self._protocol.transport.write(data)

    def _compression(self) -> bool | None:
        """False: none negotiated; True: the shared one; None: a window of the client's choosing."""
        for extension in self._protocol.conn.extensions:
            if isinstance(extension, PerMessageDeflate):
                shared = (
                    extension.local_max_window_bits == WINDOW_BITS and extension.local_no_context_takeover
                )
                return True if shared else None
        return False

    def _own(self, message: TextFrame) -> bytes:
        # A client that asked for a smaller window gets its frames compressed for it alone.
        conn = self._protocol.conn
        conn.send_text(message.data)
        return b"".join(conn.data_to_send())

    def _pause(self) -> None:
        self._paused = True

    def _resume(self) -> None:
        self._paused = False
        if self._writable is not None:
            self._writable.set()
        if self.on_writable is not None:
            self.on_writable()

    def _lost(self) -> None:
        if self._writable is not None:
            self._writable.set()  # wakes whoever waits for room: `open` tells them it is gone
        if not self.lost.done():
            self.lost.set_result(None)


class StalledPeerProtocol(WebSocketsSansIOProtocol):
    """The WebSocket protocol `incident serve` runs (interfaces/serving.py)."""

    _abort_timer: asyncio.TimerHandle | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.config.ws_per_message_deflate:
            factory = ServerPerMessageDeflateFactory(
                server_no_context_takeover=True,
                client_no_context_takeover=True,
                server_max_window_bits=WINDOW_BITS,
                client_max_window_bits=WINDOW_BITS,
                compress_settings=COMPRESS_SETTINGS,
            )
            self.conn = ServerProtocol(
                extensions=[factory],
                max_size=self.config.ws_max_size,
                logger=logging.getLogger("uvicorn.error"),
            )
        self.link = FrameLink(self)

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None:
            scope["extensions"][FRAMES] = self.link

    def send_receive_event_to_app(self) -> None:
        if self.link.deaf:
            self.frames = []
            return
        super().send_receive_event_to_app()

    def pause_writing(self) -> None:
        super().pause_writing()
        self.link._pause()

    def resume_writing(self) -> None:
        super().resume_writing()
        self.link._resume()

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
        self.link._lost()

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
