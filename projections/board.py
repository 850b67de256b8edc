"""The shape every board has: a name, its tables, and how a batch of events changes them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from sqlalchemy import Connection, Engine, MetaData, inspect

from projections.logged import Logged


class Board(ABC):
    """A read model: `apply` changes its rows for a batch of events, inside the caller's transaction."""

    name: str
    metadata: MetaData

    @abstractmethod
    def apply(self, batch: Sequence[Logged], conn: Connection) -> None:
        """Change the board's rows for these events (in log order)."""

    def create(self, engine: Engine) -> bool:
        """Create the board's tables; True if tables of an older shape had to be dropped first.

        A board is derived data: when its shape changes (a new release), it is rebuilt from the log.
        """
        existing = inspect(engine)
        stale = any(
            existing.has_table(table.name)
            and {c["name"] for c in existing.get_columns(table.name)} != set(table.columns.keys())
            for table in self.metadata.sorted_tables
        )
        if stale:
            self.metadata.drop_all(engine)
        self.metadata.create_all(engine)
        return stale

    def drop(self, engine: Engine) -> None:
        self.metadata.drop_all(engine)

    def forget(self) -> None:  # noqa: B027  (an optional hook: most boards hold nothing in memory)
        """Drop anything held in memory (before a rebuild from position 0)."""
