"""Creates every table of the product, as their owner, and grants the server's role what it needs."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import Engine, MetaData, text

from application.access.tokens import metadata as tokens_metadata
from application.access.tokens import upgrade_access_tokens
from application.audit.log_tree import metadata as log_tree_metadata
from application.incident_desk import IncidentDesk
from application.policies.checkpoint import metadata as policy_checkpoint_metadata
from application.store.database_url import postgres_schema, store_env
from application.store.migration import grant_server_role, migrate_log, refuse_roles_on_sqlite
from interfaces.boards.wiring import make_boards, make_runner
from interfaces.schema_version import VERSION_TABLE, upgrade
from interfaces.settings import Settings
from interfaces.sql_engine import engine_for
from projections.board_failure import metadata as failure_metadata
from projections.tracking import metadata as tracking_metadata


@dataclass(frozen=True)
class Migration:
    """What `incident migrate` did."""

    log_tables: list[str]
    read_model_tables: list[str]
    granted_to: str | None
    revision: str  # the schema's version now (interfaces/schema/versions)


def read_model_metadata(desk: IncidentDesk) -> list[MetaData]:
    """Every table beside the log: a table added to the product belongs here, or no server may use it."""
    return [
        tokens_metadata,
        tracking_metadata,
        failure_metadata,
        policy_checkpoint_metadata,
        log_tree_metadata,
        *(board.metadata for board in make_boards(desk)),
    ]


def migrate(settings: Settings, server_role: str | None = None) -> Migration:
    """Run the product's DDL (idempotent); with `server_role`, grant it exactly a server's privileges.

    Scaled out on PostgreSQL this is the one place DDL is run from: servers on a schema whose
    tables exist create nothing, so they can run as a role that may not.
    """
    settings.prepare_storage()
    _create_schema(settings.database_url)
    desk = IncidentDesk({**store_env(settings.database_url), "CREATE_TABLE": "n"})
    engine = engine_for(settings.database_url)
    try:
        if server_role:
            refuse_roles_on_sqlite(desk)  # before anything is created
        log_tables = migrate_log(desk)
        _create_read_models(desk, engine, settings.database_url)
        revision = upgrade(engine)  # every versioned change after the baseline, recorded
        read_model_tables = [t.name for metadata in read_model_metadata(desk) for t in metadata.sorted_tables]
        if server_role:
            grant_server_role(desk, server_role, read_model_tables, read_only_tables=[VERSION_TABLE])
    finally:
        desk.close()
        engine.dispose()
    return Migration(log_tables, read_model_tables, server_role or None, revision)


def _create_schema(database_url: str) -> None:
    # The schema the URL names is the owner's to create, as the tables are (a server never does).
    parts = urlsplit(database_url)
    if parts.scheme == "sqlite":
        return
    schema = postgres_schema(database_url)
    engine = engine_for(database_url)
    try:
        with engine.begin() as conn:
            # Asked first: an owner given the schema may not create schemas in the database at all.
            found = conn.execute(text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": schema}).first()
            if found is None:
                conn.execute(text(f"CREATE SCHEMA {engine.dialect.identifier_preparer.quote(schema)}"))
    finally:
        engine.dispose()


def _create_read_models(desk: IncidentDesk, engine: Engine, database_url: str) -> None:
    tokens_metadata.create_all(engine)
    # A table beside the log is kept, not rebuilt: columns added since it was made are added to it.
    upgrade_access_tokens(engine)
    policy_checkpoint_metadata.create_all(engine)
    log_tree_metadata.create_all(engine)
    # The board runner creates its boards' tables and tracking, replacing a board of an older shape
    # (whose position it resets, so the server replays the log into it): built, never started.
    make_runner(desk, engine, database_url)
