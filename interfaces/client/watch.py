"""`incident watch`: the live feed as a table updated in place, resumed from its last position on any drop."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, NoReturn
from urllib.parse import urlencode, urlsplit

import typer
from rich import box
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from application.backoff import Backoff
from domain.incident_type import IncidentType
from domain.values import Level
from interfaces.client import output
from interfaces.client.api import API, ApiClient, ClientError, ServerUnreachableError
from interfaces.client.exit_codes import ExitCode
from interfaces.client.settings import ClientSettings, MissingTokenError
from interfaces.feed.close_codes import (
    FORBIDDEN,
    INVALID,
    RESUME,
    SERVER_FULL,
    TOO_MANY_FOR_TOKEN,
    UNAUTHORISED,
)

# The feed's close codes (interfaces/feed/close_codes.py): 4001 asks to resume, 4503 to come back
# later; the others refuse the watcher itself, as the HTTP status of the same refusal would.
REFUSALS = {UNAUTHORISED: 401, FORBIDDEN: 403, INVALID: 422, TOO_MANY_FOR_TOKEN: 429}
# A server at its feed limit is asked again after this long, not at the backoff's pace.
SERVER_FULL_RETRY_SECONDS = 30.0
# A heartbeat comes every few seconds; pings find a dead link (a half-open TCP connection) sooner.
PING_SECONDS = 10.0
OPEN_TIMEOUT = 10.0
# `--once` is for scripts: it gives up when the server has been unreachable this long.
ONCE_GIVES_UP_AFTER = 10.0
LEVEL_STYLES = {
    Level.BLUE: "bold blue",
    Level.YELLOW: "bold yellow",
    Level.ORANGE: "bold dark_orange",
    Level.RED: "bold white on red",
}
CLOSING_EVENTS = frozenset({"Closed"})

Message = dict[str, Any]


class Connection(Enum):
    """Where the watcher stands with the server, as the status line says it."""

    CONNECTING = "连接中", "connecting", "yellow"
    CONNECTED = "已连接", "connected", "green"
    RECONNECTING = "重新连接中", "reconnecting", "yellow"
    OFFLINE = "离线", "offline", "red"

    def __init__(self, zh: str, en: str, colour: str) -> None:
        self.zh, self.en, self.colour = zh, en, colour


class FeedRefusedError(Exception):
    """The server refused this watcher (its token, its scope or its filter): retrying cannot help."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


class FeedUnreachableError(Exception):
    """`--once` gave up: the server stayed unreachable."""


@dataclass(frozen=True)
class FeedQuery:
    """What the watcher asks the feed for, besides the position to resume from."""

    unit: str | None = None
    incident_type: IncidentType | None = None
    min_level: Level | None = None

    def url(self, base_url: str, after: int) -> str:
        parts = urlsplit(base_url)
        scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
        params = {"after": after, "unit": self.unit}
        params["type"] = self.incident_type.value if self.incident_type else None
        params["min_level"] = self.min_level.value if self.min_level else None
        query = urlencode({k: v for k, v in params.items() if v is not None})
        return f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}{API}/feed?{query}"


@dataclass
class Row:
    """One open incident as its latest event left it."""

    incident_id: str
    incident_type: str
    unit: str
    level: Level
    exercise: bool
    event: str
    version: int
    actor: str
    occurred_at: str
    position: int
    kind: str = ""
    summary: str = ""


