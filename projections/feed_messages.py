"""What the feed says of each incident event: the facts it is labelled with, and its JSON text."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from domain.complaint import Complaint
from domain.emergency import Emergency
from domain.level import Level
from domain.plain import event_data, plain


@dataclass(frozen=True)
class FeedFacts:
    """An incident's type, outlet, drill flag and level, as of one of its events."""

    incident_type: str
    outlet: str
    exercise: bool
    level: Level


def facts_after(event: Any, known: FeedFacts | None) -> FeedFacts | None:
    """The incident's facts once `event` is applied to `known` (None: no incident reported so far).

    The level a message carries is the level after its own event: a LevelChanged says the new one.
    """
    if isinstance(event, Complaint.Reported | Emergency.Reported):
        kind = "complaint" if isinstance(event, Complaint.Reported) else "emergency"
        return FeedFacts(kind, event.outlet, event.exercise, event.level)
    level = getattr(event, "level", None)
    if known is not None and isinstance(level, Level):  # LevelChanged, Escalated with a level
        return replace(known, level=level)
    return known


def feed_text(position: int, event: Any, facts: FeedFacts) -> str:
    """The event as the feed sends it."""
    return feed_text_of(
        position,
        event,
        facts,
        incident_id=str(event.originator_id),
        actor=plain(event.actor, reveal_personal=True),
        # Personal data never goes out on the feed: watchers open the incident to see it.
        data=event_data(event, reveal_personal=False),
    )


def feed_text_of(
    position: int, event: Any, facts: FeedFacts, *, incident_id: str, actor: Any, data: dict[str, Any]
) -> str:
    """The event as the feed sends it, from its id, actor and data already made plain (a board's pass)."""
    body = {
        "kind": "event",
        "position": position,
        "incident_id": incident_id,
        "incident_type": facts.incident_type,
        "event": type(event).__name__,
        "version": event.originator_version,
        "unit": facts.outlet,
        "level": facts.level.value,
        "exercise": facts.exercise,
        "occurred_at": event.occurred_at.isoformat(),
        "recorded_at": event.timestamp.isoformat(),
        "actor": actor,
        "data": data,
    }
    return json.dumps(body, ensure_ascii=False)
