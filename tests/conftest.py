"""Fixtures shared by every test: the two real stores, each test in its own database or schema."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from application.store.database_url import store_env
from tests.throwaway_postgres import POSTGRES_BIN, ThrowawayPostgres

POSTGRES_URL = os.environ.get("INCIDENT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
# CI sets this: there a PostgreSQL test that cannot connect fails instead of skipping.
POSTGRES_REQUIRED = os.environ.get("INCIDENT_REQUIRE_POSTGRES", "") not in ("", "0")
# `make soak` sets it: only then do the tests marked `soak` run (each takes tens of seconds).
SOAK = bool(os.environ.get("INCIDENT_SOAK_SECONDS"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if SOAK:
        return
    skip = pytest.mark.skip(reason="a soak test: `make soak` runs it")
    for item in items:
        if item.get_closest_marker("soak"):
            item.add_marker(skip)


def _postgres_or_skip() -> None:
    try:
        psycopg.connect(POSTGRES_URL, connect_timeout=3).close()
    except psycopg.OperationalError as error:
        if POSTGRES_REQUIRED:
            pytest.fail(f"PostgreSQL is required here but unreachable at {POSTGRES_URL}: {error}")
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_URL} (set INCIDENT_TEST_POSTGRES_URL): {error}")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'incidents.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh schema per test, dropped afterwards: no test sees another's rows."""
    _postgres_or_skip()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield f"{POSTGRES_URL}?schema={schema}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Runs a test once on the embedded SQLite store and once on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def env(database_url: str) -> dict[str, str]:
    return store_env(database_url)


@pytest.fixture(scope="session")
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    """A PostgreSQL cluster that tests may stop and start (never the machine's own); removed at the end."""
    if not (POSTGRES_BIN / "initdb").exists():
        message = f"no PostgreSQL programs at {POSTGRES_BIN} (set INCIDENT_TEST_POSTGRES_BIN)"
        if POSTGRES_REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
    cluster = ThrowawayPostgres()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()
