"""What a board is fed: a stored event and its position in the log."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol
from uuid import UUID

from domain.incident import Incident


class Logged(Protocol):
    """A stored event at a log position (the application's LogTail yields these)."""

    @property
    def position(self) -> int: ...

    @property
    def event(self) -> Any: ...


def originator(logged: Logged) -> UUID:
    incident_id: UUID = logged.event.originator_id
    return incident_id


def incident_events(batch: Sequence[Logged]) -> list[Logged]:
    """The complaint and emergency events of a batch (the log may carry other aggregates' events)."""
    return [logged for logged in batch if isinstance(logged.event, Incident.Event)]
