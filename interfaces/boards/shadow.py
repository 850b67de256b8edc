"""Boards built beside the live ones, then swapped in within one transaction (or thrown away).

PostgreSQL: a schema beside the live one (`<schema>_rebuild`). SQLite: a file beside the database
(`<file>.rebuild`), attached for the swap. The swap copies the rows into the live tables, so the
tables themselves (and whatever was granted on them) stay; readers see the old boards or the new.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from sqlalchemy import (
    Connection,
    Engine,
    MetaData,
    Table,
    create_engine,
    delete,
    event,
    insert,
    inspect,
    select,
)

from interfaces.sql_engine import engine_for
from projections.board import Board
from projections.board_failure import clear_failure
from projections.board_failure import metadata as failure_metadata
from projections.tracking import board_tracking
from projections.tracking import metadata as tracking_metadata

ATTACHED = "rebuild"  # the shadow file's name while attached to the live database (SQLite)
SUFFIX = "_rebuild"


class ShadowBoards:
    """An empty copy of the boards' tables, for a rebuild; discarded on exit, swapped in on request."""

    def __init__(self, live: Engine, database_url: str) -> None:
        self._live = live
        parts = urlsplit(database_url)
        self._sqlite = parts.scheme == "sqlite"
        if self._sqlite:
            self._path = Path(parts.path.removeprefix("/") + ".rebuild")
            self._discard_file()  # what a rebuild that died half-way left behind
            self.engine = create_engine(f"sqlite:///{self._path}", hide_parameters=True)
            event.listen(self.engine, "connect", _scratch)
        else:
            query = parse_qs(parts.query)
            live_schema = query.get("schema", ["public"])[0]
            self._schema = f"{live_schema[: 63 - len(SUFFIX)]}{SUFFIX}"
            with live.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{self._schema}" CASCADE')
                conn.exec_driver_sql(f'CREATE SCHEMA "{self._schema}"')
            shadow_query = urlencode({**{k: v[0] for k, v in query.items()}, "schema": self._schema})
            self.engine = engine_for(urlunsplit(parts._replace(query=shadow_query)))
            event.listen(self.engine, "connect", _scratch_session)

    def __enter__(self) -> ShadowBoards:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.engine.dispose()
        if self._sqlite:
            self._discard_file()
        else:
            with self._live.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{self._schema}" CASCADE')

    def as_scratch(self, boards: Sequence[Board]) -> None:
        """Once the boards' tables are made in the shadow, strip what only their readers need.

        Their secondary indexes (by outlet, by incident) serve the boards' readers, and nothing reads
        the shadow: the live tables keep theirs, filled as the swap copies the rows in. On PostgreSQL
        the tables are also made unlogged: a crash loses their rows, and a rebuild cut short is thrown
        away anyway; the rows are logged when the swap copies them into the live tables.
        """
        with self.engine.begin() as conn:
            for board in boards:
                for table in board.metadata.sorted_tables:
                    for index in table.indexes:
                        if not index.unique and index.name is not None:
                            conn.exec_driver_sql(f"DROP INDEX {self._in_shadow(str(index.name))}")
                    if not self._sqlite:
                        conn.exec_driver_sql(f"ALTER TABLE {self._in_shadow(table.name)} SET UNLOGGED")

    def _in_shadow(self, name: str) -> str:
        return f'"{name}"' if self._sqlite else f'"{self._schema}"."{name}"'

    def swap_into_live(self, boards: Sequence[Board]) -> None:
        """Replace the live boards' rows and tracking with the shadow's, all in one transaction."""
        names = [board.name for board in boards]
        # The live tracking and failure tables must exist before the shadow is attached: on SQLite
        # an unqualified name that `main` lacks resolves to the attached file's table of that name.
        tracking_metadata.create_all(self._live)
        failure_metadata.create_all(self._live)
        live_tracking = self._live_table(board_tracking)
        with self._live.connect() as conn:
            if self._sqlite:
                conn.exec_driver_sql(f"ATTACH DATABASE ? AS {ATTACHED}", (str(self._path),))
                conn.commit()
            try:
                with conn.begin():
                    # The first statement writes: SQLite takes its write lock now and holds it to the end.
                    conn.execute(delete(live_tracking).where(live_tracking.c.board.in_(names)))
                    for board in boards:
                        for table in board.metadata.sorted_tables:
                            self._replace(conn, table)
                    shadow_tracking = self._shadow(board_tracking)
                    conn.execute(
                        insert(live_tracking).from_select(
                            ["board", "position"],
                            select(shadow_tracking.c.board, shadow_tracking.c.position).where(
                                shadow_tracking.c.board.in_(names)
                            ),
                        )
                    )
                    clear_failure(conn)  # whatever the projector reported is about the boards replaced
            finally:
                if self._sqlite:
                    conn.exec_driver_sql(f"DETACH DATABASE {ATTACHED}")
                    conn.commit()

    def _replace(self, conn: Connection, table: Table) -> None:
        schema = "main" if self._sqlite else None
        live = self._live_table(table)
        shadow = self._shadow(table)
        found = inspect(conn)
        if not found.has_table(table.name, schema=schema):
            live.create(conn)
        elif {c["name"] for c in found.get_columns(table.name, schema=schema)} != set(table.columns.keys()):
            live.drop(conn)  # of an older shape: the new release's boards replace it
            live.create(conn)
        else:
            conn.execute(delete(live))
        columns = list(table.columns.keys())
        conn.execute(insert(live).from_select(columns, select(*(shadow.c[name] for name in columns))))

    def _live_table(self, table: Table) -> Table:
        # SQLite: named in `main`, so that it can never resolve to the attached shadow's table.
        return table.to_metadata(MetaData(), schema="main") if self._sqlite else table

    def _shadow(self, table: Table) -> Table:
        return table.to_metadata(MetaData(), schema=ATTACHED if self._sqlite else self._schema)

    def _discard_file(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self._path}{suffix}").unlink(missing_ok=True)


def _scratch_session(dbapi_connection, _record):  # type: ignore[no-untyped-def]
    # PostgreSQL: a batch's commit need not wait for the disk (the rows are scratch until the swap).
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
    dbapi_connection.commit()


def _scratch(dbapi_connection, _record):  # type: ignore[no-untyped-def]
    # A scratch file, rebuilt from the log if lost: no need to wait for the disk on every commit, nor to
    # write every page twice (to a write-ahead log, then to the file); the journal in memory is enough
    # to roll a failed batch back. Only the rebuild uses it, so no reader waits on its writes.
    dbapi_connection.execute("PRAGMA journal_mode=MEMORY")
    dbapi_connection.execute("PRAGMA synchronous=OFF")
    dbapi_connection.execute("PRAGMA cache_size=-65536")  # KiB: the boards' indexes stay in memory
