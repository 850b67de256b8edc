"""Fan-out: append-to-delivery latency and deliveries/s of the feed, against bare `websockets.broadcast`.

Both measured in one run, the servers and the watchers each in processes of their own:

- the feed: the real app (an SQLite file in a temporary folder), unchanged, appending `add_note`
  commands through its own `IncidentDesk` at a fixed rate (durable commits, as an HTTP command makes
  them: the log tail hears of each at once); `writer:` runs append from a process of their own
  instead (the tail finds those commits by its 50 ms poll, which is then in the latency), `http:` runs
  post them over HTTP, to measure the whole path; N watchers, each on its own WebSocket with `?after=`
  the head before the run (each resumes after a 4001 from its last position, as a real one does);
- the baseline: a bare `websockets` server process that calls `broadcast()` at the same rate, with
  messages of the same size and shape (a real feed message, its position changed), to the same pool,
  without compression (the floor: one write per connection per message, nothing else).

Each configuration runs `BENCH_FANOUT_ROUNDS` times, alternating baseline and feed, each time in a
fresh server process, so that the memory each watcher costs is the growth of the server's resident
set while the watchers connect (and take the warm-up message), divided by their number. The watchers
are split over pool processes of at most `BENCH_FANOUT_POOL` each, and are `RawWatcher`s: a client
that costs a few µs a message, so that the bench measures the servers, not its own watchers.

Latency is when a watcher got a message minus when the message existed: when the appender had the
append's answer (over HTTP it can be negative: the feed may beat the answer), or when the baseline's
`broadcast()` was due (a baseline loop too busy to call it on time has delayed the message).
CLOCK_MONOTONIC is one clock for every process on the machine. The watchers offer permessage-deflate,
as browsers and `incident watch` do (`BENCH_FANOUT_DEFLATE=0`: they do not); the feed accepts it.
`BENCH_FANOUT_PROFILE=folder` records each server with py-spy during each run.
Child processes import this module: the app's packages are imported inside the functions that need
them, so that a watcher pool starts in a fraction of a second.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from array import array
from collections.abc import AsyncIterator
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

# Runs as `watchers x events/s`, appended in the server process; `writer:` appends from a process of its
# own (the log tail finds its commits by a 50 ms poll), `http:` over HTTP. 100 × 200/s, 1,000 × 20/s and
# 5,000 × 4/s are the aim's loads (the same 20,000 deliveries/s over 10 and 50 times the connections),
# appended by a writer, so that the server's CPU goes to the fan-out; 100 × 50/s in the server shows the
# latency without the poll.
RUNS = os.environ.get(
    "BENCH_FANOUT_RUNS", "writer:100x200,writer:1000x20,writer:5000x4,100x50,http:100x50"
).split(",")
SECONDS = float(os.environ.get("BENCH_FANOUT_SECONDS", "5"))
DRAIN_SECONDS = float(os.environ.get("BENCH_FANOUT_DRAIN_SECONDS", "25"))
ROUNDS = int(os.environ.get("BENCH_FANOUT_ROUNDS", "2"))
POOL = int(os.environ.get("BENCH_FANOUT_POOL", "1000"))  # watchers per load-generating process
DEFLATE = os.environ.get("BENCH_FANOUT_DEFLATE", "1") != "0"
PER_TOKEN = 5  # watchers per token: within the feed's per-token limit, with room for resumes
FILES = 16384  # open files each server and pool may have
WARM = 200  # watchers connected and let go before the memory is measured
# A folder: each feed run's server is profiled by py-spy during the run (raw stacks, one file a run).
PROFILE = os.environ.get("BENCH_FANOUT_PROFILE", "")
INCIDENTS = 20  # the writer spreads its notes over these, so that commands rarely wait for each other
ROOT = Path(__file__).resolve().parents[1]
EVENT_PREFIX = b'{"kind": "event", "position": '

Reply = dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    """One configuration's figures, as the watcher pool reported them."""

    name: str
    watchers: int
    offered_rate: float
    achieved_rate: float
    report: Reply
    rss_per_watcher: float  # bytes

    @property
    def deliveries_per_second(self) -> float:
        return float(self.report["deliveries"]) / max(1e-9, float(self.report["window"]))


# -- the child processes, talking JSON lines over stdin and stdout ----------------------------------


