"""One JSON error shape for every failure, and the one place errors become HTTP statuses.

{"error": {"code": "<stable machine code>", "message": "<for people>", "field": "<input or null>"}}
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from application.errors import AccessDeniedError, IncidentNotFoundError
from domain.errors import DomainError, InvalidInputError, RuleBrokenError

log = logging.getLogger(__name__)

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

    @app.exception_handler(Exception)
    async def unexpected(request: Request, _error: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(
            500, "internal_error", "the server failed; nothing was recorded by this request"
        )
