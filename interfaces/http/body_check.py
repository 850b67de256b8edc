"""Refuses a request body before the app reads it: over the size limit (413), or not strict JSON (422)."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from interfaces.http.json_body import JSONBodyError, check_json_body

MAX_BODY_BYTES = 64 * 1024
# FastAPI reads a body as JSON when it says so, and also when it says nothing.
JSON_TYPES = (b"", b"application/json")


class BodyCheck:
    """ASGI middleware: a body larger than `limit` bytes gets 413; a JSON body that is not strict gets 422."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await _refuse(send, 413, "body_too_large", f"request body over {self.limit} bytes")
            return
        # Read the whole (small) body here, counting, then hand it on unchanged.
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await _refuse(send, 413, "body_too_large", f"request body over {self.limit} bytes")
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        media_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if media_type in JSON_TYPES or media_type.endswith(b"+json"):
            try:
                check_json_body(body)
            except JSONBodyError as error:
                await _refuse(send, 422, "invalid_input", str(error), field="body")
                return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def _refuse(send: Send, status: int, code: str, message: str, field: str | None = None) -> None:
    # The product's one error shape (interfaces/http/errors.py), written here because no route ran.
    body = json.dumps({"error": {"code": code, "message": message, "field": field}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
