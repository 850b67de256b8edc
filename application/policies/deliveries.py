"""The delivery worker: sends what the notifier recorded as due, and records how it went.

`Deliveries` learns from the log what is due and not settled, sends it (each channel on a thread of
its own, so one receiver that hangs does not hold up another's) and records `NotificationDelivered`,
`NotificationFailed` (with the next try, backing off exponentially) or `NotificationGivenUp`.
`DeliveryThread` runs it off the request path, under the boards' leader lock: of all the workers
on one database only the leader sends. It reads only the notification events of the log, from 0 at
every start and every time it takes the lead, so what is due and unsettled after a restart is sent
again, with the same delivery id, so that a receiver can drop the copy it already has.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.utils import get_topic

from application.failure import describe
from application.incident_desk import IncidentDesk
from application.log_tail import LoggedEvent
from domain.complaint import Complaint
from domain.emergency import Emergency
from domain.errors import AlreadyDoneError, DomainError
from domain.incident import Incident as IncidentBase
from domain.values import Actor, Role

log = logging.getLogger(__name__)

# Sends one message on the named channel; answers the receiver's reply, raises on any failure.
Send = Callable[[str, str, Mapping[str, Any]], str]

# The only events the worker reads: the log's other events are none of its business.
NOTIFICATION_TOPICS = tuple(
    get_topic(getattr(kind, name))
    for kind in (Complaint, Emergency)
    for name in ("NotificationDue", "NotificationDelivered", "NotificationFailed", "NotificationGivenUp")
)
# The worker wakes when a notification event commits (the store's subscription); without one it
# looks this often anyway (a subscription lost and not yet back).
POLL_SECONDS = 1.0
STANDBY_SECONDS = 1.0
READ_LIMIT = 500
CHANNEL_THREADS = 8


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
    """What is due and unsettled, learnt from the log by `handle`; `run_once(now)` sends what is due now."""

    desk: IncidentDesk
    send: Send
    max_attempts: int = 5
    first_retry: timedelta = timedelta(seconds=30)
    max_retry: timedelta = timedelta(hours=1)
    actor: Actor = field(
        default_factory=lambda: Actor(id="policy:notifier", role=Role.SYSTEM, unit="HQ", name="通知 Notifier")
    )
    pending: dict[str, Pending] = field(default_factory=dict)
    _stopping: threading.Event | None = field(default=None, init=False, repr=False)

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

    def next_due(self) -> datetime | None:
        """When the next retry falls due (None: nothing waits for a time)."""
        waiting = [item.next_at for item in self.pending.values() if item.next_at is not None]
        return min(waiting, default=None)

    def run_once(self, now: datetime, stopping: threading.Event | None = None) -> int:
        """Send every pending notification whose time has come; how many were due.

        Each channel's in order, the channels side by side: a receiver that hangs costs its own
        channel its timeout, not the others. Once `stopping` is set no further one is tried: a
        stop waits for the send under way alone (what is left is sent at the next start).
        """
        self._stopping = stopping
        by_channel: dict[str, list[Pending]] = {}
        for item in list(self.pending.values()):
            if item.next_at is None or item.next_at <= now:
                by_channel.setdefault(item.channel, []).append(item)
        if len(by_channel) <= 1:
            for items in by_channel.values():
                self._attempt_all(items, now)
        else:
            with ThreadPoolExecutor(min(CHANNEL_THREADS, len(by_channel)), "notify-send") as pool:
                list(pool.map(lambda items: self._attempt_all(items, now), by_channel.values()))
        return sum(len(items) for items in by_channel.values())

    def _attempt_all(self, items: list[Pending], now: datetime) -> None:
        for item in items:
            if self._stopping is not None and self._stopping.is_set():
                return
            self._attempt(item, now)

    def _attempt(self, item: Pending, now: datetime) -> None:
        attempt = item.attempts + 1
        payload = {"incident_id": str(item.incident_id), "rule": item.rule, "text": item.message}
        try:
            answer = recordable(self.send(item.channel, item.delivery_id, payload))
        except Exception as error:  # any failure of a channel is a failed attempt, on the record
            text = recordable(str(error) or type(error).__name__)
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
        except AlreadyDoneError as error:  # settled meanwhile (another worker's record): nothing to add
            log.debug("notification %s: %s", item.delivery_id, error.message)
        except DomainError as error:  # the record refused what this worker meant to add: say so
            log.error(
                "notification %s: its %s could not be recorded: %s", item.delivery_id, outcome, error.message
            )


def recordable(text: str) -> str:
    """A receiver's answer as the record takes it: what no reader can see (a CR, a NUL, a bidi
    override) written as its escape, so an odd answer is recorded, not refused and sent again."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


