"""What the feed needs to know of each incident to label and filter its events."""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from domain.complaint import Complaint
from domain.emergency import Emergency
from domain.level import Level


@dataclass
class IncidentFacts:
    """An incident's type, outlet and drill flag, and its level after each level-changing version."""

    incident_type: str
    outlet: str
    exercise: bool
    level_versions: list[int] = field(default_factory=list)
    levels: list[Level] = field(default_factory=list)

    def level_at(self, version: int) -> Level:
        return self.levels[max(0, bisect.bisect_right(self.level_versions, version) - 1)]


class IncidentIndex:
    """Built from the log in order; tells an event's incident type, outlet and level at its version."""

    def __init__(self) -> None:
        self._facts: dict[UUID, IncidentFacts] = {}
        self._lock = threading.Lock()

    def learn(self, event: Any) -> None:
        if isinstance(event, Complaint.Reported | Emergency.Reported):
            kind = "complaint" if isinstance(event, Complaint.Reported) else "emergency"
            facts = IncidentFacts(kind, event.outlet, event.exercise, [1], [event.level])
            with self._lock:
                self._facts[event.originator_id] = facts
            return
        level = getattr(event, "level", None)
        if isinstance(level, Level):  # LevelChanged, Escalated with a level
            with self._lock:
                known = self._facts.get(event.originator_id)
                if known is not None:
                    known.level_versions.append(event.originator_version)
                    known.levels.append(level)

    def facts(self, incident_id: UUID) -> IncidentFacts | None:
        with self._lock:
            return self._facts.get(incident_id)
