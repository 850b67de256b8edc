"""Recording an event with who did it and when: shared by every aggregate of the domain."""

from typing import Any, Protocol

from domain.actors import Stamp


class _TriggersEvents(Protocol):
    def trigger_event(self, event_class: type[Any], **kwargs: Any) -> None: ...


class Stamped:
    """Mixin for aggregates: `_record` triggers an event stamped from the command's Stamp."""

    def _record(self: _TriggersEvents, event_class: type[Any], stamp: Stamp, **fields: Any) -> None:
        """Trigger `event_class` stamped with who did it and when (rules already checked)."""
        self.trigger_event(
            event_class,
            timestamp=stamp.recorded_at,
            actor=stamp.actor,
            occurred_at=stamp.occurred_at,
            **fields,
        )
