"""Two server processes on one store, each remembering a token: revoked beside them, both refuse it.

The servers remember a verified token for an hour here, so only the revocation signal (a marker file
on SQLite, LISTEN/NOTIFY on PostgreSQL), never the memory's expiry, can explain a refusal.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import websockets

from application.access.revocations import LISTENER_TRUSTED_SECONDS
from domain.values import Role
from interfaces.feed.close_codes import UNAUTHORISED
from interfaces.feed.limits import FeedLimits
from interfaces.settings import Settings
from interfaces.wiring import token_registry
from tests.e2e.server import serve_process
from tests.e2e.test_feed_limits import bearer, closing_code
from tests.integration.test_token_cache import MARGIN_SECONDS, revoke_in_another_process

OUTLET = "BJ-HD-01"
REMEMBER_FOR_AN_HOUR = {"INCIDENT_TOKEN_CACHE_SECONDS": "3600"}
# The product's own bound for another process (application/access/revocations.py), and a margin.
BOUND = LISTENER_TRUSTED_SECONDS + MARGIN_SECONDS


@pytest.fixture
def two_servers(database_url: str, tmp_path: Path) -> Iterator[tuple[Settings, list[str]]]:
    settings = Settings(database_url=database_url, run_policies=False)
    with ExitStack() as stack:
        urls = [
            stack.enter_context(
                serve_process(settings, tmp_path, tmp_path / f"server-{n}.log", env=REMEMBER_FOR_AN_HOUR)
            )[0]
            for n in range(2)
        ]
        yield settings, urls


def status(url: str, token: str) -> int:
    """A read that needs the token: an incident nobody reported is a 404 to whoever may look."""
    return httpx.get(f"{url}/api/v1/incidents/{uuid.uuid4()}", headers=bearer(token), timeout=10).status_code


def refused_within(url: str, token: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while status(url, token) != 401:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_a_token_revoked_beside_two_servers_is_refused_by_both(
    two_servers: tuple[Settings, list[str]], database_url: str
) -> None:
    settings, urls = two_servers
    record, token = token_registry(settings).issue(role=Role.BRANCH, unit=OUTLET, name="王丽", now=_now())
    for url in urls:
        assert [status(url, token) for _ in range(3)] == [404] * 3  # verified, then remembered

    revoke_in_another_process(database_url, record.id)

    if database_url.startswith("sqlite"):
        # The marker file changed before `incident token revoke` returned: the next request is refused.
        assert [status(url, token) for url in urls] == [401, 401]
    else:
        assert all(refused_within(url, token, BOUND) for url in urls)
    assert [status(url, token) for url in urls] == [401, 401], "and stays refused"


def test_garbage_and_unknown_tokens_are_refused_by_a_server_that_remembers_tokens(
    two_servers: tuple[Settings, list[str]],
) -> None:
    settings, urls = two_servers
    _, token = token_registry(settings).issue(role=Role.BRANCH, unit=OUTLET, name="王丽", now=_now())
    assert status(urls[0], token) == 404
    for presented in ("nope", token + "x", token[:-1], "inc_00000000_" + "A" * 43):
        assert [status(urls[0], presented) for _ in range(2)] == [401, 401]


def test_a_feed_on_another_server_closes_4401_when_its_token_is_revoked(
    two_servers: tuple[Settings, list[str]], database_url: str
) -> None:
    settings, urls = two_servers
    record, token = token_registry(settings).issue(role=Role.OFFICE, unit="HQ", name="值班", now=_now())
    feed_url = urls[1].replace("http://", "ws://") + "/api/v1/feed?after=0"

    async def scenario() -> tuple[tuple[int | None, str], float]:
        async with websockets.connect(feed_url, additional_headers=bearer(token)) as ws:
            closing = asyncio.ensure_future(closing_code(ws))
            await asyncio.to_thread(revoke_in_another_process, database_url, record.id)
            returned = time.monotonic()
            closed = await closing
            return closed, max(0.0, time.monotonic() - returned)

    closed, seconds = asyncio.run(scenario())
    print(f"the feed closed {seconds:.2f} s after `incident token revoke` returned (0: before)")
    assert closed == (UNAUTHORISED, "token revoked")
    assert seconds < FeedLimits().token_check_seconds + BOUND, f"closed {seconds:.1f} s after the revocation"


def _now() -> datetime:
    return datetime.now(UTC)
