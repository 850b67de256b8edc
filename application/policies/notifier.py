"""Notifications out (issue 14): the log is the outbox, every delivery is on the record.

The notifier policy decides from the log which rule an event matches and records on the incident a
`NotificationDue` per channel, with a delivery id derived from the trigger's log position, the rule
and the channel: a replay, or a second worker, records it once. The delivery worker
(application/policies/deliveries.py) sends what is due and records how it went.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from application.incident_desk import IncidentDesk
from application.log_tail import LoggedEvent
from application.policies.base import Incident, Policy, decoded, encoded, is_event_of
from application.policies.settings import PolicySettings
from domain.complaint import Complaint
from domain.emergency import Emergency
from domain.incident import Incident as IncidentBase
from domain.level import Level
from domain.organisation import Organisation
from domain.outlet_queue import OutletQueue

# What a rule can be triggered by.
RAISED = "raised"  # reported at, or raised to, the rule's level or above
DEADLINE = "deadline"  # a complaint about to fall due (the complaint clock's warning)
OVERDUE = "overdue"  # a complaint past its due time (the complaint clock's escalation to the office)
IDLE = "idle"  # passive waiting (被动等待) flagged
SURGE = "surge"  # a customer surge opened an emergency
# (Playbook actions carry no due time in the domain, so there is no "overdue action" to notify: an
# emergency nobody works is what `idle` notifies.)
TRIGGER_LABELS: dict[str, tuple[str, str]] = {
    RAISED: ("新报或升级", "Reported or raised"),
    DEADLINE: ("即将超时", "Deadline near"),
    OVERDUE: ("已超时限", "Past its due time"),
    IDLE: ("被动等待", "Idle too long"),
    SURGE: ("客流激增", "Customer surge"),
}
TRIGGERS = frozenset(TRIGGER_LABELS)
SUMMARY_CHARS = 80
# Who escalates an overdue complaint (application/policies/complaint_clock.py records as this actor).
COMPLAINT_CLOCK_ACTOR = "policy:complaint-clock"
# An event older than this when the notifier reads it is not notified: a rules file added to a
# deployment with a long log does not send the past, and a worker back after an outage sends what
# is still news.
MAX_AGE = timedelta(hours=24)


@dataclass(frozen=True)
class NotificationRule:
    """Who hears of what: triggers, the lowest level, the units (subtrees; none: all) and the channels."""

    name: str
    triggers: frozenset[str]
    channels: tuple[str, ...]
    min_level: Level = Level.BLUE
    units: tuple[str, ...] = ()
    window: timedelta = timedelta(minutes=30)  # one message per incident and rule within it


class NotifierPolicy(Policy):
    """Records a `NotificationDue` per channel for each event a rule matches (at most once per window)."""

    name = "notifier"
    title = "通知 Notifier"
    memory_version = 1

    def __init__(
        self,
        desk: IncidentDesk,
        settings: PolicySettings,
        rules: Iterable[NotificationRule],
        organisation: Organisation | None = None,
        base_url: str = "",
        max_age: timedelta | None = MAX_AGE,
    ) -> None:
        self.rules = tuple(rules)
        self.organisation = organisation
        self.base_url = base_url.rstrip("/")
        self.max_age = max_age
        super().__init__(desk, settings)

    def reset(self) -> None:
        self._last: dict[str, datetime] = {}  # f"{incident}|{rule}" -> when it last notified
        self._changed: set[str] = set()

    def remembered(self) -> dict[str, bytes | None]:
        changes = {k: encoded(self._last[k].isoformat()) if k in self._last else None for k in self._changed}
        self._changed.clear()
        return changes

    def recall(self, key: str, body: bytes) -> None:
        self._last[key] = datetime.fromisoformat(decoded(body))

    def handle(self, logged: LoggedEvent) -> None:
        event: Any = logged.event
        trigger, incident = self._trigger(event)
        if trigger is None or incident is None:
            return
        at: datetime = event.timestamp
        if self.max_age is not None and self.desk.clock() - at > self.max_age:
            return  # old news (read again from 0, or a rules file new to a long log)
        for rule in self.rules:
            if not self._matches(rule, trigger, incident):
                continue
            key = f"{incident.id}|{rule.name}"
            last = self._last.get(key)
            if last is not None and at - last < rule.window:
                continue  # suppressed: this incident was notified under this rule a moment ago
            self._last[key] = at
            self._changed.add(key)
            message = self.message(incident, trigger)
            for channel in rule.channels:
                delivery_id = f"{logged.position}:{rule.name}:{channel}"
                self.act(
                    incident.id,
                    type(incident).record_notification_due(
                        delivery_id=delivery_id, channel=channel, rule=rule.name, message=message
                    ),
                    f"policy:{self.name}:{delivery_id}",
                )

    def _trigger(self, event: Any) -> tuple[str | None, Incident | None]:
        if isinstance(event, OutletQueue.SurgeOpened):
            return SURGE, self.open_incidents.get(event.emergency_id)
        if not isinstance(event, IncidentBase.Event):
            return None, None
        if not any(is_event_of(kind, event) for kind in (Complaint, Emergency)):
            return None, None
        incident = self.open_incidents.get(event.originator_id)
        if isinstance(event, IncidentBase.Reported):
            return RAISED, incident
        if isinstance(event, IncidentBase.LevelChanged) and event.level.rank > event.previous.rank:
            return RAISED, incident
        if isinstance(event, Complaint.Escalated):
            if event.actor.id == COMPLAINT_CLOCK_ACTOR:
                return OVERDUE, incident
            return (RAISED, incident) if event.level is not None else (None, None)
        if isinstance(event, Complaint.DeadlineWarned):
            return DEADLINE, incident
        if isinstance(event, IncidentBase.IdleFlagged):
            return IDLE, incident
        return None, None

    def _matches(self, rule: NotificationRule, trigger: str, incident: Incident) -> bool:
        if trigger not in rule.triggers or incident.level.rank < rule.min_level.rank:
            return False
        if not rule.units:
            return True
        if self.organisation is None:
            return incident.outlet in rule.units
        return any(
            unit in self.organisation and incident.outlet in self.organisation.subtree(unit)
            for unit in rule.units
        )

    def message(self, incident: Incident, trigger: str) -> str:
        """The message, in Chinese and English, with no personal data: level, outlet, kind, summary, link."""
        outlet = self.organisation.get(incident.outlet) if self.organisation is not None else None
        outlet_zh = outlet.label("zh") if outlet is not None else incident.outlet
        outlet_en = outlet.label("en") if outlet is not None else incident.outlet
        level, kind = incident.level, incident.kind_label
        summary = (
            incident.summary
            if len(incident.summary) <= SUMMARY_CHARS
            else incident.summary[:SUMMARY_CHARS] + "…"
        )
        zh, en = TRIGGER_LABELS[trigger]
        drill = ("【演练】", "[EXERCISE] ") if incident.exercise else ("", "")
        return "\n".join(
            (
                f"{drill[0]}【{level.label('zh')}】{zh} · {outlet_zh} ({incident.outlet}) · {kind.label('zh')}",
                f"{drill[1]}[{level.label('en')}] {en} · {outlet_en} · {kind.label('en')}",
                summary,
                incident_link(self.base_url, incident.id),
            )
        )


def incident_link(base_url: str, incident_id: Any) -> str:
    """Where the web board opens the incident's detail view (the board's own `#incident=` address)."""
    return f"{base_url.rstrip('/')}/#incident={incident_id}"
