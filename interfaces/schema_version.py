"""Which version of the schema a store is at, and the one this code needs (Alembic, interfaces/schema/).

`incident migrate` runs the product's DDL and then every Alembic revision up to the head, recording
it in `alembic_version`. A server checks that revision before it listens: older than its code, it
refuses to start and says to migrate. A store nobody versioned yet (a fresh SQLite file, a server
allowed to create its own tables) is stamped at the head by whoever may create the version table.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from application.store.errors import SchemaNotMigratedError
from application.store.migration import MigrationError

SCRIPTS = Path(__file__).with_name("schema")
VERSION_TABLE = "alembic_version"


class SchemaBehindError(SchemaNotMigratedError):
    """The store's schema is at an older revision than this code's (or at one this code does not know)."""


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The revision this code needs."""
    found = ScriptDirectory.from_config(_config()).get_current_head()
    assert found is not None, "interfaces/schema/versions holds the baseline at least"
    return found


def current(connection: Connection) -> str | None:
    """The revision the store is at; None if it was never versioned."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> str:
    """Run every revision up to the head (as the tables' owner); returns the head.

    MigrationError if the store is at a revision this release does not know (a newer release
    migrated it): nothing is changed then.
    """
    try:
        with engine.begin() as connection:
            command.upgrade(_config(connection), "head")
    except CommandError as error:
        raise MigrationError(
            f"{error}: the schema was migrated by a release this one does not know (a newer one?); "
            "run that release, or restore the backup taken before it"
        ) from None
    return head()


def check(connection: Connection) -> str | None:
    """The store's revision; SchemaBehindError if it is versioned and not at this code's head."""
    found, needed = current(connection), head()
    if found is not None and found != needed:
        raise SchemaBehindError(
            f"the schema is at revision {found} and this release needs {needed}; "
            "run `incident migrate` with the owner's database URL before starting servers"
        )
    return found


def check_or_stamp(engine: Engine) -> None:
    """At a server's start: refuse a schema behind the code; stamp one never versioned, if allowed to."""
    with engine.connect() as connection:
        if check(connection) is not None:
            return
    try:
        upgrade(engine)
    except (SQLAlchemyError, MigrationError) as error:
        raise SchemaBehindError(
            "the schema carries no version and this server's role may not record one; "
            "run `incident migrate` with the owner's database URL before starting servers"
        ) from error
