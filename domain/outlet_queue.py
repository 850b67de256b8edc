"""An outlet's customer queue (网点客流): readings posted through the day, and its surge episodes."""

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.actors import Actor, Stamp
from domain.commands import command
from domain.errors import AlreadyDoneError, InvalidInputError, StepOutOfOrderError
from domain.immutable import Immutable
from domain.stamped import Stamped
from domain.texts import required_text

# Queue ids are derived from the outlet code, so every process finds the same queue without a lookup.
QUEUE_NAMESPACE = UUID("6f1d3c2a-8b4e-5a7f-9c0d-2e4b6a8c0f13")
# The readings of one surge episode the queue keeps to show; older ones stay in the log.
EPISODE_READINGS_KEPT = 50


def queue_id(outlet: str) -> UUID:
    """The id of `outlet`'s queue (a name-based UUID: the same in every process, for ever)."""
    return uuid5(QUEUE_NAMESPACE, outlet)


@dataclass(frozen=True)
class QueueReading(Immutable):
    """How many customers were waiting and the longest wait, at a moment."""

    waiting: int
    longest_wait_minutes: float
    at: datetime


class OutletQueue(Stamped, Aggregate):
    """One outlet's queue: its latest reading and, during a surge, the episode's emergency and readings."""

    class Event(Aggregate.Event):
        """A queue event: who posted it and when it happened at the outlet."""

        actor: Actor
        occurred_at: datetime

    class Opened(Event, Aggregate.Created):
        """The outlet's queue was first read."""

        outlet: str

    class ReadingPosted(Event):
        """A queue reading was posted (by the lobby manager or the queueing machine)."""

        waiting: int
        longest_wait_minutes: float

        def apply(self, aggregate: Any) -> None:
            queue = cast(OutletQueue, aggregate)
            reading = QueueReading(self.waiting, self.longest_wait_minutes, self.occurred_at)
            queue.latest_reading = reading
            if queue.surge_emergency_id is not None:
                queue.episode_readings = [*queue.episode_readings, reading][-EPISODE_READINGS_KEPT:]

    class SurgeOpened(Event):
        """A customer-surge emergency was opened for the queue: an episode began."""

        emergency_id: UUID

        def apply(self, aggregate: Any) -> None:
            queue = cast(OutletQueue, aggregate)
            queue.surge_emergency_id = self.emergency_id
            queue.episode_readings = [queue.latest_reading] if queue.latest_reading is not None else []
            queue.surges += 1

    class SurgeEnded(Event):
        """The episode's emergency was stood down or closed: the episode ended."""

        emergency_id: UUID

        def apply(self, aggregate: Any) -> None:
            queue = cast(OutletQueue, aggregate)
            queue.surge_emergency_id = None
            queue.episode_readings = []

    def __init__(self, *, outlet: str, actor: Actor, occurred_at: datetime) -> None:
        self.outlet = outlet
        self.opened_by = actor
        self.opened_at = occurred_at
        self.latest_reading: QueueReading | None = None
        self.surge_emergency_id: UUID | None = None
        # The readings shown while a surge is on, from the one that opened it; bounded.
        self.episode_readings: list[QueueReading] = []
        self.surges = 0

    @classmethod
    def open(cls, stamp: Stamp, *, outlet: str) -> "OutletQueue":
        """Start the queue of `outlet` (its id is `queue_id(outlet)`)."""
        outlet = required_text(outlet, "outlet")
        return cls._create_stamped(cls.Opened, stamp, id=queue_id(outlet), outlet=outlet)

    @property
    def surge_is_open(self) -> bool:
        """True during a surge episode (between SurgeOpened and SurgeEnded)."""
        return self.surge_emergency_id is not None

    @command()
    def post_reading(self, stamp: Stamp, *, waiting: int, longest_wait_minutes: float) -> None:
        """Record how many customers wait and the longest wait in minutes."""
        stamp.check(self.id)
        if isinstance(waiting, bool) or not isinstance(waiting, int) or waiting < 0:
            raise InvalidInputError(
                f"waiting must be a whole number of customers, 0 or more (got {waiting!r})",
                field="waiting",
                incident_id=self.id,
            )
        if (
            isinstance(longest_wait_minutes, bool)
            or not isinstance(longest_wait_minutes, int | float)
            or not math.isfinite(longest_wait_minutes)
            or longest_wait_minutes < 0
        ):
            raise InvalidInputError(
                f"longest_wait_minutes must be a number of minutes, 0 or more (got {longest_wait_minutes!r})",
                field="longest_wait_minutes",
                incident_id=self.id,
            )
        self._record(
            self.ReadingPosted, stamp, waiting=waiting, longest_wait_minutes=float(longest_wait_minutes)
        )

    @command()
    def open_surge(self, stamp: Stamp, *, emergency_id: UUID) -> None:
        """Begin a surge episode handled by the customer-surge emergency `emergency_id`."""
        stamp.check(self.id)
        if self.surge_emergency_id is not None:
            raise AlreadyDoneError(
                f"the queue of {self.outlet} already has a surge open (emergency {self.surge_emergency_id})",
                incident_id=self.id,
            )
        self._record(self.SurgeOpened, stamp, emergency_id=emergency_id)

    @command()
    def end_surge(self, stamp: Stamp, *, emergency_id: UUID) -> None:
        """End the surge episode of `emergency_id` (its emergency was stood down or closed)."""
        stamp.check(self.id)
        if self.surge_emergency_id != emergency_id:
            raise StepOutOfOrderError(
                f"the queue of {self.outlet} has no surge open for emergency {emergency_id}",
                incident_id=self.id,
            )
        self._record(self.SurgeEnded, stamp, emergency_id=emergency_id)
