"""The WebSocket feed at /api/v1/feed: replay after a position, then live, in the caller's scope."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, HTTPException, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from application.access.principal import Principal
from domain.level import Level
from domain.values import Role
from interfaces.feed.hub import Watch
from interfaces.feed.messages import heartbeat
from interfaces.http.boards import visible_outlets
from interfaces.http.services import Services

router = APIRouter()
SUBPROTOCOL = "incident.v1"
BEARER_PREFIX = "bearer."
# Close codes: 4001 "resume from your last position" (fell behind), 4401 no or bad token,
# 4403 outside the token's scope, 4422 a bad filter.
RESUME, UNAUTHORISED, FORBIDDEN, INVALID = 4001, 4401, 4403, 4422


def _presented_token(websocket: WebSocket) -> str | None:
    scheme, _, token = websocket.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    for offered in websocket.scope.get("subprotocols", []):
        if offered.startswith(BEARER_PREFIX) and len(offered) > len(BEARER_PREFIX):
            return str(offered[len(BEARER_PREFIX) :])
    return websocket.query_params.get("token") or None


def _types(principal: Principal, wanted: str | None) -> frozenset[str]:
    allowed = {"complaint"} if principal.role is Role.CALL_CENTRE else {"complaint", "emergency"}
    if wanted is not None:
        if wanted not in ("complaint", "emergency"):
            raise ValueError(f"type must be complaint or emergency, not {wanted!r}")
        allowed &= {wanted}
    return frozenset(allowed)


@router.websocket("/api/v1/feed")
async def feed(websocket: WebSocket) -> None:
    """Every event in the caller's scope after `after`, then live; heartbeats carry the head position."""
    app: Services = websocket.app.state.services
    hub = websocket.app.state.feed
    token = _presented_token(websocket)
    principal = await run_in_threadpool(app.tokens.verify, token) if token else None
    if principal is None:
        await websocket.close(code=UNAUTHORISED, reason="missing, unknown or revoked token")
        return
    params = websocket.query_params
    try:
        after = int(params.get("after") or 0)
        if not 0 <= after < 2**62:
            raise ValueError("after must be a log position")
        level = Level(params["min_level"]) if params.get("min_level") else Level.BLUE
        watch = Watch(
            outlets=frozenset(visible_outlets(principal, app.organisation, params.get("unit") or None)),
            types=_types(principal, params.get("type") or None),
            min_rank=level.rank,
            queue=asyncio.Queue(websocket.app.state.watcher_queue),
        )
    except HTTPException as refused:
        code = FORBIDDEN if refused.status_code == 403 else INVALID
        await websocket.close(code=code, reason=str(refused.detail)[:120])
        return
    except ValueError as bad:
        await websocket.close(code=INVALID, reason=str(bad)[:120])
        return
    offered = websocket.scope.get("subprotocols", [])
    await websocket.accept(subprotocol=SUBPROTOCOL if SUBPROTOCOL in offered else None)
    await _serve(websocket, hub, watch, after, websocket.app.state.heartbeat_seconds)


async def _serve(websocket: WebSocket, hub: Any, watch: Watch, after: int, heartbeat_seconds: float) -> None:
    registered_at = hub.subscribe(watch)
    last_sent = after
    pending: list[asyncio.Future[Any]] = []
    try:
        # Replay what was stored before the watch was registered; live messages cover the rest, so
        # the hand-over has no gap, and the cut at `registered_at` means no duplicate.
        if after < registered_at:
            for message in await run_in_threadpool(hub.catch_up, after, registered_at):
                if watch.wants(message):
                    await websocket.send_text(message.text)
                    last_sent = message.position
        cutoff = max(after, registered_at)
        # An immediate heartbeat marks the end of the replay: what follows is live.
        await websocket.send_text(heartbeat(hub.head, last_sent))
        closed = asyncio.ensure_future(_until_closed(websocket))
        overflow = asyncio.ensure_future(watch.overflowed.wait())
        pending += [closed, overflow]
        while True:
            next_message = asyncio.ensure_future(watch.queue.get())
            done, _ = await asyncio.wait(
                {next_message, closed, overflow},
                timeout=heartbeat_seconds,
                return_when=asyncio.FIRST_COMPLETED,
            )
            if closed in done:
                next_message.cancel()
                return
            if overflow in done:
                next_message.cancel()
                await websocket.close(code=RESUME, reason=f"resume from your last position ({last_sent})")
                return
            if next_message in done:
                # Send everything already queued before waiting again: one wake-up, many messages.
                batch = [next_message.result()]
                while not watch.queue.empty():
                    batch.append(watch.queue.get_nowait())
                for message in batch:
                    if message.position > cutoff:
                        await websocket.send_text(message.text)
                        last_sent = message.position
            else:
                next_message.cancel()
                await websocket.send_text(heartbeat(hub.head, last_sent))
    except (WebSocketDisconnect, RuntimeError):
        return
    finally:
        hub.unsubscribe(watch)
        for task in pending:
            task.cancel()


async def _until_closed(websocket: WebSocket) -> None:
    """Returns when the client goes away (the feed ignores anything a watcher sends)."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