class _Wake:
    """Sets `due` whenever a notification event commits: the store's subscription, filtered by topic."""

    def __init__(self, desk: IncidentDesk) -> None:
        self._desk = desk
        self.due = threading.Event()
        self._stopped = threading.Event()
        self._subscription: Any = None
        self._thread = threading.Thread(target=self._run, name="notify-wake", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._subscription is not None:
            self._subscription.stop()
        self.due.set()
        self._thread.join(5)

    def _run(self) -> None:
        position: int | None = None
        while not self._stopped.is_set():
            try:
                if position is None:
                    position = int(self._desk.recorder.max_notification_id() or 0)
                with self._desk.recorder.subscribe(gt=position, topics=NOTIFICATION_TOPICS) as subscription:
                    self._subscription = subscription
                    if self._stopped.is_set():
                        return
                    for notification in subscription:
                        position = notification.id
                        self.due.set()
                        if self._stopped.is_set():
                            return
            except Exception as error:  # the store away: the worker's own poll goes on meanwhile
                log.debug("notification wake lost its subscription: %s", describe(error))
                self._stopped.wait(STANDBY_SECONDS)


class Leadership(Protocol):
    """The boards' leader lock (interfaces/boards/leader.py), as far as the worker needs it."""

    def try_acquire(self) -> bool: ...


class DeliveryThread:
    """Runs `Deliveries` on its own thread while `leader` is held: reads what is due, sends it."""

    def __init__(
        self,
        deliveries: Deliveries,
        clock: Callable[[], datetime],
        leader: Leadership | None = None,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.deliveries = deliveries
        self._desk = deliveries.desk
        self._clock = clock
        self._leader = leader
        self._poll = poll_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._wake = _Wake(self._desk)
        self._leading = False
        self._failure: str | None = None
        self.position = 0  # the log read so far (its notification events handed to `deliveries`)

    def start(self) -> None:
        self._wake.start()
        self._thread = threading.Thread(target=self._run, name="notify-delivery", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.stop()
        if self._thread is not None:
            self._thread.join(timeout)

    def status(self) -> dict[str, Any]:
        """What waits to be sent, and whether this process sends (another may lead)."""
        return {
            "leading": self._leading,
            "position": self.position,
            "pending": len(self.deliveries.pending),
            "failing": self._failure,
        }

    def step(self) -> None:
        """Read the notification events after `position`, then send what is due (one turn of the loop)."""
        head = int(self._desk.recorder.max_notification_id() or 0)
        while self.position < head:
            found = self._desk.recorder.select_notifications(
                start=self.position + 1, limit=READ_LIMIT, stop=head, topics=NOTIFICATION_TOPICS
            )
            for notification in found:
                try:
                    event = self._desk.mapper.to_domain_event(notification)
                except Exception as error:  # a stored event nobody can decode: passed over, said once
                    log.error("notification delivery passed over position %s: %s", notification.id, error)
                else:
                    self.deliveries.handle(LoggedEvent(notification.id, event))
            self.position = found[-1].id if len(found) == READ_LIMIT else head
        self.deliveries.run_once(self._clock(), self._stop)

    def _run(self) -> None:
        while not self._stop.is_set():
            leading = self._leader is None or self._leader.try_acquire()
            if leading != self._leading:
                # On taking the lead, what another worker did meanwhile is read again from the log.
                self.deliveries.pending.clear()
                self.position = 0
                self._leading = leading
            if not leading:
                self._stop.wait(STANDBY_SECONDS)
                continue
            try:
                self._wake.due.clear()  # before reading: what commits from now on wakes the next turn
                self.step()
                if self._failure is not None:
                    log.warning("notification delivery recovered at position %s", self.position)
                    self._failure = None
            except Exception as error:  # the store away, most likely: try again, said once per reason
                reason = describe(error)
                if reason != self._failure:
                    log.error("notification delivery failed; trying again: %s", reason, exc_info=error)
                    self._failure = reason
                self._stop.wait(STANDBY_SECONDS)
                continue
            self._wake.due.wait(self._until_next())

    def _until_next(self) -> float:
        """Seconds to wait for a wake: the poll, or less if a retry falls due sooner."""
        due = self.deliveries.next_due()
        if due is None:
            return self._poll
        return max(0.0, min(self._poll, (due - self._clock()).total_seconds()))


def logged_after(desk: IncidentDesk, position: int, limit: int = 500) -> list[LoggedEvent]:
    """The next events of the log after `position` (at most `limit`), decoded."""
    found = desk.recorder.select_notifications(start=position + 1, limit=limit)
    return [LoggedEvent(position=n.id, event=desk.mapper.to_domain_event(n)) for n in found]
