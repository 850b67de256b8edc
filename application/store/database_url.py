"""Turns a database URL into the eventsourcing environment that builds the incident store."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

SQLITE_FACTORY = "application.store.sqlite_store:IncidentSQLiteFactory"
POSTGRES_FACTORY = "application.store.postgres_pool:RecoveringPostgresFactory"

# A client typically gives up on a request after 5 s. The store gives up well before that (waiting
# for a pooled connection, connecting, waiting for a lock or for SQLite's write lock), so the request
# is answered 503 while the client still listens, and a command it abandoned is never committed later.
STORE_WAIT_SECONDS = 2


class DatabaseURLError(ValueError):
    """The database URL names no store this product can use."""


def redacted(database_url: str) -> str:
    """The URL with any password replaced by `***`: the form to print or log."""
    parts = urlsplit(database_url)
    if parts.password is None:
        return database_url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


# A schema's name as PostgreSQL keeps an unquoted one: lower case (a search_path of `NewOne` would
# look for `newone`), so that the name in the URL is the name of the schema, everywhere it is used.
SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def postgres_schema(database_url: str) -> str:
    """The schema a PostgreSQL URL names (`?schema=`, default public); DatabaseURLError if malformed."""
    schema = parse_qs(urlsplit(database_url).query).get("schema", ["public"])[0]
    if not SCHEMA_NAME.fullmatch(schema):
        raise DatabaseURLError(
            f"database URL {redacted(database_url)!r}: schema {schema!r} must be lower-case letters, digits "
            "and _, at most 63, not starting with a digit"
        )
    return schema


def store_env(database_url: str) -> dict[str, str]:
    """`sqlite:///var/incident.db` (relative), `sqlite:////abs/path.db`, or `postgresql://user@host/db`.

    A PostgreSQL URL may carry `?schema=NAME`; the schema must exist.
    """
    parts = urlsplit(database_url)
    if parts.scheme == "sqlite":
        path = unquote(parts.path.removeprefix("/"))
        if not path:
            raise DatabaseURLError(f"database URL {redacted(database_url)!r} names no SQLite file")
        return {
            "PERSISTENCE_MODULE": SQLITE_FACTORY,
            "SQLITE_DBNAME": path,
            # How long a write waits for another connection's write lock before "database is locked".
            "SQLITE_LOCK_TIMEOUT": str(STORE_WAIT_SECONDS),
            # The embedded store has one server process: its cache is current without asking the
            # store on every load. A write from elsewhere still cannot be lost: the stale copy fails
            # to append (version conflict), is forgotten, and the command is checked again.
            "AGGREGATE_CACHE_FASTFORWARD": "n",
        }
    if parts.scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        dbname = unquote(parts.path.removeprefix("/"))
        if not (parts.hostname and dbname):
            raise DatabaseURLError(
                f"database URL {redacted(database_url)!r} needs a host and a database name"
            )
        schema = postgres_schema(database_url)
        return {
            "PERSISTENCE_MODULE": POSTGRES_FACTORY,
            "POSTGRES_HOST": parts.hostname,
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_DBNAME": dbname,
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_SCHEMA": schema,
            # A server restart or a dropped connection is noticed before a pooled connection is used.
            "POSTGRES_PRE_PING": "y",
            "POSTGRES_LOCK_TIMEOUT": str(STORE_WAIT_SECONDS),
            # The library's name for how long a request waits for a pooled connection.
            "POSTGRES_CONNECT_TIMEOUT": str(STORE_WAIT_SECONDS),
        }
    raise DatabaseURLError(
        f"database URL {redacted(database_url)!r}: scheme {parts.scheme!r} is not sqlite or postgresql"
    )
