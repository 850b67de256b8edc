"""What the live feed knows of each incident, learnt from the log in order, to label its events.

At start it comes back from the feed-index board (its facts table as of its tracked position), so
the feed's reader follows the log from there instead of from position 0.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Engine, select

from domain.level import Level
from projections.feed_index import BOARD, feed_incidents
from projections.feed_messages import FeedFacts, facts_after
from projections.tracking import tracked_position


@dataclass
class IncidentFacts:
    """An incident's facts after each version that changed them (its report, then level changes)."""

    level_versions: list[int] = field(default_factory=list)
    levels: list[FeedFacts] = field(default_factory=list)

    def at(self, version: int) -> FeedFacts:
        """The facts as of `version` (an event older than the last level change gets its own level)."""
        return self.levels[max(0, bisect.bisect_right(self.level_versions, version) - 1)]


class IncidentIndex:
    """Built from the log in order by the feed's one reader; read by replays of the log's tail too."""

    def __init__(self) -> None:
        self._facts: dict[UUID, IncidentFacts] = {}
        self._lock = threading.Lock()
        self.position = 0  # the log position whose facts it holds, all events up to it learnt

    def restore(self, engine: Engine) -> int:
        """Take the facts the feed-index board holds, as of its position; returns that position.

        Every event after it has a later version than any event before it, so a restored fact
        labels every event still to come (it stands as of version 0).
        """
        with _snapshot(engine) as conn:
            position = tracked_position(conn, BOARD)
            rows = conn.execute(select(feed_incidents)).all() if position else []
        facts = {
            UUID(row.incident_id): IncidentFacts(
                [0], [FeedFacts(row.incident_type, row.outlet, bool(row.exercise), Level(row.level))]
            )
            for row in rows
        }
        with self._lock:
            self._facts = facts
            self.position = position
        return position

    def learn(self, event: Any) -> None:
        with self._lock:
            known = self._facts.get(event.originator_id)
            after = facts_after(event, known.levels[-1] if known else None)
            if after is None:
                return
            if known is None:
                self._facts[event.originator_id] = IncidentFacts([event.originator_version], [after])
            elif after != known.levels[-1]:
                known.level_versions.append(event.originator_version)
                known.levels.append(after)

    def facts(self, incident_id: UUID, version: int) -> FeedFacts | None:
        with self._lock:
            known = self._facts.get(incident_id)
            return None if known is None else known.at(version)


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection whose reads all see the database at one moment (the position and its rows)."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            # pysqlite begins no transaction for a read: begin one, so both reads share its snapshot.
            conn.exec_driver_sql("BEGIN")
            try:
                yield conn
            finally:
                conn.rollback()
        return
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
        yield conn
