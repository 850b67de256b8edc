"""One SQLAlchemy engine on the product's database, for the tables beside the event log."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit, urlunsplit

from sqlalchemy import Engine, create_engine, event


def engine_for(database_url: str) -> Engine:
    """The same database the event store uses (SQLite file, or a PostgreSQL schema)."""
    parts = urlsplit(database_url)
    if parts.scheme == "sqlite":
        engine = create_engine(f"sqlite:///{parts.path.removeprefix('/')}")

        @event.listens_for(engine, "connect")
        def _wal(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            # Share the event store's journal mode and wait on its writers instead of failing.
            dbapi_connection.execute("PRAGMA journal_mode=WAL")
            dbapi_connection.execute("PRAGMA busy_timeout=30000")

        return engine
    schema = parse_qs(parts.query).get("schema", ["public"])[0]
    bare = urlunsplit(("postgresql+psycopg", parts.netloc, parts.path, "", ""))
    return create_engine(bare, connect_args={"options": f"-csearch_path={schema}"}, pool_pre_ping=True)
