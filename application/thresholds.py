"""The bank's thresholds: starting them from the settings file, an admin changing them, their history.

They are one aggregate (domain.thresholds) in the incident desk's store, so their history is in the
same append-only log as the incidents and reaches the policies through it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, cast

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import IntegrityError

from application.errors import AccessDeniedError, VersionConflictError
from application.incident_desk import CommandResult, IncidentDesk
from domain.thresholds import THRESHOLDS_ID, Thresholds, ThresholdValues
from domain.values import Actor, Role, Stamp

log = logging.getLogger(__name__)

# Who records the settings file's values: the file is the operator's, read at start.
SETTINGS_FILE = Actor(id="settings-file", role=Role.SYSTEM, unit="HQ", name="阈值配置文件 Settings file")
# Who may read them: the office and the auditor (whose work they shape) and the admin (who sets them).
READERS = (Role.OFFICE, Role.AUDITOR, Role.ADMIN)
ATTEMPTS = 5  # a change that lost a race to another process's is checked again on the new values


class ThresholdsDesk:
    """Reads and changes the thresholds in force; only an admin changes them, and says why."""

    def __init__(self, desk: IncidentDesk) -> None:
        self.desk = desk

    def current(self) -> Thresholds | None:
        """The thresholds as they stand, or None before they were first loaded."""
        try:
            return cast(Thresholds, self.desk.repository.get(THRESHOLDS_ID))
        except AggregateNotFoundError:
            return None

    def in_force(self) -> ThresholdValues:
        current = self.current()
        return ThresholdValues() if current is None else current.values

    def start_from_file(self, values: ThresholdValues, source: str) -> Thresholds:
        """At start: load `values` the first time, later apply what the file changed (domain.thresholds).

        Several processes may start at once on one database: the one that loses the race reads what
        the winner recorded and applies the file's change only if it is still one.
        """
        for _ in range(ATTEMPTS):
            current = self.current()
            stamp = self._stamp(SETTINGS_FILE)
            if current is None:
                current = Thresholds.load(stamp, values=values, source=source)
            elif not current.follow_file(stamp, values=values, source=source):
                self._report_difference(current, values, source)
                return current
            try:
                self.desk.save(current)
                log.info("thresholds from %s recorded: %s", source, current.values.as_dict())
                return current
            except IntegrityError:
                continue
        raise VersionConflictError(THRESHOLDS_ID, None, None)

    def change(self, values: Mapping[str, Any], *, reason: str, actor: Actor) -> CommandResult:
        """Change some thresholds as `actor`, an admin; recorded with who, when, before → after and why."""
        if actor.role is not Role.ADMIN:
            raise AccessDeniedError(f"only an admin may change the thresholds, not {actor.role.value}")
        for _ in range(ATTEMPTS):
            current = self.current()
            if current is None:
                # Never loaded (a store no server has started on): the change starts from the defaults.
                current = Thresholds.load(
                    self._stamp(SETTINGS_FILE), values=ThresholdValues(), source="defaults"
                )
            current.change(self._stamp(actor), values=values, reason=reason)
            try:
                recordings = self.desk.save(current)
            except IntegrityError:
                continue
            return CommandResult(THRESHOLDS_ID, current.version, recordings[-1].notification.id)
        raise VersionConflictError(THRESHOLDS_ID, None, None)

    def history(self) -> list[DomainEventProtocol[Any]]:
        """Every thresholds event, oldest first (empty before they were first loaded)."""
        return list(self.desk.events.get(THRESHOLDS_ID))

    def _stamp(self, actor: Actor) -> Stamp:
        now = self.desk.clock()
        return Stamp(actor=actor, occurred_at=now, recorded_at=now)

    @staticmethod
    def _report_difference(current: Thresholds, values: ThresholdValues, source: str) -> None:
        differing = values.differences(current.values)
        if differing:
            log.info(
                "thresholds in force differ from %s (changed through the API, which stands): %s",
                source,
                ", ".join(f"{key}={value}" for key, value in differing.items()),
            )
