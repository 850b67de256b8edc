"""Many rows into one table at once, each value processed exactly as SQLAlchemy would bind it.

Why not `conn.execute(insert(table), rows)`: for a batch of thousands of rows, SQLAlchemy's generic
parameter handling (a dict per row, looked up key by key, then processed) costs more than the
database's own work. Here each row is a tuple in the table's column order, each column's own bind
processor (the type's, for this dialect: UTC datetimes, JSON) is applied to it, so the same values
reach the database; the statement goes through `exec_driver_sql`, inside the caller's transaction,
with the engine's error handling (parameters hidden) like every other statement. SQLite takes the rows
as one executemany of a prepared statement. PostgreSQL takes them as a COPY on the transaction's own
connection (psycopg formats each row in C): a multi-row VALUES list has a placeholder per value, which
psycopg parses in Python (half the rebuild's time), an executemany is one statement per row, and
arrays for unnest() are formatted in Python too. COPY checks every constraint an INSERT checks. A few
rows (the live boards' batches) go as one INSERT: a COPY costs one more round trip.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Dialect, Table

Processor = Callable[[Any], Any]
COPY_AT_LEAST = 32  # rows: fewer go to PostgreSQL as one INSERT


class RowWriter:
    """Inserts rows, given as tuples in `table.columns` order, into `table`."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.columns = [column.name for column in table.columns]
        self._prepared: dict[type[Any], _Prepared] = {}

    def insert(self, conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
        if rows:
            self._prepare(conn.dialect).insert(conn, rows)

    def insert_mappings(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Inserts rows given as mappings by column name (every column named)."""
        self.insert(conn, [tuple(row[name] for name in self.columns) for row in rows])

    def _prepare(self, dialect: Dialect) -> _Prepared:
        # By dialect class: every engine here uses its dialect's default serialisers.
        prepared = self._prepared.get(type(dialect))
        if prepared is None:
            prepared = self._prepared[type(dialect)] = _Prepared(self.table, dialect)
        return prepared


class _Prepared:
    """The statement and the bind processors of one table on one dialect."""

    def __init__(self, table: Table, dialect: Dialect) -> None:
        quote = dialect.identifier_preparer
        columns = ", ".join(quote.quote(column.name) for column in table.columns)
        marks = ", ".join("?" for _ in table.columns)
        self._processors: list[tuple[int, Processor]] = []
        for index, column in enumerate(table.columns):
            processor = column.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self._processors.append((index, processor))
        self._copy = dialect.name == "postgresql"
        self._insert = f"INSERT INTO {quote.format_table(table)} ({columns}) VALUES "
        if self._copy:
            self._statement = f"COPY {quote.format_table(table)} ({columns}) FROM STDIN"
            self._row = f"({', '.join('%s' for _ in table.columns)})"
        elif dialect.paramstyle == "qmark":
            self._statement = f"{self._insert}({marks})"
        else:
            raise NotImplementedError(f"bulk inserts on {dialect.name} ({dialect.paramstyle})")

    def insert(self, conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
        if self._processors:
            rows = [_processed(row, self._processors) for row in rows]
        if not self._copy:
            conn.exec_driver_sql(self._statement, list(rows))
        elif len(rows) < COPY_AT_LEAST:
            # The live boards' small batches: a COPY costs a round trip more than an INSERT.
            values = tuple(value for row in rows for value in row)
            conn.exec_driver_sql(self._insert + ", ".join([self._row] * len(rows)), values)
        else:
            self._copy_in(conn, rows)

    def _copy_in(self, conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
        # The driver's own connection, in the transaction SQLAlchemy has open on it.
        driver: Any = conn.connection.driver_connection
        with driver.cursor() as cursor, cursor.copy(self._statement) as copy:
            for row in rows:
                copy.write_row(row)


def _processed(row: tuple[Any, ...], processors: list[tuple[int, Processor]]) -> tuple[Any, ...]:
    values = list(row)
    for index, process in processors:
        values[index] = process(values[index])
    return tuple(values)
