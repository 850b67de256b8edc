"""Recording an event with who did it and when: shared by every aggregate of the domain."""

from typing import Any, Protocol, Self
from uuid import UUID

from domain.actors import Stamp
from domain.recordable import recordable_fields


class _TriggersEvents(Protocol):
    @property
    def id(self) -> UUID: ...

    def trigger_event(self, event_class: type[Any], **kwargs: Any) -> None: ...


class Stamped:
    """Mixin for aggregates: events are stamped from the command's Stamp and hold only recordable values."""

    def _record(self: _TriggersEvents, event_class: type[Any], stamp: Stamp, **fields: Any) -> None:
        """Trigger `event_class` stamped with who did it and when (rules already checked)."""
        self.trigger_event(
            event_class,
            timestamp=stamp.recorded_at,
            actor=stamp.actor,
            occurred_at=stamp.occurred_at,
            **recordable_fields(fields, self.id, event_class),
        )

    @classmethod
    def _create_stamped(cls, event_class: type[Any], stamp: Stamp, *, id: UUID, **fields: Any) -> Self:
        """Create the aggregate with its first event, stamped and holding only recordable values."""
        stamp.check(id)
        created: Self = cls._create(  # type: ignore[attr-defined]
            event_class,
            id=id,
            timestamp=stamp.recorded_at,
            actor=stamp.actor,
            occurred_at=stamp.occurred_at,
            **recordable_fields(fields, id, event_class),
        )
        return created
