"""The topics that reach the store, read off the classes: the frozen list in stored_topics.txt guards them."""

from __future__ import annotations

from pathlib import Path

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from application.incident_desk import IncidentDesk
from application.personal_data import SealedAsDict
from application.transcodings import domain_transcodings
from domain.notification_rules import NotificationRules
from domain.thresholds import Thresholds

FROZEN = Path(__file__).with_name("stored_topics.txt")
# The library also defines a `Created` class on every aggregate; it is never triggered.
NEVER_TRIGGERED = {"Event", "Created"}


def frozen_topics() -> list[str]:
    """The list that only ever grows: every topic some stored event or snapshot may name."""
    return FROZEN.read_text(encoding="utf-8").splitlines()


def event_topics(aggregate: type[Aggregate]) -> set[str]:
    """The topics of the events `aggregate` declares and triggers."""
    return {
        get_topic(value)
        for name, value in vars(aggregate).items()
        if isinstance(value, type) and issubclass(value, Aggregate.Event) and name not in NEVER_TRIGGERED
    }


def stored_topics() -> list[str]:
    """Every topic that reaches the store: the desk's aggregate and event classes, and transcoding names."""
    topics = {f"transcoding {t.name}" for t in [*domain_transcodings(), SealedAsDict()]}
    # The thresholds and the notification settings live in the desk's store too, never snapshotted.
    for aggregate in (*IncidentDesk.snapshotting_intervals, Thresholds, NotificationRules):
        topics |= {get_topic(aggregate)} | event_topics(aggregate)
    return sorted(topics)
