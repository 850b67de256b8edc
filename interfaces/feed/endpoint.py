"""The WebSocket feed at /api/v1/feed: replay after a position, then live, in the caller's scope."""

from __future__ import annotations

import asyncio
import logging
from contextlib import aclosing, suppress
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from application.access.principal import Principal
from application.access.scope import INCIDENT_TYPES, board_scope
from application.errors import AccessDeniedError
from domain.errors import InvalidInputError
from domain.incident_type import IncidentType
from domain.level import Level
from domain.organisation import Organisation
from interfaces.feed.close_codes import FORBIDDEN, INVALID, RESUME, UNAUTHORISED
from interfaces.feed.hub import Watch
from interfaces.feed.sender import Sender, SendTimedOutError
from interfaces.feed.service import Feed
from interfaces.feed.websocket_protocol import FRAMES, FrameLink
from interfaces.services import Services
from projections.feed_index import FeedScope

log = logging.getLogger(__name__)
router = APIRouter()
SUBPROTOCOL = "incident.v1"
BEARER_PREFIX = "bearer."
NOT_OUR_PROTOCOL = "the feed is served with interfaces/serving.py's WebSocket protocol only"
NO_TOKEN_IN_URL = "a token goes in the Authorization header or the bearer.<token> subprotocol, never the URL"


def _presented_token(websocket: WebSocket) -> str | None:
    scheme, _, token = websocket.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    for offered in websocket.scope.get("subprotocols", []):
        if offered.startswith(BEARER_PREFIX) and len(offered) > len(BEARER_PREFIX):
            return str(offered[len(BEARER_PREFIX) :])
    return None


def _types(allowed: frozenset[str], wanted: str | None) -> frozenset[str]:
    if wanted is None:
        return allowed
    if wanted not in INCIDENT_TYPES:
        raise ValueError(f"type must be {' or '.join(IncidentType)}, not {wanted!r}")
    return allowed & {wanted}


def _watch(principal: Principal, organisation: Organisation, params: Any, queue: int) -> tuple[int, Watch]:
    after = int(params.get("after") or 0)
    if not 0 <= after < 2**62:
        raise ValueError("after must be a log position")
    level = Level(params["min_level"]) if params.get("min_level") else Level.BLUE
    readable = board_scope(principal, organisation, params.get("unit") or None)
    outlets = readable.outlets_in(organisation)
    every_outlet = outlets >= {u.code for u in organisation.outlets}
    scope = FeedScope(
        None if every_outlet else outlets, _types(readable.types, params.get("type") or None), level.rank
    )
    return after, Watch(principal.token_id, scope, queue)


async def feed(websocket: WebSocket) -> None:
    """Every event in the caller's scope after `after`, then live; heartbeats carry the head position."""
    app: Services = websocket.app.state.services
    parts: Feed = websocket.app.state.feed
    token = _presented_token(websocket)
    principal = await run_in_threadpool(app.tokens.verify, token) if token else None
    if principal is None:
        in_url = "token" in websocket.query_params
        await websocket.close(
            UNAUTHORISED, NO_TOKEN_IN_URL if in_url else "missing, unknown or revoked token"
        )
        return
    try:
        after, watch = _watch(principal, app.organisation, websocket.query_params, parts.watcher_queue)
    except (AccessDeniedError, InvalidInputError) as refused:
        code = FORBIDDEN if isinstance(refused, AccessDeniedError) else INVALID
        await websocket.close(code=code, reason=refused.message[:120])
        return
    except ValueError as bad:
        await websocket.close(code=INVALID, reason=str(bad)[:120])
        return
    offered = websocket.scope.get("subprotocols", [])
    await websocket.accept(subprotocol=SUBPROTOCOL if SUBPROTOCOL in offered else None)
    link = websocket.scope.get("extensions", {}).get(FRAMES)
    if not isinstance(link, FrameLink):  # another server or protocol than `incident serve` runs
        await _close(websocket, 1011, NOT_OUR_PROTOCOL, parts.limits.send_timeout)
        return
    # Refused after the handshake, so that a browser sees the code (it cannot see an HTTP refusal).
    refused_with = parts.admission.admit(watch)
    if refused_with is not None:
        await _close(websocket, *refused_with, parts.limits.send_timeout)
        return
    try:
        await _serve(websocket, link, parts, watch, after)
    finally:
        parts.admission.release(watch)


# A plain Starlette route: the feed takes no FastAPI dependencies, and FastAPI's per-connection
# dependency machinery (exit stacks, solved values) would stay alive as long as each watcher does.
router.add_websocket_route("/api/v1/feed", feed)


async def _serve(websocket: WebSocket, link: FrameLink, parts: Feed, watch: Watch, after: int) -> None:
    """Runs the replay and the live part as one task, ended by the client going, the watch ending
    (fell behind, a send timed out, token revoked) or a replay's send timing out; then closes with
    the code that says why. Two futures and one task per watcher: it may be one of thousands."""
    sender = Sender(link, parts.limits.send_timeout, after)
    registered_at = parts.hub.subscribe(watch)
    link.deaf = True  # the feed ignores anything a watcher sends
    work = asyncio.ensure_future(_replay_then_live(sender, parts, watch, after, registered_at))
    try:
        await asyncio.wait({work, watch.ended, link.lost}, return_when=asyncio.FIRST_COMPLETED)
        if link.lost.done():
            return
        if watch.ended.done():
            code, reason = watch.end_code, watch.end_reason
        elif isinstance(work.exception(), SendTimedOutError):
            code, reason = RESUME, f"a send took over {parts.limits.send_timeout:g} s"
        else:
            _log_unless_gone(work.exception())
            return
        work.cancel()
        await asyncio.wait({work})
        if code == RESUME:
            reason = f"resume from your last position ({sender.position}): {reason}"
        await _close(websocket, code, reason, parts.limits.send_timeout)
    finally:
        sender.stop()
        work.cancel()
        if work.done() and not work.cancelled():
            work.exception()  # looked at: a client gone mid-send is not an error to report
        parts.hub.unsubscribe(watch)


async def _replay_then_live(
    sender: Sender, parts: Feed, watch: Watch, after: int, registered_at: int
) -> None:
    # Replay what was stored before the watch was registered; live messages cover the rest, so
    # the hand-over has no gap, and the sender writes no position twice, so no duplicate.
    if after < registered_at:
        # aclosing: a replay cut short (the client went) ends here and now, not when collected.
        async with aclosing(parts.replays.stream(watch.scope, after, registered_at)) as pages:
            async for page in pages:
                await parts.replays.turns.send(sender, page)
    # An immediate heartbeat marks the end of the replay: what follows is live.
    await sender.beat(parts.hub, watch)
    sender.go_live(watch)
    await sender.keep_beating(parts.hub, watch, parts.heartbeat_seconds)


async def _close(websocket: WebSocket, code: int, reason: str, timeout: float) -> None:
    # The peer may be gone already, or not reading: the close is best effort, within the deadline.
    with suppress(Exception):
        async with asyncio.timeout(timeout):
            await websocket.close(code=code, reason=reason[:120])


def _log_unless_gone(error: BaseException | None) -> None:
    # A client that went away mid-send, or a server shutting down its replay pool, is no fault.
    if error is None or isinstance(error, WebSocketDisconnect | OSError | RuntimeError):
        return
    log.error("feed connection failed", exc_info=error)
