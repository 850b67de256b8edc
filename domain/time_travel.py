"""Which of an incident's events stood at an instant: as the office recorded them, or as they occurred."""

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from domain.labelled import Labelled


class Axis(Labelled):
    """The two clocks an incident's past is read by."""

    # What the office could have seen then: the events recorded by the instant.
    RECORDED = "recorded", "按记录时间", "As recorded"
    # What had happened by then, late reports (补录) included once they were recorded.
    OCCURRED = "occurred", "按发生时间", "As occurred"


class Dated(Protocol):
    """An event with both its moments (every incident event has them)."""

    @property
    def occurred_at(self) -> datetime: ...

    @property
    def timestamp(self) -> datetime: ...


def moment_on(event: Dated, axis: Axis) -> datetime:
    """When the event stands on the axis: its recorded time, or when it occurred."""
    return event.timestamp if axis is Axis.RECORDED else event.occurred_at


def versions_by(events: Iterable[Dated], instant: datetime, axis: Axis) -> int:
    """How many events, from the first in version order, stood by `instant` (0: none yet).

    A prefix, never a pick: an event is applied only on top of every event before it, so the count
    stops at the first event after `instant`, even if a later one (a late report) is before it.
    """
    count = 0
    for event in events:
        if moment_on(event, axis) > instant:
            break
        count += 1
    return count
