"""A verified token costs no SQL; a revocation, here or by another process, is not served from memory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, event

from application.access.principal import Principal
from application.access.revocations import LISTENER_TRUSTED_SECONDS
from application.access.token_cache import TokenCache
from application.access.tokens import TokenRegistry
from domain.values import Role
from interfaces.organisation_file import DEMO_ORGANISATION_PATH, load_organisation
from interfaces.sql_engine import engine_for
from tests.throwaway_postgres import ThrowawayPostgres

ROOT = Path(__file__).resolve().parents[2]
OUTLET = "BJ-HD-01"
# Long enough that only the revocation signal, never the memory's expiry, can explain a refusal.
FOREVER = 3600.0
# A margin for a loaded machine around the product's own bounds; never a figure of its speed.
MARGIN_SECONDS = 10.0


class Statements:
    """Counts the SQL statements an engine sends (a listener on the real engine, not a mock)."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._heard)

    def _heard(self, *_: object) -> None:
        self.count += 1


def registry_on(database_url: str, cache_seconds: float = FOREVER) -> TokenRegistry:
    organisation = load_organisation(DEMO_ORGANISATION_PATH)
    return TokenRegistry(engine_for(database_url), organisation, cache_seconds=cache_seconds)


@pytest.fixture
def registry(database_url: str) -> Iterator[TokenRegistry]:
    found = registry_on(database_url)
    yield found
    found.close()


def issued(registry: TokenRegistry) -> tuple[str, str]:
    record, token = registry.issue(role=Role.BRANCH, unit=OUTLET, name="王丽", now=datetime.now(UTC))
    return record.id, token


