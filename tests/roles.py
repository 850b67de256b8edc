"""Two PostgreSQL roles per test, as a scaled-out deployment has them: the tables' owner and the server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit, urlunsplit

import psycopg
from typer.testing import CliRunner, Result

from interfaces.cli.main import cli
from tests.conftest import POSTGRES_URL


@dataclass(frozen=True)
class Roles:
    """The owner runs `incident migrate`; the server connects with only what that granted it."""

    schema: str
    owner: str
    server: str

    def url(self, role: str) -> str:
        parts = urlsplit(POSTGRES_URL)
        netloc = f"{role}@{parts.hostname}:{parts.port or 5432}"
        return urlunsplit((parts.scheme, netloc, parts.path, f"schema={self.schema}", ""))

    @property
    def owner_url(self) -> str:
        return self.url(self.owner)

    @property
    def server_url(self) -> str:
        return self.url(self.server)


def superuser() -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(POSTGRES_URL, autocommit=True)


@contextmanager
def separate_roles(postgres_url: str) -> Iterator[Roles]:
    """An owner and a server role (plain LOGIN roles, unique names), the test's schema owned by the owner.

    Roles belong to the whole cluster: they are dropped afterwards, their objects handed back first.
    """
    schema = parse_qs(urlsplit(postgres_url).query)["schema"][0]
    tag = uuid.uuid4().hex[:10]
    roles = Roles(schema=schema, owner=f"incident_owner_{tag}", server=f"incident_server_{tag}")
    with superuser() as conn:
        conn.execute(f'CREATE ROLE "{roles.owner}" LOGIN')
        conn.execute(f'CREATE ROLE "{roles.server}" LOGIN')
        conn.execute(f'ALTER SCHEMA "{schema}" OWNER TO "{roles.owner}"')
    try:
        yield roles
    finally:
        with superuser() as conn:
            # The schema itself is dropped by the postgres_url fixture, as the superuser.
            conn.execute(f'REASSIGN OWNED BY "{roles.owner}", "{roles.server}" TO CURRENT_USER')
            conn.execute(f'DROP OWNED BY "{roles.owner}", "{roles.server}"')
            conn.execute(f'DROP ROLE "{roles.owner}"')
            conn.execute(f'DROP ROLE "{roles.server}"')


def run_migrate(database_url: str, *options: str) -> Result:
    """`incident migrate` through the real command line, with INCIDENT_DATABASE_URL set."""
    return CliRunner().invoke(cli, ["migrate", *options], env={"INCIDENT_DATABASE_URL": database_url})


def migrated(roles: Roles) -> Roles:
    """The deployment step: the owner creates every table and grants the server role."""
    result = run_migrate(roles.owner_url, "--server-role", roles.server)
    assert result.exit_code == 0, result.output
    return roles


# The schema's version (interfaces/schema_version.py): a server reads it, never writes it.
VERSION_TABLE = "alembic_version"
# Every table beside the log, as `incident migrate` creates it (interfaces/migration.py).
READ_MODELS = {
    "access_tokens",
    "board_tracking",
    "board_failure",
    "office_board",
    "incident_catalogue",
    "timeline",
    "complaint_facts",
    "outlet_queues",
    "feed_index_v1",
    "event_moments",
    "board_checkpoints",
    "checkpoint_office_board",
    "checkpoint_outlet_queues",
    "checkpoint_complaint_facts",
    "feed_index_v1_incidents",
    "policy_checkpoint",
    "policy_memory",
    "log_leaves",
    "log_nodes",
    "log_checkpoints",
}
