"""One JSON error shape for every failure, and the one place errors become HTTP statuses.

{"error": {"code": "<stable machine code>", "message": "<for people>", "field": "<input or null>"}}
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from application.errors import AccessDeniedError, IncidentNotFoundError
from domain.errors import DomainError, InvalidInputError, RuleBrokenError
from interfaces.http.store_errors import STORE_ERRORS, describe, store_unavailable

log = logging.getLogger(__name__)

# Serving resumes within a second of the database's return: a client told to wait longer only loses
# time, and a retry while the store is still down costs the server one refused connection.
RETRY_AFTER_SECONDS = 1

STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    503: "unavailable",
}


def error_response(
    status: int, code: str, message: str, field: str | None = None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "field": field}}
    return JSONResponse(body, status_code=status, headers=headers)


def unavailable() -> JSONResponse:
    """503 while the store cannot serve: the request may or may not have been recorded, so say how to retry."""
    return error_response(
        503,
        "unavailable",
        "the store cannot be reached just now; retry with the same Idempotency-Key "
        "(a command that was recorded after all is answered with its first result)",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def internal_error(method: str, path: str, error: BaseException) -> JSONResponse:
    """500 for a fault; the log names it and where it was raised, without its data."""
    where = "".join(traceback.format_tb(error.__traceback__))
    log.error("unhandled error on %s %s: %s\n%s", method, path, describe(error), where.rstrip())
    return error_response(500, "internal_error", "the server failed; nothing was recorded by this request")


def status_of(error: DomainError) -> int:
    if isinstance(error, IncidentNotFoundError):
        return 404
    if isinstance(error, AccessDeniedError):
        return 403
    if isinstance(error, InvalidInputError):
        return 422
    if isinstance(error, RuleBrokenError):
        return 409
    return 409


def _field(location: Sequence[Any]) -> str | None:
    # ("body", "contact", "phone") -> "contact.phone"; ("header", "if-match") -> "If-Match"
    parts = [str(p) for p in location]
    if parts and parts[0] in ("body", "query", "path"):
        parts = parts[1:]
    elif parts and parts[0] == "header":
        return "-".join(p.capitalize() for p in parts[1].split("-")) if len(parts) > 1 else None
    return ".".join(parts) or None


def install_error_handlers(app: FastAPI) -> None:
    """Map domain errors, validation errors and HTTP errors to the one shape."""

    @app.exception_handler(DomainError)
    async def domain_error(_: Request, error: DomainError) -> JSONResponse:
        return error_response(status_of(error), error.code, error.message, getattr(error, "field", None))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0] if error.errors() else {"loc": (), "msg": "invalid request"}
        field = _field(first.get("loc", ()))
        message = f"{field}: {first['msg']}" if field else str(first["msg"])
        return error_response(422, "invalid_input", message, field)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        if error.status_code == 400:
            # FastAPI's bare 400 is a body it could not decode (not UTF-8): bad input, like invalid JSON.
            return error_response(422, "invalid_input", "the body is not JSON text in UTF-8", "body")
        code = STATUS_CODES.get(error.status_code, "http_error")
        return error_response(error.status_code, code, str(error.detail), headers=error.headers)

    async def store_error(request: Request, error: Exception) -> JSONResponse:
        if not store_unavailable(error):
            return internal_error(request.method, request.url.path, error)
        log.warning("store unavailable on %s %s: %s", request.method, request.url.path, describe(error))
        return unavailable()

    for store_error_class in STORE_ERRORS:
        app.add_exception_handler(store_error_class, store_error)

    # Starlette's last resort: only errors raised outside UnexpectedErrors (in an outer middleware).
    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        return internal_error(request.method, request.url.path, error)

    app.add_middleware(UnexpectedErrors)


class UnexpectedErrors:
    """ASGI middleware: an error no handler took is answered 500 in the one shape, logged without its data.

    Starlette's own last resort answers, then re-raises to the server, whose log prints every message
    of the chain: a database error's DETAIL (row values) and statement with them.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except Exception as error:
            response = internal_error(scope["method"], scope["path"], error)
            if not started:  # else the client sees the answer cut short, as from any failed stream
                await response(scope, receive, send)
