"""One log line per HTTP request: method, route, incident, status, duration; a request id shared with its command's line."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from interfaces.log_redaction import redact
from interfaces.log_setup import REQUEST_ID

log = logging.getLogger("incident.request")
# A caller's own id is kept when it is short and plain (no spaces, no control characters).
CALLER_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


# Told of every request once answered (method, route template, status, seconds): the metrics.
RequestObserver = Callable[[str, str | None, int, float], None]


class RequestLog:
    """ASGI middleware: times each HTTP request and logs it once it is answered (or failed)."""

    def __init__(self, app: ASGIApp, observe: RequestObserver | None = None) -> None:
        self.app = app
        self.observe = observe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if CALLER_ID.match(given) else uuid.uuid4().hex[:16]
        reset = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before answering

        async def answered(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, answered)
        finally:
            seconds = time.perf_counter() - started
            _log_request(scope, status, seconds * 1000)
            if self.observe is not None:
                self.observe(scope["method"], getattr(scope.get("route"), "path", None), status, seconds)
            REQUEST_ID.reset(reset)


def _log_request(scope: Scope, status: int, duration_ms: float) -> None:
    route = scope.get("route")
    path = redact(
        scope["path"] + (f"?{scope['query_string'].decode('latin-1')}" if scope["query_string"] else "")
    )
    incident_id = (scope.get("path_params") or {}).get("incident_id")
    log.info(
        "%s %s %s %.1f ms%s",
        scope["method"],
        path,
        status,
        duration_ms,
        f" incident={incident_id}" if incident_id else "",
        extra={
            "method": scope["method"],
            "path": path,
            "route": getattr(route, "path", None),
            "status": status,
            "duration_ms": round(duration_ms, 2),
            "incident_id": str(incident_id) if incident_id else None,
        },
    )
