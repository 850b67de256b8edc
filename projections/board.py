"""The shape every board has: a name, its tables, and how a batch of events changes them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from sqlalchemy import Connection, Engine, MetaData

from projections.logged import Logged


class Board(ABC):
    """A read model: `apply` changes its rows for a batch of events, inside the caller's transaction."""

    name: str
    metadata: MetaData

    @abstractmethod
    def apply(self, batch: Sequence[Logged], conn: Connection) -> None:
        """Change the board's rows for these events (in log order)."""

    def create(self, engine: Engine) -> None:
        self.metadata.create_all(engine)

    def drop(self, engine: Engine) -> None:
        self.metadata.drop_all(engine)

    def forget(self) -> None:  # noqa: B027  (an optional hook: most boards hold nothing in memory)
        """Drop anything held in memory (before a rebuild from position 0)."""