@dataclass
class WatchState:
    """What the watcher knows: the open incidents, how far it has read, and its connection."""

    position: int = 0
    head: int | None = None
    received: int = 0
    connection: Connection = Connection.CONNECTING
    retry_in: float | None = None
    reconnections: int = 0
    rows: dict[str, Row] = field(default_factory=dict)
    # The head of a heartbeat not yet followed by an event on this connection (see `caught_up`).
    _idle_head: int | None = None
    _started_at: int = 0
    # `--once`: the log's head when the watch began; nothing short of it counts as caught up, even
    # if the server's feed has not read that far yet (its heartbeats carry what it has read).
    wanted: int = 0

    def take(self, message: Message) -> bool:
        """Learns from one message; True when it was an event not seen before."""
        if message.get("kind") == "heartbeat":
            self.head = int(message["head"])
            return False
        position = int(message.get("position", 0))
        if message.get("kind") != "event" or position <= self.position:
            return False  # never counted twice, whatever a resumed connection sends
        self.position = position
        self.received += 1
        self._idle_head = None
        self._apply(message)
        return True

    def caught_up(self, heartbeat: Message) -> bool:
        """True once everything up to a head has arrived.

        A heartbeat's head is the last position the server's feed has offered to its watchers. Right
        after the replay it can be ahead of what was sent; later, the feed beats only after a quiet
        spell with nothing for this watcher, so a second heartbeat with no event between proves the
        first one's head was reached, even when the last events of the log are outside the filter.
        A head behind where this connection started is a server still reading its log after a
        restart: it proves nothing.
        """
        head = int(heartbeat["head"])
        if head < max(self._started_at, self.wanted):
            self._idle_head = None
            return False
        reached = head <= self.position or self._idle_head is not None
        self._idle_head = head
        return reached

    def connected(self) -> None:
        self.connection, self.retry_in, self._idle_head = Connection.CONNECTED, None, None
        self._started_at = self.position

    def lost(self, reachable: bool, retry_in: float) -> None:
        if self.connection is Connection.CONNECTED:
            self.reconnections += 1
        self.connection = Connection.RECONNECTING if reachable else Connection.OFFLINE
        self.retry_in = retry_in

    def _apply(self, message: Message) -> None:
        incident_id = str(message.get("incident_id"))
        if message.get("event") in CLOSING_EVENTS:
            self.rows.pop(incident_id, None)
            return
        actor = message.get("actor") or {}
        data = message.get("data") or {}
        known = self.rows.get(incident_id)
        # The report says what it is; later events keep what the report said.
        kind = str(data.get("kind") or data.get("category") or (known.kind if known else ""))
        summary = str(
            data.get("summary") if message.get("event") == "Reported" else (known.summary if known else "")
        )
        self.rows[incident_id] = Row(
            incident_id=incident_id,
            incident_type=str(message.get("incident_type", "")),
            unit=str(message.get("unit", "")),
            level=_level(message.get("level")),
            exercise=bool(message.get("exercise")),
            event=str(message.get("event", "")),
            version=int(message.get("version") or 0),
            actor=f"{actor.get('name') or actor.get('id') or '?'} ({actor.get('role', '?')})",
            occurred_at=str(message.get("occurred_at", "")),
            position=self.position,
            kind=kind,
            summary=summary or "",
        )


async def follow(
    base_url: str,
    token: str,
    query: FeedQuery,
    state: WatchState,
    on_message: Callable[[str, Message], bool],
    on_change: Callable[[WatchState], None] = lambda _: None,
    give_up_after: float | None = None,
    backoff: Backoff | None = None,
) -> None:
    """Follows the feed from `state.position` until `on_message` returns True, reconnecting after any
    drop or 4001 with `after=` the last position received, so that nothing is missed or repeated."""
    backoff = backoff or Backoff(first=0.25, cap=10.0, jitter=0.25)
    headers = {"Authorization": f"Bearer {token}"}
    offline_since: float | None = None
    while True:
        reachable, server_full = False, False
        try:
            async with connect(
                query.url(base_url, state.position),
                additional_headers=headers,
                open_timeout=OPEN_TIMEOUT,
                ping_interval=PING_SECONDS,
                ping_timeout=PING_SECONDS,
            ) as websocket:
                reachable, offline_since = True, None
                state.connected()
                on_change(state)
                async for text in websocket:
                    backoff.reset()  # only a server that says something is up: one that drops at once is not
                    if on_message(str(text), json.loads(text)):
                        return
        except InvalidStatus as refused:
            status = refused.response.status_code
            if status < 500 and status not in (408, 429):
                raise FeedRefusedError(status, refused.response.body.decode(errors="replace")) from None
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else None
            if code in REFUSALS:
                raise FeedRefusedError(REFUSALS[code], closed.rcvd.reason if closed.rcvd else "") from None
            if code == RESUME:
                backoff.reset()  # the server asked for it: no reason to wait long
            server_full = code == SERVER_FULL
        except (OSError, TimeoutError, InvalidHandshake):
            pass
        now = time.monotonic()
        if not reachable:
            offline_since = offline_since or now
            if give_up_after is not None and now - offline_since > give_up_after:
                raise FeedUnreachableError(f"no answer from {base_url} for {now - offline_since:.0f} s")
        delay = max(backoff.next(), SERVER_FULL_RETRY_SECONDS if server_full else 0.0)
        state.lost(reachable, delay)
        on_change(state)
        await asyncio.sleep(delay)


