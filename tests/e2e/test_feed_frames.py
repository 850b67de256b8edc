"""The feed's frames on the wire: compressed once for every watcher, as each watcher negotiated it."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import socket
import struct
import zlib
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

from domain.values import Role
from interfaces.settings import Settings
from tests.e2e.server import issue_token

# Compressible, and repeating itself further back than a 10-bit window (1 KB) reaches.
_BLOCK = "".join(hashlib.sha256(str(n).encode()).hexdigest() for n in range(15))
NOTE = f"{_BLOCK} 大堂秩序正常，客户情绪稳定，巡查记录 lobby calm, customers settled {_BLOCK}"
FIRE = {"outlet": "BJ-HD-01", "kind": "fire", "level": "orange", "summary": "营业厅冒烟 smoke"}


def _post(server: str, token: str, path: str, body: dict[str, Any]) -> int:
    answer = httpx.post(f"{server}{path}", json=body, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code in (200, 201), answer.text
    return int(answer.json()["position"])


def _incident_with_notes(server: str, token: str, notes: int) -> tuple[int, int]:
    """Reports an incident and adds long notes to it; the positions before and after."""
    reported = httpx.post(
        f"{server}/api/v1/emergencies", json=FIRE, headers={"Authorization": f"Bearer {token}"}
    ).json()
    last = reported["position"]
    for n in range(notes):
        path = f"/api/v1/incidents/{reported['incident_id']}/commands/add_note"
        last = _post(server, token, path, {"text": f"{n}: {NOTE}"})
    return reported["position"] - 1, last


def test_watchers_get_the_same_messages_whatever_compression_they_negotiated(
    server: str, settings: Settings
) -> None:
    office = issue_token(settings, Role.OFFICE, "HQ")
    small_window = [ClientPerMessageDeflateFactory(server_max_window_bits=10, client_max_window_bits=10)]
    ways: dict[str, dict[str, Any]] = {
        "deflate": {},
        "none": {"compression": None},
        "small window": {"extensions": small_window, "compression": None},
    }
    start = httpx.get(f"{server}/readyz").json()["position"]

    async def watch(options: dict[str, Any], ready: asyncio.Event, until: asyncio.Future[int]) -> Any:
        url = server.replace("http://", "ws://") + f"/api/v1/feed?after={start}"
        events: list[dict[str, Any]] = []
        async with websockets.connect(
            url, additional_headers={"Authorization": f"Bearer {office}"}, **options
        ) as ws:
            assert ws.response is not None
            negotiated = ws.response.headers.get("Sec-WebSocket-Extensions", "")
            assert json.loads(await ws.recv())["kind"] == "heartbeat"  # live from here
            ready.set()
            while not until.done() or not events or events[-1]["position"] < until.result():
                message = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if message["kind"] == "event":
                    events.append(message)
        return negotiated, events

    async def scenario() -> dict[str, Any]:
        ready = {name: asyncio.Event() for name in ways}
        until: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        watching = {
            name: asyncio.ensure_future(watch(options, ready[name], until)) for name, options in ways.items()
        }
        for event in ready.values():
            await event.wait()
        until.set_result((await asyncio.to_thread(_incident_with_notes, server, office, 6))[1])
        return {name: await task for name, task in watching.items()}

    got = asyncio.run(scenario())
    assert "server_no_context_takeover" in got["deflate"][0]
    assert "client_no_context_takeover" in got["deflate"][0]
    assert got["none"][0] == ""
    assert "server_max_window_bits=10" in got["small window"][0]
    events = got["deflate"][1]
    assert len(events) == 7
    assert [e["data"]["text"] for e in events[1:]] == [f"{n}: {NOTE}" for n in range(6)]
    assert got["none"][1] == events
    assert got["small window"][1] == events


def _raw_feed(server: str, token: str, after: int, offer: str = "client_max_window_bits") -> socket.socket:
    """A WebSocket handshake by hand, offering per-message deflate (as browsers do, by default)."""
    parts = urlsplit(server)
    sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET /api/v1/feed?after={after} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Sec-WebSocket-Extensions: permessage-deflate; {offer}\r\n"
        f"Authorization: Bearer {token}\r\n\r\n"
    )
    sock.sendall(request.encode())
    response = b""
    while b"\r\n\r\n" not in response:
        response += sock.recv(1)
    assert response.startswith(b"HTTP/1.1 101"), response
    return sock


def _frame(sock: socket.socket) -> tuple[bool, bytes]:
    """One frame from the server: whether it is compressed (RSV1), and its payload as sent."""

    def exactly(n: int) -> bytes:
        data = b""
        while len(data) < n:
            data += sock.recv(n - len(data))
        return data

    first, second = exactly(2)
    length = second & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", exactly(2))
    elif length == 127:
        (length,) = struct.unpack("!Q", exactly(8))
    return bool(first & 0x40), exactly(length)


HEARTBEAT = b'{"kind": "heartbeat"'


def _frames(sock: socket.socket, events: int) -> tuple[list[tuple[bool, bytes]], list[tuple[bool, bytes]]]:
    """Frames until `events` events came: the events, and the heartbeats among and after them.

    Where the feed's heartbeat falls among the events depends on how far the server had read the
    log when the watcher connected (an event not yet read comes live, after the replay's heartbeat).
    """
    found: list[tuple[bool, bytes]] = []
    heartbeats: list[tuple[bool, bytes]] = []
    while len(found) < events or not heartbeats:
        frame = _frame(sock)
        (heartbeats if frame[1].startswith(HEARTBEAT) else found).append(frame)
    return found, heartbeats


def test_events_go_compressed_on_their_own_and_heartbeats_as_they_are(
    server: str, settings: Settings
) -> None:
    office = issue_token(settings, Role.OFFICE, "HQ")
    after, last = _incident_with_notes(server, office, 1)
    with _raw_feed(server, office, after) as sock:
        frames, heartbeats = _frames(sock, 2)  # the two events, and a heartbeat
    texts = []
    for compressed, payload in frames:
        assert compressed
        # Each message decompresses alone, with no window from earlier ones: one fresh inflater each.
        texts.append(zlib.decompressobj(-15).decompress(payload + b"\x00\x00\xff\xff").decode())
    assert [json.loads(text)["position"] for text in texts] == [after + 1, last]
    assert len(frames[1][1]) < len(texts[1].encode()) * 0.6, "the note is compressed"
    compressed, payload = heartbeats[0]
    assert not compressed
    assert json.loads(payload)["kind"] == "heartbeat"


def _inflate_within(window_bits: int, payload: bytes) -> str:
    """Decompresses as a client with only a `window_bits` window does: a little output at a time."""
    inflater, text, data = zlib.decompressobj(-window_bits), b"", payload + b"\x00\x00\xff\xff"
    while data:
        text += inflater.decompress(data, 256)
        data = inflater.unconsumed_tail
    return text.decode()


def test_a_watcher_that_asked_for_a_small_window_gets_frames_it_can_inflate(
    server: str, settings: Settings
) -> None:
    office = issue_token(settings, Role.OFFICE, "HQ")
    after, _ = _incident_with_notes(server, office, 1)
    with _raw_feed(server, office, after, "server_max_window_bits=10") as sock:
        (_, (compressed, note)), _ = _frames(sock, 2)  # the report, then the note
    assert compressed
    assert json.loads(_inflate_within(10, note))["data"]["text"] == f"0: {NOTE}"
    # The same frame compressed for everyone else (12 bits) reaches back further than 10 bits allow.
    with _raw_feed(server, office, after) as sock:
        shared = _frames(sock, 2)[0][1][1]
    assert json.loads(_inflate_within(12, shared))["data"]["text"] == f"0: {NOTE}"
    with pytest.raises(zlib.error):
        _inflate_within(10, shared)


async def _close_code(ws: Any) -> int | None:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), 10)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


def test_what_a_watcher_sends_is_ignored_and_too_much_of_it_closes_the_feed(
    server: str, settings: Settings
) -> None:
    office = issue_token(settings, Role.OFFICE, "HQ")
    url = server.replace("http://", "ws://") + "/api/v1/feed"

    async def scenario() -> tuple[dict[str, Any], int | None, int | None]:
        headers = {"Authorization": f"Bearer {office}"}
        async with websockets.connect(url, additional_headers=headers, close_timeout=5) as chatty:
            assert json.loads(await chatty.recv())["kind"] == "heartbeat"
            for n in range(50):  # read by no one: they must not stop the server reading pongs and closes
                await chatty.send(f"hello {n}")
            position = await asyncio.to_thread(_post, server, office, "/api/v1/emergencies", FIRE)
            while (message := json.loads(await asyncio.wait_for(chatty.recv(), 10)))["kind"] != "event":
                pass
            assert message["position"] == position
        async with websockets.connect(url, additional_headers=headers, max_size=None) as greedy:
            await greedy.send("x" * (64 * 1024 + 1))
            code = await _close_code(greedy)
        return message, chatty.close_code, code

    message, chatty_closed, code = asyncio.run(scenario())
    assert message["event"] == "Reported"
    assert chatty_closed == 1000, "the server read the watcher's close and answered it"
    assert code == 1009