class Child:
    """`python -m bench.fanout_bench <role> ...` in its own process: one JSON line asked, one answered."""

    def __init__(self, *args: str, tokens: str = "") -> None:
        # Tokens go in the environment, not the command line that `ps` shows everyone.
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.fanout_bench", *args],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), "BENCH_FANOUT_TOKENS": tokens},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(self, **command: Any) -> Reply:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return self.answer()

    def answer(self) -> Reply:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.process.args!r} exited with {self.process.wait()}")
        reply: Reply = json.loads(line)
        return reply

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _say(reply: Reply) -> None:
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()


async def _commands() -> AsyncIterator[Reply]:
    """The parent's commands, one per line of stdin, until it closes it."""
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        yield json.loads(line)


def _raise_file_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        ceiling = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))


# -- the watcher pool -------------------------------------------------------------------------------


@dataclass
class Watcher:
    """One connection's record: every position it got, when, and how often it had to come back."""

    last: int
    positions: array[int] = field(default_factory=lambda: array("q"))
    times: array[float] = field(default_factory=lambda: array("d"))
    out_of_order: int = 0
    resumed: int = 0
    dropped: int = 0
    opened: asyncio.Event = field(default_factory=asyncio.Event)

    def got(self, text: bytes, now: float) -> None:
        if not text.startswith(EVENT_PREFIX):
            return  # a heartbeat
        end = text.find(b",", len(EVENT_PREFIX))
        position = int(text[len(EVENT_PREFIX) : end])
        if position <= self.last:
            self.out_of_order += 1
            return
        self.last = position
        self.positions.append(position)
        self.times.append(now)


class RawWatcher(asyncio.Protocol):
    """A WebSocket client that does no more than a watcher needs to be counted: the load generator.

    websockets' own client costs 30-80 µs of CPU per message here, so that at 20,000 deliveries/s the
    watchers, not the servers, were what the bench measured. This one reads each frame's header,
    and of an event only its position: a message compressed on its own (no context takeover) is
    inflated only as far as the position; with context takeover, all of it, as the window needs.
    It answers pings, and reports the close code.
    """

    def __init__(self, watcher: Watcher, request: bytes) -> None:
        self._watcher, self._request = watcher, request
        self._buffer = bytearray()
        self._handshaken = False
        self._inflate: Any = None  # None: plain; a decompressor: the peer keeps its context
        self._deflated = False
        self.opened: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._code: int | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        transport.write(self._request)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if not self._handshaken and not self._handshake():
            return
        self._frames(time.monotonic())

    def connection_lost(self, _: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_result(False)
        if not self.closed.done():
            self.closed.set_result(self._code)

    def _handshake(self) -> bool:
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = bytes(self._buffer[:end]).lower()
        del self._buffer[: end + 4]
        if not head.startswith(b"http/1.1 101"):
            self._transport.close()
            return False
        self._handshaken = True
        if b"permessage-deflate" in head:
            self._deflated = True
            if b"server_no_context_takeover" not in head:
                self._inflate = zlib.decompressobj(-15)
        self.opened.set_result(True)
        return True

    def _frames(self, now: float) -> None:
        buffer, at = self._buffer, 0
        while len(buffer) - at >= 2:
            first, length, start = buffer[at], buffer[at + 1] & 0x7F, at + 2
            if length == 126:
                length, start = int.from_bytes(buffer[at + 2 : at + 4]), at + 4
            elif length == 127:
                length, start = int.from_bytes(buffer[at + 2 : at + 10]), at + 10
            if len(buffer) < start + length:
                break
            payload, at = bytes(buffer[start : start + length]), start + length
            opcode = first & 0x0F
            if opcode == 1:
                if first & 0x40:
                    payload = self._inflated(payload)
                self._watcher.got(payload, now)
            elif opcode == 8:
                self._code = int.from_bytes(payload[:2]) if len(payload) >= 2 else None
                self._transport.close()
            elif opcode == 9:
                self._transport.write(_masked(0x8A, payload))
        del buffer[:at]

    def _inflated(self, payload: bytes) -> bytes:
        if self._inflate is not None:
            return bytes(self._inflate.decompress(payload + b"\x00\x00\xff\xff"))
        return zlib.decompressobj(-15).decompress(payload, 64)


def _masked(first: int, payload: bytes) -> bytes:
    """A client's frame: the payload masked, as a client must."""
    mask = os.urandom(4)
    return bytes((first, 0x80 | len(payload))) + mask + bytes(b ^ mask[n % 4] for n, b in enumerate(payload))


def _upgrade(host: str, port: int, target: str, token: str) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET {target} HTTP/1.1",
        f"Host: {host}:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
    ]
    if DEFLATE:
        lines.append("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits")
    if token:
        lines.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _watch(url: str, token: str, watcher: Watcher, gate: asyncio.Semaphore) -> None:
    """One watcher's connection, opened again after a 4001 from its last position, as a real one is."""
    loop = asyncio.get_running_loop()
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    while True:
        request = _upgrade(host, port, f"{parts.path}?{parts.query}{watcher.last}", token)
        try:
            async with gate:
                _, client = await loop.create_connection(partial(RawWatcher, watcher, request), host, port)
                opened = await asyncio.wait_for(client.opened, 120)
            if opened:
                watcher.opened.set()
                if await client.closed == 4001:
                    watcher.resumed += 1
                    continue
            watcher.dropped += 1
        except (OSError, TimeoutError):
            watcher.dropped += 1
        await asyncio.sleep(0.2)


