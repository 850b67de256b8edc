"""A store that cannot be used, at the command line: one line that says why and what to do, never a traceback."""

from __future__ import annotations

import os
import sqlite3
from urllib.parse import urlsplit

import psycopg
from eventsourcing.persistence import PersistenceError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from application.store.database_url import DatabaseURLError, postgres_schema, redacted
from application.store.errors import SchemaNotMigratedError, StoreUnavailableError
from interfaces.http.store_errors import describe, store_unavailable
from interfaces.schema_version import check
from interfaces.sql_engine import engine_for


class SchemaMissingError(PersistenceError):
    """The PostgreSQL schema the URL names does not exist."""


# What the store's layers raise: the library, SQLAlchemy, the two drivers, the product's own.
STORE_FAULTS: tuple[type[Exception], ...] = (
    PersistenceError,
    SQLAlchemyError,
    SchemaMissingError,
    psycopg.Error,
    sqlite3.Error,
    StoreUnavailableError,
    DatabaseURLError,
)


def store_fault_line(error: Exception) -> str:
    """`incident: the store …: <reason> — <what to do>` for the store the environment names."""
    where = redacted(os.environ.get("INCIDENT_DATABASE_URL") or "sqlite:///var/incident.db")
    reason = describe(error)
    if isinstance(error, SchemaNotMigratedError):
        hint = str(error).split("; ", 1)[-1]
    elif isinstance(error, DatabaseURLError):
        hint = "fix INCIDENT_DATABASE_URL (sqlite:///path or postgresql://user@host:port/db?schema=NAME)"
    elif "InvalidSchemaName" in reason or ("schema" in reason and "does not exist" in reason):
        hint = "create the schema as its owner (CREATE SCHEMA ...), then run `incident migrate`"
    elif "no such table" in reason or ("relation" in reason and "does not exist" in reason):
        hint = "the store has no tables yet: run `incident migrate` (as the owner)"
    elif store_unavailable(error) or isinstance(error, StoreUnavailableError):
        hint = "the database cannot be reached now: is it running, and is INCIDENT_DATABASE_URL right?"
    else:
        hint = "see the server's log; nothing was changed by this command unless it said so"
    return f"incident: the store {where} cannot be used: {reason} — {hint}"


def check_store(database_url: str) -> None:
    """Connect once, and on PostgreSQL see that the schema exists: before a server starts listening, so
    that a store it cannot use is the one line above, not a failed start-up's traceback."""
    parts = urlsplit(database_url)
    engine = engine_for(database_url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            if parts.scheme != "sqlite":
                schema = postgres_schema(database_url)
                found = conn.execute(
                    text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": schema}
                ).first()
                if found is None:
                    raise SchemaMissingError(f'schema "{schema}" does not exist')
                check(conn)  # a schema behind this code is refused before the server listens
    finally:
        engine.dispose()
