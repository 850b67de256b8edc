"""Incidents as the boards need them: kept current by applying each event, loaded on a miss."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any
from uuid import UUID

from domain.complaint import Complaint
from domain.emergency import Emergency

Incident = Complaint | Emergency
# Loads an incident as it stood at a version, from the event store (supplied by the wiring).
Loader = Callable[[UUID, int], Incident]


class IncidentStates:
    """The latest state of recently active incidents, built by the events themselves (LRU).

    Each board keeps its own: a board applies a batch's events in order, so a shared copy would be
    ahead of the next board's first event.
    """

    def __init__(self, loader: Loader, capacity: int = 20_000) -> None:
        self._loader = loader
        self._capacity = capacity
        self._states: OrderedDict[UUID, Incident] = OrderedDict()

    def apply(self, event: Any) -> Incident:
        """The incident after `event`: the cached state moved on by it, or loaded at its version."""
        incident_id: UUID = event.originator_id
        version: int = event.originator_version
        state = self._states.pop(incident_id, None)
        if state is not None and state.version == version - 1:
            state = event.mutate(state)
        elif state is None and version == 1:
            state = event.mutate(None)
        elif state is None or state.version != version:
            state = self._loader(incident_id, version)
        assert state is not None
        self._states[incident_id] = state
        if len(self._states) > self._capacity:
            self._states.popitem(last=False)
        return state

    def clear(self) -> None:
        self._states.clear()
