"""Passive waiting (被动等待, the first of the five taboos): flag an open incident nobody works."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from application.log_tail import LoggedEvent
from application.policies.base import Incident, Policy, decoded, encoded, stable
from domain.incident_type import IncidentType


class PassiveWaitingPolicy(Policy):
    """Flags an incident once per idle stretch: no activity for `complaint_idle_after` (a complaint)
    or `emergency_idle_after` (an emergency still open, not stood down).

    Drills are watched too: an exercise left waiting is a lesson of the exercise. The flag goes as
    soon as someone records anything on the incident; what the system records does not count.
    """

    name = "passive-waiting"
    title = "被动等待 Passive waiting"
    memory_version = 1

    def reset(self) -> None:
        self._flagged: dict[UUID, datetime] = {}
        self._changed: set[UUID] = set()

    def remembered(self) -> dict[str, bytes | None]:
        changes = {
            str(i): encoded(self._flagged[i].isoformat()) if i in self._flagged else None
            for i in self._changed
        }
        self._changed.clear()
        return changes

    def recall(self, key: str, body: bytes) -> None:
        self._flagged[UUID(key)] = datetime.fromisoformat(decoded(body))

    def handle(self, logged: LoggedEvent) -> None:
        incident_id = logged.event.originator_id
        if self.open_incidents.get(incident_id) is None and incident_id in self._flagged:
            del self._flagged[incident_id]
            self._changed.add(incident_id)

    def tick(self, now: datetime) -> None:
        for incident in self.open_incidents:
            threshold = self._threshold(incident)
            idle_since = incident.last_event_at
            if threshold is None or now - idle_since < threshold:
                continue
            if idle_since in (incident.idle_flagged_since, self._flagged.get(incident.id)):
                continue
            # The incident refuses an idle_since that is no longer its last activity.
            done = self.act(
                incident.id,
                type(incident).flag_idle(idle_since=idle_since),
                f"policy:{self.name}:{incident.id}:{stable(idle_since)}",
            )
            if done is not None:
                self._flagged[incident.id] = idle_since
                self._changed.add(incident.id)

    def _threshold(self, incident: Incident) -> timedelta | None:
        if incident.TYPE is IncidentType.COMPLAINT:
            idle_after = self.settings.complaint_idle_after
        else:
            idle_after = self.settings.emergency_idle_after
        # Only a closed or stood-down incident is not open; a closed one is not in open_incidents.
        return idle_after if incident.is_open else None
