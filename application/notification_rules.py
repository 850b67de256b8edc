"""Recording the notification settings read at start (domain.notification_rules), and their history."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, cast

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import IntegrityError

from application.errors import VersionConflictError
from application.incident_desk import IncidentDesk
from domain.notification_rules import NOTIFICATION_RULES_ID, NotificationRules
from domain.values import Actor, Role, Stamp

log = logging.getLogger(__name__)

NOTIFICATIONS_FILE = Actor(
    id="notifications-file", role=Role.SYSTEM, unit="HQ", name="通知配置文件 Notifications file"
)
ATTEMPTS = 5  # several processes starting at once: the loser reads what the winner recorded


class NotificationRulesDesk:
    """Records the notification settings when they change, and reads them back."""

    def __init__(self, desk: IncidentDesk) -> None:
        self.desk = desk

    def current(self) -> NotificationRules | None:
        try:
            return cast(NotificationRules, self.desk.repository.get(NOTIFICATION_RULES_ID))
        except AggregateNotFoundError:
            return None

    def start_from_file(self, lines: Sequence[str], source: str) -> NotificationRules:
        """Record `lines` the first time, later only what changed (nothing if nothing did)."""
        for _ in range(ATTEMPTS):
            current = self.current()
            now = self.desk.clock()
            stamp = Stamp(actor=NOTIFICATIONS_FILE, occurred_at=now, recorded_at=now)
            if current is None:
                current = NotificationRules.load(stamp, lines=lines, source=source)
            elif not current.follow_file(stamp, lines=lines, source=source):
                return current
            try:
                self.desk.save(current)
            except IntegrityError:
                continue
            log.info("notification settings from %s recorded (%s lines)", source, len(lines))
            return current
        raise VersionConflictError(NOTIFICATION_RULES_ID, None, None)

    def history(self) -> list[DomainEventProtocol[Any]]:
        """Every recording of the settings, oldest first (empty before a file was first read)."""
        return list(self.desk.events.get(NOTIFICATION_RULES_ID))
