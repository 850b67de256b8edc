"""One pass over a batch for every board: what several boards read off the same events, worked out once.

The runner hands each board the events after that board's own position. Normally every board is at
the same position, so they get the same events: the first board to ask works out each event's plain
data and each incident's state after the batch, and the others are given the same. A board that is
behind the others (a new board filling from position 0) gets a different run of events and a pass of
its own; the shared incident states are then ahead of its events and are loaded from the store at the
right version instead (IncidentStates does that).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from domain.incident import Incident as IncidentEvents
from domain.plain import event_data, plain
from projections.feed_messages import encoded
from projections.incident_states import Incident, IncidentStates, Loader
from projections.logged import Logged


class BatchPass:
    """The incident events of one batch, with what the boards derive from each, computed on first use."""

    def __init__(self, events: list[Logged], states: IncidentStates | None) -> None:
        self.events = events
        self.ids = [str(logged.event.originator_id) for logged in events]
        self._states = states
        self._data: list[dict[str, Any]] | None = None
        self._latest: dict[UUID, tuple[Incident, Logged]] | None = None
        self._actors: dict[Any, str] = {}

    def data(self) -> list[dict[str, Any]]:
        """Each event's own fields as plain data, personal data masked (what every board shows)."""
        if self._data is None:
            self._data = [event_data(logged.event, reveal_personal=False) for logged in self.events]
        return self._data

    def actor_json(self, event: Any) -> str:
        """The event's actor as the feed encodes it (the same actor, in event after event, once)."""
        actor = event.actor
        found = self._actors.get(actor)
        if found is None:
            found = self._actors[actor] = encoded(plain(actor, reveal_personal=True))
        return found

    def latest(self) -> dict[UUID, tuple[Incident, Logged]]:
        """Each incident of the batch as it stands after its last event in it, with that event."""
        if self._latest is None:
            if self._states is None:
                raise RuntimeError("this pass keeps no incident states")
            latest: dict[UUID, tuple[Incident, Logged]] = {}
            for logged in self.events:
                incident = self._states.apply(logged.event)
                latest[incident.id] = (incident, logged)
            self._latest = latest
        return self._latest


class SharedPass:
    """Hands the boards of one runner the same BatchPass for the same events (the last batch's only)."""

    def __init__(self, loader: Loader | None = None, capacity: int = 20_000) -> None:
        self._states = IncidentStates(loader, capacity) if loader is not None else None
        self._last: tuple[tuple[int, int, int], BatchPass] | None = None

    def of(self, batch: Sequence[Logged]) -> BatchPass:
        events = [logged for logged in batch if isinstance(logged.event, IncidentEvents.Event)]
        key = (events[0].position, events[-1].position, len(events)) if events else (0, 0, 0)
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        found = BatchPass(events, self._states)
        self._last = (key, found)
        return found

    def forget(self) -> None:
        """Drop the states and the last batch (memory may be ahead of a batch that rolled back)."""
        self._last = None
        if self._states is not None:
            self._states.clear()