# -- the command --------------------------------------------------------------------------------


def watch(
    unit: Annotated[
        str | None, typer.Option(help="Only this unit's subtree 仅此机构, e.g. BJ or BJ-HD-01.")
    ] = None,
    incident_type: Annotated[
        IncidentType | None, typer.Option("--type", help="Only complaints or only emergencies 事件类别.")
    ] = None,
    min_level: Annotated[Level | None, typer.Option(help="Only this level and worse 最低级别.")] = None,
    after: Annotated[
        int, typer.Option(min=0, help="Start after this log position (default: the beginning).")
    ] = 0,
    once: Annotated[
        bool, typer.Option("--once", help="Exit once caught up with the head of the log (3: unreachable).")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print each event as one JSON line, no table.")
    ] = False,
    table: Annotated[
        bool | None,
        typer.Option(
            "--table/--lines",
            help="A table updated in place, or one plain line per event (default: a table on a terminal, "
            "lines when piped).",
        ),
    ] = None,
) -> None:
    """Watch the live feed 实时监控: open incidents in a table updated in place, resumed after any drop."""
    settings = ClientSettings.from_env(os.environ)
    try:
        token = settings.require_token()
    except MissingTokenError as error:
        _fail(ExitCode.USAGE, as_json, None, "missing_token", str(error))
    if urlsplit(settings.url).scheme not in ("http", "https"):
        _fail(
            ExitCode.USAGE,
            as_json,
            None,
            "bad_url",
            f"INCIDENT_URL must be http:// or https://, not {settings.url!r}",
        )
    query = FeedQuery(unit, incident_type, min_level)
    state = WatchState(position=after)
    if once:
        with ApiClient(settings.url, token) as api:
            state.wanted = api.log_head() or 0
    as_table = Console().is_terminal if table is None else table
    run = _print_json if as_json else _show_table if as_table else _print_lines
    try:
        asyncio.run(run(settings.url, token, query, state, once))
    except KeyboardInterrupt:
        return
    except FeedRefusedError as refused:
        _refused(settings, query, refused, as_json)
    except FeedUnreachableError as error:
        message = f"服务器无法连接 / Server unreachable: {error}"
        _fail(ExitCode.UNREACHABLE, as_json, None, "server_unreachable", message)
    except InvalidURI as error:
        _fail(ExitCode.USAGE, as_json, None, "bad_url", f"INCIDENT_URL is not a usable address: {error}")


async def _print_json(base_url: str, token: str, query: FeedQuery, state: WatchState, once: bool) -> None:
    def on_message(text: str, message: Message) -> bool:
        if state.take(message):
            typer.echo(text)
        return once and message.get("kind") == "heartbeat" and state.caught_up(message)

    def on_change(state: WatchState) -> None:
        # Said on stderr, so that stdout stays one event per line; the first connection goes unsaid.
        if state.connection is not Connection.CONNECTED or state.reconnections:
            typer.echo(_status_line(state).plain, err=True)

    await follow(base_url, token, query, state, on_message, on_change, ONCE_GIVES_UP_AFTER if once else None)