def revoke_in_another_process(database_url: str, token_id: str) -> None:
    """`incident token revoke`, as an administrator runs it beside the servers."""
    subprocess.run(
        [sys.executable, "-m", "interfaces.cli.main", "token", "revoke", token_id],
        env={**os.environ, "INCIDENT_DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)},
        check=True,
        capture_output=True,
    )


def refused_within(registry: TokenRegistry, token: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while registry.verify(token) is not None:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def listening(registry: TokenRegistry, seconds: float = MARGIN_SECONDS) -> None:
    """Wait until the registry hears revocations (PostgreSQL's listener has connected)."""
    deadline = time.monotonic() + seconds
    while registry.revocations_seen() is None:
        assert time.monotonic() < deadline, "the registry never started listening for revocations"
        time.sleep(0.02)


def test_a_token_verified_once_is_verified_again_without_sql(registry: TokenRegistry) -> None:
    _, token = issued(registry)
    listening(registry)
    statements = Statements(registry._engine)
    first = registry.verify(token)
    asked = statements.count
    again = [registry.verify(token) for _ in range(50)]

    assert isinstance(first, Principal)
    assert asked >= 1
    assert again == [first] * 50
    assert statements.count == asked, "a remembered token asked the store again"


def test_with_the_cache_off_every_verification_asks_the_store(database_url: str) -> None:
    registry = registry_on(database_url, cache_seconds=0)
    _, token = issued(registry)
    statements = Statements(registry._engine)
    for _ in range(3):
        assert registry.verify(token) is not None
    assert statements.count == 3
    assert registry.remembered(token) is None


@pytest.mark.parametrize("seconds", [float("nan"), float("inf"), -1.0])
def test_a_cache_time_that_would_keep_tokens_forever_is_refused(sqlite_url: str, seconds: float) -> None:
    with pytest.raises(ValueError, match="token cache"):
        registry_on(sqlite_url, cache_seconds=seconds)


def test_an_unknown_or_garbage_token_is_refused_every_time_and_never_remembered(
    registry: TokenRegistry,
) -> None:
    _, token = issued(registry)
    listening(registry)
    statements = Statements(registry._engine)
    for presented in ("nope", token + "x", token[:-1], "", "inc_00000000_" + "A" * 43):
        assert [registry.verify(presented) for _ in range(2)] == [None, None]
        assert registry.remembered(presented) is None
    assert statements.count == 10, "each refusal is the store's answer, never memory's"


def test_the_next_verification_after_a_revocation_in_this_process_is_refused(
    registry: TokenRegistry, database_url: str
) -> None:
    token_id, token = issued(registry)
    listening(registry)
    assert registry.verify(token) is not None
    other = registry_on(database_url)  # another registry of the same process (the CLI in a test, say)
    try:
        other.revoke(token_id, now=datetime.now(UTC))
    finally:
        other.close()
    assert registry.remembered(token) is None
    assert registry.verify(token) is None


def test_a_revocation_by_another_process_is_heard_without_waiting_for_the_memory_to_expire(
    registry: TokenRegistry, database_url: str
) -> None:
    token_id, token = issued(registry)
    listening(registry)
    assert registry.verify(token) is not None
    revoke_in_another_process(database_url, token_id)
    if database_url.startswith("sqlite"):
        # The marker file changed before the command returned: the very next request is refused.
        assert registry.verify(token) is None
    else:
        # NOTIFY reaches the listener in milliseconds; LISTENER_TRUSTED_SECONDS bounds a silent one.
        assert refused_within(registry, token, LISTENER_TRUSTED_SECONDS + MARGIN_SECONDS)


def test_the_feeds_revocation_count_moves_only_when_a_token_is_revoked(
    registry: TokenRegistry, database_url: str
) -> None:
    token_id, token = issued(registry)
    _, kept = issued(registry)
    listening(registry)
    before = registry.revocations_seen()
    registry.verify(token)
    registry.verify(kept)
    assert registry.revocations_seen() == before
    revoke_in_another_process(database_url, token_id)
    deadline = time.monotonic() + LISTENER_TRUSTED_SECONDS + MARGIN_SECONDS
    while registry.revocations_seen() in (before, None):
        assert time.monotonic() < deadline, "the revocation was never heard"
        time.sleep(0.02)
    assert registry.revoked_among({token_id, kept_id(registry, kept)}) == {token_id}


def kept_id(registry: TokenRegistry, token: str) -> str:
    principal = registry.verify(token)
    assert principal is not None
    return principal.token_id


@pytest.mark.postgres
def test_after_the_database_returns_the_listener_hears_revocations_again(
    throwaway_postgres: ThrowawayPostgres,
) -> None:
    database_url = throwaway_postgres.fresh_schema_url()
    registry = registry_on(database_url)
    try:
        token_id, token = issued(registry)
        listening(registry)
        assert registry.verify(token) is not None
        throwaway_postgres.stop()
        try:
            # The listener's connection broke: memory is no longer trusted, nothing is served from it.
            deadline = time.monotonic() + LISTENER_TRUSTED_SECONDS + MARGIN_SECONDS
            while registry.remembered(token) is not None:
                assert time.monotonic() < deadline, "memory was trusted with the listener down"
                time.sleep(0.05)
        finally:
            throwaway_postgres.start()
        listening(registry)
        assert registry.verify(token) is not None
        revoke_in_another_process(database_url, token_id)
        assert refused_within(registry, token, LISTENER_TRUSTED_SECONDS + MARGIN_SECONDS)
    finally:
        registry.close()


def principal(name: str) -> Principal:
    return Principal(token_id=name, name=name, role=Role.BRANCH, unit=OUTLET)


def test_a_lookup_that_raced_a_revocation_is_not_remembered() -> None:
    cache = TokenCache(FOREVER)
    cache.put("a", principal("a"), generation=1)
    assert cache.get("a", generation=1) == principal("a")
    assert cache.get("a", generation=2) is None  # a revocation was heard: everything is forgotten
    cache.put("b", principal("b"), generation=1)  # its lookup began before the revocation
    assert cache.get("b", generation=2) is None
    cache.put("b", principal("b"), generation=2)
    assert cache.get("b", generation=2) == principal("b")


def test_a_remembered_token_expires() -> None:
    now = [0.0]
    cache = TokenCache(5.0, clock=lambda: now[0])
    cache.put("a", principal("a"), generation=0)
    now[0] = 4.9
    assert cache.get("a", generation=0) == principal("a")
    now[0] = 5.0
    assert cache.get("a", generation=0) is None