async def _pool(url: str, tokens: str, count: int, after: int, first: int) -> None:
    """N watchers on the feed at `url` (which ends in `after=`) from `after` on; answers `wait` and `report`.

    `tokens` is a comma-separated list; watcher n of all the pools (this one's first is `first`) uses
    token n // PER_TOKEN (a feed limits the feeds per token).
    """
    _raise_file_limit(count + 256)
    shared = tokens.split(",")
    watchers = [Watcher(after) for _ in range(count)]
    gate = asyncio.Semaphore(50)  # handshakes at once: a thousand at one go would only queue up anyway
    started = time.monotonic()
    tasks = [
        asyncio.create_task(_watch(url, shared[((first + n) // PER_TOKEN) % len(shared)], w, gate))
        for n, w in enumerate(watchers)
    ]
    await asyncio.gather(*(w.opened.wait() for w in watchers))
    _say({"connected": count, "seconds": time.monotonic() - started})
    async for command in _commands():
        if command["do"] == "wait":
            _say(await _wait_for(watchers, int(command["position"]), float(command["timeout"])))
        elif command["do"] == "report":
            _say(_report(watchers, {int(p): t for p, t in command["born"].items()}))
    for task in tasks:
        task.cancel()


async def _wait_for(watchers: list[Watcher], position: int, timeout: float) -> Reply:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        behind = sum(1 for w in watchers if w.last < position)
        if not behind:
            break
        await asyncio.sleep(0.05)
    return {"behind": sum(1 for w in watchers if w.last < position), "seconds": time.monotonic() - started}


def _report(watchers: list[Watcher], born: dict[int, float]) -> Reply:
    """Latency and deliveries of the positions in `born` (position → when it existed), over all watchers.

    A position a watcher skipped is lost; one after the last it got is undelivered (the drain timed out).
    """
    latencies: list[float] = []
    lost = undelivered = 0
    first_born, last_delivery = min(born.values()), 0.0
    for watcher in watchers:
        seen = 0
        for position, when in zip(watcher.positions, watcher.times, strict=True):
            made = born.get(position)
            if made is not None:
                seen += 1
                latencies.append(when - made)
                last_delivery = max(last_delivery, when)
        late = sum(1 for position in born if position > watcher.last)
        undelivered += late
        lost += len(born) - seen - late
    return {
        "latencies_us": [round(latency * 1e6) for latency in latencies],
        "lost": lost,
        "undelivered": undelivered,
        "first_born": first_born,
        "last_delivery": last_delivery,
        "resumed": sum(w.resumed for w in watchers),
        "dropped": sum(w.dropped for w in watchers),
        "out_of_order": sum(w.out_of_order for w in watchers),
    }


def _merge(reports: list[Reply]) -> Reply:
    """One report from the pools' reports: latency quantiles over every delivery of every pool."""
    latencies = sorted(us / 1e6 for r in reports for us in r["latencies_us"])
    counted = ("lost", "undelivered", "resumed", "dropped", "out_of_order")
    return {
        **{key: sum(int(r[key]) for r in reports) for key in counted},
        "deliveries": len(latencies),
        "window": max(r["last_delivery"] for r in reports) - min(r["first_born"] for r in reports),
        "p50": _quantile(latencies, 0.50),
        "p99": _quantile(latencies, 0.99),
        "max": latencies[-1] if latencies else float("nan"),
    }


def _quantile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


# -- the baseline: a bare websockets server ------------------------------------------------------


async def _bare(port: int) -> None:
    """Accepts watchers and, when asked, broadcasts numbered messages at a fixed rate to all of them."""
    from websockets.asyncio.server import ServerConnection, broadcast, serve

    _raise_file_limit(FILES)
    connections: set[ServerConnection] = set()

    async def handler(websocket: ServerConnection) -> None:
        connections.add(websocket)
        try:
            await websocket.wait_closed()
        finally:
            connections.discard(websocket)

    async with serve(handler, "127.0.0.1", port, backlog=2048, compression=None):
        _say({"listening": port})
        async for command in _commands():
            if command["do"] == "count":
                _say({"connections": len(connections)})
            elif command["do"] == "broadcast":
                sample: Reply = command["sample"]
                born: dict[int, float] = {}
                started = time.monotonic()
                first, total = int(command["first"]), int(command["count"])
                for n in range(total):
                    # A message exists when it is due: a loop too busy to send it on time delays it.
                    due = started + n / float(command["rate"])
                    await asyncio.sleep(max(0.0, due - time.monotonic()))
                    text = json.dumps({**sample, "position": first + n}, ensure_ascii=False)
                    born[first + n] = due
                    broadcast(connections, text)
                _say({"born": born, "seconds": time.monotonic() - started})


# -- the real app ---------------------------------------------------------------------------------


def _app(database_url: str, port: int, feeds: int) -> None:
    """The real app on `port`, serving up to `feeds` watchers; appends when asked, until stdin closes.

    Its appends go through the app's own `IncidentDesk`, as an HTTP command's do: the log tail hears
    of each commit at once (another process's commits it finds by polling every 50 ms).
    """
    from interfaces.feed.limits import FeedLimits
    from interfaces.http.app import create_app
    from interfaces.settings import Settings
    from tests.e2e.server import serving

    _raise_file_limit(FILES)
    app = create_app(Settings(database_url=database_url, feed=FeedLimits(per_process=feeds)))
    with serving(app, port):
        _say({"listening": port})
        for line in sys.stdin:
            _say(_append(app.state.services.desk, json.loads(line)))


def _writer(database_url: str) -> None:
    """Appends notes to the app's log through `IncidentDesk`, at the rate asked, from its own process."""
    from application.incident_desk import IncidentDesk
    from application.store.database_url import store_env

    desk = IncidentDesk(store_env(database_url))
    _say({"ready": True})
    for line in sys.stdin:
        _say(_append(desk, json.loads(line)))
    desk.close()


def _append(desk: Any, command: Reply) -> Reply:
    """`count` notes at `rate` a second over `incidents`; when each append was acknowledged."""
    from domain.incident import Incident
    from domain.values import Actor, Role

    actor = Actor(id="bench-writer", role=Role.OFFICE, unit="HQ", name="bench writer")
    incidents, rate = [uuid.UUID(i) for i in command["incidents"]], float(command["rate"])
    born: dict[int, float] = {}
    started = time.monotonic()
    for n in range(int(command["count"])):
        time.sleep(max(0.0, started + n / rate - time.monotonic()))
        incident = incidents[n % len(incidents)]
        result = desk.act(incident, Incident.add_note(text=_note(n)), actor=actor, occurred_at=None)
        born[result.position] = time.monotonic()
    return {"born": born, "seconds": time.monotonic() - started}


async def _post_at_rate(url: str, token: str, incidents: list[str], rate: float, total: int) -> Reply:
    """Posts `total` notes, one every 1/rate s whatever the answers' pace; when each was answered."""
    import httpx

    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:

        async def note(n: int) -> tuple[int, float]:
            path = f"/api/v1/incidents/{incidents[n % len(incidents)]}/commands/add_note"
            answer = await client.post(path, json={"text": _note(n)})
            answer.raise_for_status()
            return int(answer.json()["position"]), time.monotonic()

        started = time.monotonic()
        tasks = []
        for n in range(total):
            await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
            tasks.append(asyncio.create_task(note(n)))
        acked = await asyncio.gather(*tasks)
    return {"born": dict(acked), "seconds": time.monotonic() - started}


def _note(n: int) -> str:
    return f"巡查记录 patrol note {n}: 大堂秩序正常，客户情绪稳定 lobby calm, customers settled"


# -- the two sides, as the run sees them ----------------------------------------------------------


class Side(Protocol):
    """A server that watchers connect to and that makes numbered messages at a rate."""

    @property
    def name(self) -> str: ...
    @property
    def pool_url(self) -> str: ...  # ends in `after=`
    @property
    def watcher_tokens(self) -> str: ...  # comma-separated
    def start(self) -> int: ...  # a fresh server process; its pid
    def stop(self) -> None: ...
    def head(self) -> int: ...
    def ready(self, watchers: int) -> None: ...
    def append(self, count: int, rate: float) -> Reply: ...


# How the feed's events are appended: in the server process, by a writer process, or over HTTP.
APPENDED_BY = {"": "feed", "writer": "feed, appended by a writer process", "http": "feed, appended over HTTP"}


@dataclass
class Feed:
    """The real app's process, its token, the incidents the notes go to, and who appends them."""

    database_url: str
    feeds: int
    token: str
    writer: Child | None  # appends in a process of its own, if `by` is "writer"
    watcher_tokens: str
    incidents: list[str] = field(default_factory=list)
    by: str = ""
    port: int = 0
    child: Child | None = None

    @property
    def name(self) -> str:
        return APPENDED_BY[self.by]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pool_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/api/v1/feed?after="

    def start(self) -> int:
        from tests.e2e.server import free_port

        self.port = free_port()
        self.child = Child("app", self.database_url, str(self.port), str(self.feeds))
        self.child.answer()
        return self.child.process.pid

    def stop(self) -> None:
        if self.child is not None:
            self.child.close()
            self.child = None

    def head(self) -> int:
        import httpx

        return int(httpx.get(f"{self.url}/readyz").json()["position"])

    def ready(self, watchers: int) -> None:
        pass  # a feed watcher replays what it missed: the warm-up message reaches all of them anyway

    def append(self, count: int, rate: float) -> Reply:
        if self.by == "http":
            return asyncio.run(_post_at_rate(self.url, self.token, self.incidents, rate, count))
        appender = self.writer if self.by == "writer" else self.child
        assert appender is not None
        return appender.ask(incidents=self.incidents, rate=rate, count=count)

    def sample(self, after: int) -> Reply:
        """The first feed message after `after`, to give the baseline's messages the same shape and size."""
        from websockets.sync.client import connect

        url = self.pool_url.replace("?after=", f"?after={after}")
        with connect(url, additional_headers={"Authorization": f"Bearer {self.token}"}) as websocket:
            while True:
                message: Reply = json.loads(websocket.recv(timeout=10))
                if message["kind"] == "event":
                    return message


@dataclass
class Bare:
    """The baseline server's process and the feed message its broadcasts copy."""

    sample: Reply
    name: str = "bare websockets.broadcast"
    watcher_tokens: str = ""
    position: int = 0
    port: int = 0
    child: Child | None = None

    @property
    def pool_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/?after="

    def start(self) -> int:
        from tests.e2e.server import free_port

        self.port = free_port()
        self.child = Child("bare", str(self.port))
        self.child.answer()
        return self.child.process.pid

    def stop(self) -> None:
        if self.child is not None:
            self.child.close()
            self.child = None

    def head(self) -> int:
        return self.position

    def ready(self, watchers: int) -> None:
        """Waits until the server has every watcher: it keeps nothing for one that comes late."""
        assert self.child is not None
        deadline = time.monotonic() + 120
        while self.child.ask(do="count")["connections"] < watchers and time.monotonic() < deadline:
            time.sleep(0.05)

    def append(self, count: int, rate: float) -> Reply:
        assert self.child is not None
        reply = self.child.ask(
            do="broadcast", sample=self.sample, first=self.position + 1, count=count, rate=rate
        )
        self.position += count
        return reply


# -- the run --------------------------------------------------------------------------------------


def _rss(pid: int) -> int:
    """The resident set of process `pid`, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def _cpu(pid: int) -> float:
    """CPU seconds (user and system) process `pid` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _ask_all(pools: list[Child], **command: Any) -> list[Reply]:
    """The same command to every pool at once; their answers."""
    for pool in pools:
        assert pool.process.stdin is not None
        pool.process.stdin.write(json.dumps(command) + "\n")
        pool.process.stdin.flush()
    return [pool.answer() for pool in pools]


def _profile(pid: int, name: str, seconds: float) -> subprocess.Popen[bytes]:
    """py-spy sampling process `pid` for `seconds`, into PROFILE/name.txt (raw, for flame graphs)."""
    spy = Path(sys.executable).with_name("py-spy")
    output = Path(PROFILE) / f"{name.replace(' ', '-')}.txt"
    command = [str(spy), "record", "--pid", str(pid), "--duration", str(int(seconds)), "--format", "raw"]
    return subprocess.Popen(
        [*command, "--output", str(output), "--nonblocking"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _measure(side: Side, watchers: int, rate: float, seconds: float) -> Outcome:
    """A fresh server; N watchers from the head on; a warm-up message all of them got (the server's
    growth meanwhile is their memory); then the run, drained and counted."""
    pid = side.start()
    pools: list[Child] = []
    try:
        head = side.head()
        # Some watchers first, to be let go again: what the first handshakes cost once (threads and
        # their store connections) is not what each watcher costs.
        warm = Child(
            "pool", side.pool_url, str(min(WARM, watchers)), str(head), "0", tokens=side.watcher_tokens
        )
        warm.answer()
        warm.close()
        before = _rss(pid)
        for first in range(0, watchers, POOL):
            count = min(POOL, watchers - first)
            pools.append(
                Child("pool", side.pool_url, str(count), str(head), str(first), tokens=side.watcher_tokens)
            )
        connected = [pool.answer() for pool in pools]
        side.ready(watchers)
        warm_up = max(int(p) for p in side.append(1, rate)["born"])
        if any(r["behind"] for r in _ask_all(pools, do="wait", position=warm_up, timeout=60)):
            raise RuntimeError(f"{side.name}: some of {watchers} watchers never got the warm-up message")
        grown = _rss(pid) - before
        spy = _profile(pid, f"{side.name.split(',')[0]}-{watchers}x{rate:g}", seconds) if PROFILE else None
        cpu = _cpu(pid), sum(_cpu(pool.process.pid) for pool in pools)
        ran = side.append(int(rate * seconds), rate)
        if spy is not None:
            spy.wait()
        born: dict[str, float] = {str(p): t for p, t in ran["born"].items()}
        drained = _ask_all(pools, do="wait", position=max(int(p) for p in born), timeout=DRAIN_SECONDS)
        used = _cpu(pid) - cpu[0], sum(_cpu(pool.process.pid) for pool in pools) - cpu[1]
        report = _merge(_ask_all(pools, do="report", born=born))
        report |= {"server_cpu": used[0], "pool_cpu": used[1]}
    finally:
        for pool in pools:
            pool.close()
        side.stop()
    report |= {
        "connect_seconds": max(c["seconds"] for c in connected),
        "drain": max(d["seconds"] for d in drained),
    }
    return Outcome(side.name, watchers, rate, len(born) / float(ran["seconds"]), report, grown / watchers)


def main() -> None:
    from domain.values import Role
    from interfaces.settings import Settings
    from tests.e2e.server import issue_token

    loads: list[tuple[str, int, float]] = []
    for run in RUNS:
        by, _, load = run.rpartition(":")
        count, per_second = load.split("x")
        loads.append((by, int(count), float(per_second)))
    most = max(watchers for _, watchers, _ in loads)
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory() as folder, ExitStack() as processes:
        settings = Settings(database_url=f"sqlite:///{folder}/fanout.db")
        token = issue_token(settings, Role.OFFICE, "HQ", "bench writer")
        boards = ",".join(
            issue_token(settings, Role.OFFICE, "HQ", f"board {n}") for n in range(-(-most // PER_TOKEN))
        )
        feeds = most + 100
        feed = Feed(settings.database_url, feeds, token, None, boards)
        feed.start()  # the app creates the tables before the writer opens the same file
        try:
            writer = processes.enter_context(closing(Child("writer", settings.database_url)))
            writer.answer()
            feed.incidents = _report_incidents(feed.url, token)
            bare = Bare(feed.sample(feed.head() - 1))
        finally:
            feed.stop()
        for by, watchers, rate in loads:
            side = Feed(settings.database_url, feeds, token, writer, boards, feed.incidents, by)
            for _ in range(ROUNDS):
                outcomes.append(_measure(bare, watchers, rate, SECONDS))
                outcomes.append(_measure(side, watchers, rate, SECONDS))
    print(_table(outcomes, len(json.dumps(bare.sample, ensure_ascii=False).encode())))


def _report_incidents(url: str, token: str) -> list[str]:
    import httpx

    headers = {"Authorization": f"Bearer {token}"}
    outlets = ["BJ-HD-01", "BJ-HD-02", "SH-PD-01", "GD-TH-03", "SC-JJ-01"]
    incidents = []
    for n in range(INCIDENTS):
        body = {
            "outlet": outlets[n % len(outlets)],
            "kind": "fire",
            "level": "orange",
            "summary": "营业厅冒烟",
        }
        answer = httpx.post(f"{url}/api/v1/emergencies", json=body, headers=headers)
        answer.raise_for_status()
        incidents.append(str(answer.json()["incident_id"]))
    # One note, so that a real note message is there to copy for the baseline.
    note = httpx.post(
        f"{url}/api/v1/incidents/{incidents[0]}/commands/add_note", json={"text": _note(0)}, headers=headers
    )
    note.raise_for_status()
    return incidents


def _table(outcomes: list[Outcome], size: int) -> str:
    compression = "offer" if DEFLATE else "do not offer"
    lines = [
        f"\n### Fan-out of {size:,}-byte messages to N watchers, {SECONDS:g} s per run, {ROUNDS} rounds\n",
        "Latency: from the append's answer (feed) or when the `broadcast()` was due (baseline) to the watcher's",
        "receipt. Deliveries/s: over the time from the first message to the last delivery. Lost: skipped",
        f"by a watcher; late: not there {DRAIN_SECONDS:g} s after the run. Memory: the server's RSS growth",
        "per watcher while they connected. µs/delivery: CPU time (user and system) of the server, and of",
        "the watcher processes, from the first message to the drain, per delivery. Watchers",
        f"{compression} per-message deflate; the baseline does not compress. Each feed row is against",
        "the baseline row just before it.\n",
        "| what | watchers | events/s | p50 ms | p99 ms | max ms | deliveries/s | lost | late | 4001 "
        "| KB/watcher | server µs/delivery | watchers' µs/delivery | p99 × baseline | deliveries × baseline |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    ratios: dict[tuple[str, int, float], list[float]] = {}
    base = outcomes[0]
    for o in outcomes:
        r = o.report
        if o.name.startswith("bare"):
            base = o
        p99_ratio = r["p99"] / base.report["p99"]
        if o is not base:
            ratios.setdefault((o.name, o.watchers, o.offered_rate), []).append(p99_ratio)
        lines.append(
            f"| {o.name} | {o.watchers:,} | {o.achieved_rate:,.0f} | {r['p50'] * 1000:,.1f} "
            f"| {r['p99'] * 1000:,.1f} | {r['max'] * 1000:,.0f} | {o.deliveries_per_second:,.0f} "
            f"| {r['lost']:,} | {r['undelivered']:,} | {r['resumed']:,} | {o.rss_per_watcher / 1024:,.1f} "
            f"| {r['server_cpu'] / r['deliveries'] * 1e6:,.1f} | {r['pool_cpu'] / r['deliveries'] * 1e6:,.1f} "
            f"| {p99_ratio:.2f} | {o.deliveries_per_second / base.deliveries_per_second:.2f} |"
        )
    lines.append("\n| what | watchers | events/s | p99 × baseline, over the rounds |\n|---|---:|---:|---|")
    for (name, watchers, rate), values in ratios.items():
        spread = f"{min(values):.2f} – {max(values):.2f}" if len(values) > 1 else f"{values[0]:.2f}"
        lines.append(f"| {name} | {watchers:,} | {rate:g} | {spread} |")
    dropped = sum(int(o.report["dropped"]) for o in outcomes)
    repeated = sum(int(o.report["out_of_order"]) for o in outcomes)
    lines.append(f"\nOther closes (not 4001): {dropped:,}. Messages repeated or out of order: {repeated:,}.")
    return "\n".join(lines)


def _child(role: str, *args: str) -> None:
    if role == "pool":
        url, count, after, first = args
        asyncio.run(_pool(url, os.environ["BENCH_FANOUT_TOKENS"], int(count), int(after), int(first)))
    elif role == "bare":
        asyncio.run(_bare(int(args[0])))
    elif role == "app":
        _app(args[0], int(args[1]), int(args[2]))
    elif role == "writer":
        _writer(args[0])


if __name__ == "__main__":
    _child(*sys.argv[1:])
