"""What the live feed knows of each incident, learnt from the log in order, to label its events."""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from projections.feed_messages import FeedFacts, facts_after


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
