"""Bearer-token authentication: every /api call names its principal or gets 401."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from application.access.principal import Principal
from interfaces.http.services import services
from interfaces.services import Services

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="incident"'}
# Declared so that the OpenAPI document names the scheme and /docs offers "Authorize"; the checks and
# their 401 messages stay ours (auto_error would answer 403 with its own words).
BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="A token from `incident token create` (or the one `make run` prints).",
)


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


async def principal(
    request: Request,
    found: Annotated[Services, Depends(services)],
    _declared: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)],
) -> Principal:
    """FastAPI dependency: the caller behind the bearer token.

    A token verified lately is answered on the event loop; only one the process does not remember
    takes a worker thread to ask the store.
    """
    token = bearer_token(request)
    if token is None:
        raise HTTPException(401, "missing bearer token (Authorization: Bearer <token>)", headers=CHALLENGE)
    caller = found.tokens.remembered(token) or await run_in_threadpool(found.tokens.verify, token)
    if caller is None:
        raise HTTPException(401, "unknown or revoked token", headers=CHALLENGE)
    return caller


CurrentPrincipal = Annotated[Principal, Depends(principal)]