async def _print_lines(base_url: str, token: str, query: FeedQuery, state: WatchState, once: bool) -> None:
    lowest = query.min_level.rank if query.min_level else 0

    def on_message(_: str, message: Message) -> bool:
        if state.take(message):
            row = state.rows.get(str(message.get("incident_id")))
            if row is not None and row.position == state.position and row.level.rank >= lowest:
                typer.echo(event_line(row))
            elif row is None and message.get("event") in CLOSING_EVENTS:
                typer.echo(
                    f"{_local_time(str(message.get('occurred_at', '')), full=True)}  Closed  {message.get('incident_id')}"
                )
        return once and message.get("kind") == "heartbeat" and state.caught_up(message)

    def on_change(state: WatchState) -> None:
        if state.connection is not Connection.CONNECTED or state.reconnections:
            typer.echo(_status_line(state).plain, err=True)

    everything = replace(query, min_level=None)
    await follow(
        base_url, token, everything, state, on_message, on_change, ONCE_GIVES_UP_AFTER if once else None
    )


async def _show_table(base_url: str, token: str, query: FeedQuery, state: WatchState, once: bool) -> None:
    console = Console()

    def on_message(_: str, message: Message) -> bool:
        state.take(message)
        return once and message.get("kind") == "heartbeat" and state.caught_up(message)

    def view() -> Group:
        shown = max(3, console.height - 8) if console.is_terminal else None
        return Group(_status_line(state), _table(state, query, base_url, shown))

    live = Live(get_renderable=view, console=console, refresh_per_second=4)

    def on_change(_: WatchState) -> None:
        # Started on the first news, so that a refused token leaves no empty table behind.
        if not live.is_started:
            live.start()

    # The level is filtered here, not by the feed: the feed judges each event by its own level, so a
    # table fed by it would never hear of an incident lowered below the level, nor of its closing.
    everything = replace(query, min_level=None)
    try:
        await follow(
            base_url, token, everything, state, on_message, on_change, ONCE_GIVES_UP_AFTER if once else None
        )
    finally:
        if live.is_started:
            live.stop()


# -- what it shows ------------------------------------------------------------------------------


def _status_line(state: WatchState) -> Text:
    connection = state.connection
    line = Text.assemble(("● ", connection.colour), (f"{connection.zh} {connection.en}", connection.colour))
    if state.retry_in is not None:
        line.append(f" (下次尝试 retry in {state.retry_in:.1f} s)")
    head = "-" if state.head is None else str(state.head)
    line.append(
        f"   位置 position {state.position}   日志头 head {head}   "
        f"已收 received {state.received} events   重连 reconnects {state.reconnections}"
    )
    return line


def _table(state: WatchState, query: FeedQuery, base_url: str, shown: int | None) -> Table:
    """The open incidents, worst first; readable at 80 columns: what it is and what happened last share
    one column (two lines), the rest are short, and the id is the 8 characters `show` and `act` take."""
    lowest = query.min_level.rank if query.min_level else 0
    rows = sorted(
        (r for r in state.rows.values() if r.level.rank >= lowest), key=lambda r: (-r.level.rank, -r.position)
    )
    title = Text(f"未结事件 Open incidents: {len(rows)}   {_describe(query)}  {base_url}")
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, expand=True)
    zone = datetime.now().astimezone().strftime("%Z")
    table.add_column("级别\nLevel", no_wrap=True)
    table.add_column("网点\nOutlet", no_wrap=True)
    table.add_column("事件 Incident ·\n最新 Latest", ratio=1, overflow="fold", min_width=20)
    table.add_column(f"时间\nTime {zone}", no_wrap=True)
    table.add_column("编号\nID", no_wrap=True)
    for row in rows[:shown]:
        table.add_row(
            Text(f"{row.level.zh} {row.level.en}", style=LEVEL_STYLES[row.level]),
            row.unit,
            _incident_cell(row),
            _local_time(row.occurred_at),
            row.incident_id[:8],
        )
    if shown is not None and len(rows) > shown:
        table.caption = f"另有 {len(rows) - shown} 个 / {len(rows) - shown} more not shown"
    return table


