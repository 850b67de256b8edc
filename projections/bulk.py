"""Many rows into one table in one driver-level executemany, each value bound as SQLAlchemy binds it.

Why not `conn.execute(insert(table), rows)`: for a batch of thousands of rows, SQLAlchemy's generic
parameter handling (a dict per row, looked up key by key, then processed) costs more than the
database's own work. Here each row is a tuple in the table's column order, and each column's own bind
processor (the type's, for this dialect: UTC datetimes, JSON) is applied to it, so exactly the same
values reach the database; the statement goes through `exec_driver_sql`, inside the caller's
transaction, with the engine's error handling (parameters hidden) as every other statement.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table

Processor = Callable[[Any], Any]
_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


class RowWriter:
    """Inserts rows, given as tuples in `table.columns` order, into `table`."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.columns = [column.name for column in table.columns]
        self._prepared: dict[type[Any], tuple[str, list[tuple[int, Processor]]]] = {}

    def insert(self, conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        statement, processors = self._prepare(conn)
        if processors:
            rows = [_processed(row, processors) for row in rows]
        conn.exec_driver_sql(statement, list(rows))

    def insert_mappings(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Inserts rows given as mappings by column name (every column named)."""
        self.insert(conn, [tuple(row[name] for name in self.columns) for row in rows])

    def _prepare(self, conn: Connection) -> tuple[str, list[tuple[int, Processor]]]:
        dialect = conn.dialect
        prepared = self._prepared.get(type(dialect))
        if prepared is None:
            quote = dialect.identifier_preparer
            placeholder = _PLACEHOLDERS[dialect.paramstyle]
            statement = (
                f"INSERT INTO {quote.format_table(self.table)} "
                f"({', '.join(quote.quote(name) for name in self.columns)}) "
                f"VALUES ({', '.join(placeholder for _ in self.columns)})"
            )
            processors: list[tuple[int, Processor]] = []
            for index, column in enumerate(self.table.columns):
                processor = column.type.dialect_impl(dialect).bind_processor(dialect)
                if processor is not None:
                    processors.append((index, processor))
            prepared = self._prepared[type(dialect)] = (statement, processors)
        return prepared


def _processed(row: tuple[Any, ...], processors: list[tuple[int, Processor]]) -> tuple[Any, ...]:
    values = list(row)
    for index, process in processors:
        values[index] = process(values[index])
    return tuple(values)
