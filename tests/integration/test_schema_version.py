"""The schema's version (Alembic): `incident migrate` records it, servers refuse a schema behind their code."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from interfaces.schema_version import SchemaBehindError, head
from interfaces.settings import Settings
from interfaces.sql_engine import engine_for
from interfaces.wiring import build_services
from tests.conftest import POSTGRES_URL
from tests.roles import Roles, migrated, run_migrate, separate_roles


@pytest.fixture
def roles(postgres_url: str) -> Iterator[Roles]:
    with separate_roles(postgres_url) as made:
        yield made


def _version(database_url: str) -> str | None:
    engine = engine_for(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def _set_version(schema: str, version: str | None) -> None:
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        if version is None:
            conn.execute(f'DROP TABLE "{schema}".alembic_version')
        else:
            conn.execute(f'UPDATE "{schema}".alembic_version SET version_num = %s', (version,))


def _serve(database_url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "interfaces.cli.main", "serve", "--port", "0"],
        env={"INCIDENT_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_migrate_records_the_head_revision(postgres_url: str) -> None:
    result = run_migrate(postgres_url)
    assert result.exit_code == 0, result.output
    assert f"schema at revision {head()}" in result.output
    assert _version(postgres_url) == head()


def test_a_server_refuses_a_schema_at_another_revision_in_one_line(postgres_url: str, tmp_path: Path) -> None:
    assert run_migrate(postgres_url).exit_code == 0
    schema = postgres_url.rsplit("schema=", 1)[1]
    _set_version(schema, "0000_older")
    done = _serve(postgres_url, tmp_path)
    assert done.returncode == 5, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "0000_older" in done.stderr
    assert "incident migrate" in done.stderr
    with pytest.raises(SchemaBehindError, match="incident migrate"):
        build_services(Settings(database_url=postgres_url, run_policies=False))
    # A revision this release does not know (a newer release migrated it): migrate refuses, changes nothing.
    again = run_migrate(postgres_url)
    assert again.exit_code == 2
    assert "0000_older" in again.output
    assert "newer" in again.output
    assert _version(postgres_url) == "0000_older"
    _set_version(schema, head())
    assert run_migrate(postgres_url).exit_code == 0


def test_a_least_privileged_server_on_a_schema_never_versioned_is_told_to_migrate(
    roles: Roles,
) -> None:
    migrated(roles)
    _set_version(roles.schema, None)  # migrated by a release before the versions
    with pytest.raises(SchemaBehindError, match="incident migrate"):
        build_services(Settings(database_url=roles.server_url, run_policies=False))
    migrated(roles)
    assert _version(roles.server_url) == head()  # the server role may read the version


def test_the_embedded_store_is_versioned_when_it_is_made(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/fresh.db"
    services = build_services(Settings(database_url=url, run_policies=False))
    services.close()
    assert _version(url) == head()