def _incident_cell(row: Row) -> Text:
    cell = Text()
    if row.exercise:
        cell.append("演练 EXERCISE ", style="bold magenta")
    kind = output.kind_label(row.incident_type, row.kind)
    cell.append(f"{kind} · {row.summary}" if row.summary else kind)
    cell.append(f"\n{row.event} v{row.version} — {row.actor}", style="dim")
    return cell


def event_line(row: Row) -> str:
    """One event as a plain line, for a pipe or a log file: every field, the whole id."""
    drill = " [演练 EXERCISE]" if row.exercise else ""
    kind = output.kind_label(row.incident_type, row.kind)
    return (
        f"{_local_time(row.occurred_at, full=True)}  {row.level.zh} {row.level.en}  {row.unit}  "
        f"{kind}{drill} · {row.summary}  {row.event} v{row.version} — {row.actor}  {row.incident_id}"
    )


def _describe(query: FeedQuery) -> str:
    parts = [f"unit={query.unit}"] if query.unit else []
    if query.incident_type:
        parts.append(f"type={query.incident_type.value}")
    if query.min_level:
        parts.append(f"min_level={query.min_level.value}")
    return f"[{' '.join(parts)}]" if parts else ""


def _local_time(text: str, full: bool = False) -> str:
    """The machine's local time (the branch's): `12-02 14:05` (the table's header names the zone), or in
    full with the year, the seconds and the zone."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.utcoffset() is None:
        return text
    local = moment.astimezone()
    return local.strftime("%Y-%m-%d %H:%M:%S %Z" if full else "%m-%d %H:%M")


def _level(value: Any) -> Level:
    try:
        return Level(value)
    except ValueError:
        return Level.BLUE


# -- refusals -----------------------------------------------------------------------------------


def _refused(
    settings: ClientSettings, query: FeedQuery, refused: FeedRefusedError, as_json: bool
) -> NoReturn:
    """Says why: a refused WebSocket handshake is a bare 403, so the same question is put over HTTP."""
    explained = _explain(settings, query) if refused.status in (401, 403, 422) else None
    error = explained or ClientError(refused.status, "feed_refused", _generic(refused))
    if as_json:
        _fail(ExitCode.REFUSED, True, error.status, error.code, error.message, error.field)
    _fail(
        ExitCode.REFUSED,
        False,
        error.status,
        error.code,
        f"实时推送被拒绝 / The feed was refused.\n{output.refused(error)}",
    )


def _explain(settings: ClientSettings, query: FeedQuery) -> ClientError | None:
    """The board of the same scope and filter, read over HTTP, answers with the reason (or None)."""
    params = {"unit": query.unit, "type": query.incident_type.value if query.incident_type else None}
    path = f"{API}/boards/office?" + urlencode({k: v for k, v in params.items() if v} | {"level": "red"})
    try:
        with ApiClient(settings.url, settings.token) as api:
            api.send("GET", path)
    except ClientError as error:
        return error
    except ServerUnreachableError:
        return None
    return None


def _generic(refused: FeedRefusedError) -> str:
    if refused.status in (401, 403):
        return "the token is unknown or revoked, or may not watch this unit (令牌无效或无权查看)"
    if refused.status == 429:
        return f"{refused.detail} (此令牌的实时推送连接数已达上限，请先关闭其他连接)"
    return f"the server answered {refused.status}: {refused.detail.strip()[:200] or 'no reason given'}"


def _fail(
    code: ExitCode, as_json: bool, status: int | None, error: str, message: str, field: str | None = None
) -> NoReturn:
    if as_json:
        typer.echo(output.error_json(status, error, message, field))
    else:
        typer.echo(message, err=True)
    raise typer.Exit(code)
