"""Notifications out (issue 14): the log is the outbox, every delivery is on the record.

The notifier policy decides from the log which rule an event matches and records on the incident a
`NotificationDue` per channel, with a delivery id derived from the trigger's log position, the rule
and the channel: a replay, or a second worker, records it once. The delivery worker (`Deliveries`,
its own thread under the same leader lock, never on the request path) sends what is due and not
settled and records `NotificationDelivered`, `NotificationFailed` (with the next try, backing off
exponentially) or `NotificationGivenUp`. After a restart what is due and unsettled is sent again
with the same delivery id, so a receiver can drop the copy it already has.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from application.incident_desk import IncidentDesk
from application.log_tail import LoggedEvent
from application.policies.base import Incident, Policy, decoded, encoded, is_event_of
from application.policies.settings import PolicySettings
from domain.complaint import Complaint
from domain.emergency import Emergency
from domain.errors import DomainError
from domain.incident import Incident as IncidentBase
from domain.level import Level
from domain.organisation import Organisation
from domain.outlet_queue import OutletQueue
from domain.values import Actor, Role

log = logging.getLogger(__name__)

# What a rule can be triggered by.
RAISED = "raised"  # reported at, or raised to, the rule's level or above
DEADLINE = "deadline"  # a complaint about to fall due (the complaint clock's warning)
IDLE = "idle"  # passive waiting (被动等待) flagged
SURGE = "surge"  # a customer surge opened an emergency
TRIGGERS = frozenset({RAISED, DEADLINE, IDLE, SURGE})
TRIGGER_LABELS = {
    RAISED: "预警 Raised",
    DEADLINE: "时限预警 Deadline near",
    IDLE: "被动等待 Idle too long",
    SURGE: "客流激增 Customer surge",
}
SUMMARY_CHARS = 80


@dataclass(frozen=True)
class NotificationRule:
    """Who hears of what: triggers, the lowest level, the units (subtrees; none: all) and the channels."""

    name: str
    triggers: frozenset[str]
    channels: tuple[str, ...]
    min_level: Level = Level.BLUE
    units: tuple[str, ...] = ()
    window: timedelta = timedelta(minutes=30)  # one message per incident and rule within it


# Sends one message on the named channel; answers the receiver's reply, raises on any failure.
Send = Callable[[str, str, Mapping[str, Any]], str]


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
    ) -> None:
        self.rules = tuple(rules)
        self.organisation = organisation
        self.base_url = base_url.rstrip("/")
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
        link = f"{self.base_url}/incidents/{incident.id}" if self.base_url else f"/incidents/{incident.id}"
        return "\n".join(
            (
                f"【{level.label('zh')}】{TRIGGER_LABELS[trigger]} · {outlet_zh} ({incident.outlet}) · {kind.label('zh')}",
                f"[{level.label('en')}] {outlet_en} · {kind.label('en')}",
                summary,
                link,
            )
        )


@dataclass
class Pending:
    """A notification due and not settled, as the log has it (and the attempts made since)."""

    incident_id: UUID
    delivery_id: str
    channel: str
    rule: str
    message: str
    attempts: int = 0
    next_at: datetime | None = None  # None: at once


@dataclass
class Deliveries:
    """The delivery worker: learns from the log what is due, sends it, records how it went.

    Fed the log by `handle` (from position 0 at every start: it keeps only what is unsettled) and
    driven by `run_once(now)`; `start` runs both on a thread of its own while `leader` is held.
    """

    desk: IncidentDesk
    send: Send
    max_attempts: int = 5
    first_retry: timedelta = timedelta(seconds=30)
    max_retry: timedelta = timedelta(hours=1)
    actor: Actor = field(
        default_factory=lambda: Actor(id="policy:notifier", role=Role.SYSTEM, unit="HQ", name="通知 Notifier")
    )
    pending: dict[str, Pending] = field(default_factory=dict)

    def handle(self, logged: LoggedEvent) -> None:
        event: Any = logged.event
        if isinstance(event, IncidentBase.NotificationDue):
            self.pending.setdefault(
                event.delivery_id,
                Pending(event.originator_id, event.delivery_id, event.channel, event.rule, event.message),
            )
        elif isinstance(event, IncidentBase.NotificationFailed):
            known = self.pending.get(event.delivery_id)
            if known is not None and event.attempt >= known.attempts:
                known.attempts, known.next_at = event.attempt, event.retry_at
        elif isinstance(event, IncidentBase.NotificationDelivered | IncidentBase.NotificationGivenUp):
            self.pending.pop(event.delivery_id, None)

    def run_once(self, now: datetime) -> int:
        """Send every pending notification whose time has come; how many were tried."""
        tried = 0
        for item in list(self.pending.values()):
            if item.next_at is not None and item.next_at > now:
                continue
            tried += 1
            self._attempt(item, now)
        return tried

    def _attempt(self, item: Pending, now: datetime) -> None:
        attempt = item.attempts + 1
        payload = {"incident_id": str(item.incident_id), "rule": item.rule, "text": item.message}
        try:
            answer = self.send(item.channel, item.delivery_id, payload)
        except Exception as error:  # any failure of a channel is a failed attempt, on the record
            text = str(error) or type(error).__name__
            if attempt >= self.max_attempts:
                self._record(
                    item,
                    attempt,
                    "given-up",
                    lambda kind: kind.record_notification_given_up(
                        delivery_id=item.delivery_id, channel=item.channel, attempts=attempt, error=text
                    ),
                )
                self.pending.pop(item.delivery_id, None)
                return
            retry_at = now + min(self.first_retry * 2 ** (attempt - 1), self.max_retry)
            self._record(
                item,
                attempt,
                "failed",
                lambda kind: kind.record_notification_failed(
                    delivery_id=item.delivery_id,
                    channel=item.channel,
                    attempt=attempt,
                    error=text,
                    retry_at=retry_at,
                ),
            )
            item.attempts, item.next_at = attempt, retry_at
            return
        self._record(
            item,
            attempt,
            "delivered",
            lambda kind: kind.record_notification_delivered(
                delivery_id=item.delivery_id, channel=item.channel, attempt=attempt, answer=answer
            ),
        )
        self.pending.pop(item.delivery_id, None)

    def _record(self, item: Pending, attempt: int, outcome: str, command: Callable[[Any], Any]) -> None:
        kind = type(self.desk.get_incident(item.incident_id))
        try:
            self.desk.act(
                item.incident_id,
                command(kind),
                actor=self.actor,
                occurred_at=None,
                command_id=f"notify:{item.delivery_id}:{attempt}:{outcome}",
            )
        except DomainError as error:  # settled meanwhile (another worker's record): nothing to add
            log.debug("notification %s: %s", item.delivery_id, error.message)


class DeliveryThread:
    """Runs `Deliveries` on its own thread: follows the log, sends every `poll_seconds` while leading."""

    def __init__(
        self,
        deliveries: Deliveries,
        follow: Callable[[int], list[LoggedEvent]],
        clock: Callable[[], datetime],
        poll_seconds: float = 1.0,
        leading: Callable[[], bool] = lambda: True,
    ) -> None:
        self._deliveries = deliveries
        self._follow = follow
        self._clock = clock
        self._poll = poll_seconds
        self._leading = leading
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.position = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="notify-delivery", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self._leading():
                    for logged in self._follow(self.position):
                        self._deliveries.handle(logged)
                        self.position = logged.position
                    self._deliveries.run_once(self._clock())
            except Exception:
                log.exception("notification delivery failed; trying again")
            self._stop.wait(self._poll)


def logged_after(desk: IncidentDesk, position: int, limit: int = 500) -> list[LoggedEvent]:
    """The next events of the log after `position` (at most `limit`), decoded."""
    found = desk.recorder.select_notifications(start=position + 1, limit=limit)
    return [LoggedEvent(position=n.id, event=desk.mapper.to_domain_event(n)) for n in found]
