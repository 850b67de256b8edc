"""One SQLAlchemy engine on the product's database, for the tables beside the event log."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import Engine, create_engine, event

from application.store.database_url import STORE_WAIT_SECONDS, postgres_schema


def engine_for(database_url: str, *, durable: bool = True) -> Engine:
    """The same database the event store uses (SQLite file, or a PostgreSQL schema).

    Its errors never carry the statement's parameters (token hashes among them) into a log line.
    `durable=False` is for the read models (boards and their tracking, the policies' checkpoint):
    a commit returns before it is on disk. Each of their transactions holds rows and position
    together, so one lost in a power cut is projected again from the log, which stays durable; and
    the store's durable appends, later in the same write-ahead log, make them durable too. It saves
    the read models' fsyncs, which otherwise queue beside every command's own.
    """
    parts = urlsplit(database_url)
    if parts.scheme == "sqlite":
        engine = create_engine(f"sqlite:///{parts.path.removeprefix('/')}", hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _wal(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            # Share the event store's journal mode, and wait on its writers as long as it waits on ours.
            dbapi_connection.execute("PRAGMA journal_mode=WAL")
            dbapi_connection.execute(f"PRAGMA busy_timeout={STORE_WAIT_SECONDS * 1000}")
            if not durable:
                dbapi_connection.execute("PRAGMA synchronous=NORMAL")

        return engine
    schema = postgres_schema(database_url)
    bare = urlunsplit(("postgresql+psycopg", parts.netloc, parts.path, "", ""))
    options = f"-csearch_path={schema}" + ("" if durable else " -csynchronous_commit=off")
    return create_engine(
        bare,
        connect_args={"options": options, "connect_timeout": STORE_WAIT_SECONDS},
        # A restarted server's dead connections are found (and all replaced) before one is used.
        pool_pre_ping=True,
        pool_timeout=STORE_WAIT_SECONDS,
        hide_parameters=True,
    )
