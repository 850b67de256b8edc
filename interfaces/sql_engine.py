"""One SQLAlchemy engine on the product's database, for the tables beside the event log."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit, urlunsplit

from sqlalchemy import Engine, create_engine, event

from application.store.database_url import STORE_WAIT_SECONDS


def engine_for(database_url: str) -> Engine:
    """The same database the event store uses (SQLite file, or a PostgreSQL schema).

    Its errors never carry the statement's parameters (token hashes among them) into a log line.
    """
    parts = urlsplit(database_url)
    if parts.scheme == "sqlite":
        engine = create_engine(f"sqlite:///{parts.path.removeprefix('/')}", hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _wal(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            # Share the event store's journal mode, and wait on its writers as long as it waits on ours.
            dbapi_connection.execute("PRAGMA journal_mode=WAL")
            dbapi_connection.execute(f"PRAGMA busy_timeout={STORE_WAIT_SECONDS * 1000}")

        return engine
    schema = parse_qs(parts.query).get("schema", ["public"])[0]
    bare = urlunsplit(("postgresql+psycopg", parts.netloc, parts.path, "", ""))
    return create_engine(
        bare,
        connect_args={"options": f"-csearch_path={schema}", "connect_timeout": STORE_WAIT_SECONDS},
        # A restarted server's dead connections are found (and all replaced) before one is used.
        pool_pre_ping=True,
        pool_timeout=STORE_WAIT_SECONDS,
        hide_parameters=True,
    )
