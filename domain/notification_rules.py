"""The notification settings on the record: what the notifications file said at each start that changed it.

The file is the deployment's (interfaces/notify/settings_file.py); its rules and channels are read at
start and, when they differ from what was last recorded, recorded here as lines a person reads (one
per setting, rule and channel, never a secret), so an auditor sees who was to be told what, and
since when. One aggregate (`NOTIFICATION_RULES_ID`), in the same log as the incidents.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.actors import Actor, Stamp
from domain.stamped import Stamped
from domain.texts import required_text

NOTIFICATION_RULES_ID = uuid5(UUID("0b6e5f0e-4c1a-5d3e-8f2a-7c9b1d4e6a20"), "notification-rules")


class NotificationRules(Stamped, Aggregate):
    """The notification settings as last read from the file, and every change of them."""

    class Event(Aggregate.Event):
        """A notification settings event: who recorded it and when."""

        actor: Actor
        occurred_at: datetime

    class Loaded(Event, Aggregate.Created):
        """The settings as first read (`source` names the file)."""

        lines: list[str]
        source: str

    class Changed(Event):
        """The file said something else at a later start: the lines it dropped and those it added."""

        removed: list[str]
        added: list[str]
        source: str

        def apply(self, aggregate: Any) -> None:
            rules = cast(NotificationRules, aggregate)
            kept = [line for line in rules.lines if line not in self.removed]
            rules.lines = [*kept, *self.added]
            rules.source = self.source
            rules.recorded_by = self.actor
            rules.recorded_at = self.occurred_at

    def __init__(self, *, lines: list[str], source: str, actor: Actor, occurred_at: datetime) -> None:
        self.lines = list(lines)
        self.source = source
        self.recorded_by = actor
        self.recorded_at = occurred_at

    @classmethod
    def load(cls, stamp: Stamp, *, lines: Sequence[str], source: str) -> NotificationRules:
        """Record the settings first read from the file at `source`."""
        return cls._create_stamped(
            cls.Loaded,
            stamp,
            id=NOTIFICATION_RULES_ID,
            lines=list(lines),
            source=required_text(source, "source"),
        )

    def follow_file(self, stamp: Stamp, *, lines: Sequence[str], source: str) -> bool:
        """Record what the file changed since it was last recorded; False, recording nothing, if nothing."""
        removed = [line for line in self.lines if line not in lines]
        added = [line for line in lines if line not in self.lines]
        if not removed and not added:
            return False
        stamp.check(self.id)
        self._record(
            self.Changed, stamp, removed=removed, added=added, source=required_text(source, "source")
        )
        return True
