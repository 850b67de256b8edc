"""What the feed says of each incident event: the facts it is labelled with, and its JSON text."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from domain.complaint import Complaint
from domain.emergency import Emergency
from domain.incident_type import IncidentType
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
        kind = IncidentType.COMPLAINT if isinstance(event, Complaint.Reported) else IncidentType.EMERGENCY
        return FeedFacts(kind.value, event.outlet, event.exercise, event.level)
    level = getattr(event, "level", None)
    if known is not None and isinstance(level, Level):  # LevelChanged, Escalated with a level
        return replace(known, level=level)
    return known


def feed_text(position: int, event: Any, facts: FeedFacts) -> str:
    """The event as the feed sends it."""
    body = {
        "kind": "event",
        "position": position,
        "incident_id": str(event.originator_id),
        "incident_type": facts.incident_type,
        "event": type(event).__name__,
        "version": event.originator_version,
        "unit": facts.outlet,
        "level": facts.level.value,
        "exercise": facts.exercise,
        "occurred_at": event.occurred_at.isoformat(),
        "recorded_at": event.timestamp.isoformat(),
        "actor": plain(event.actor, reveal_personal=True),
        # Personal data never goes out on the feed: watchers open the incident to see it.
        "data": event_data(event, reveal_personal=False),
    }
    return json.dumps(body, ensure_ascii=False)


def joined_feed_text(
    position: int, event: Any, facts: FeedFacts, *, incident_id: str, actor_json: str, data_json: str
) -> str:
    """feed_text's very text, joined from pieces (the actor and data already encoded by the caller).

    The encoder writes an object as its members joined by ", " and each key and value by ": ", so the
    pieces joined in feed_text's order are its text (the feed index's test compares the two).
    """
    return "".join(
        (
            '{"kind": "event", "position": ',
            str(int(position)),
            ', "incident_id": ',
            _string(incident_id),
            ', "incident_type": ',
            _string(facts.incident_type),
            ', "event": ',
            _string(type(event).__name__),
            ', "version": ',
            str(int(event.originator_version)),
            ', "unit": ',
            _string(facts.outlet),
            ', "level": ',
            _string(facts.level.value),
            ', "exercise": ',
            "true" if facts.exercise else "false",
            ', "occurred_at": ',
            _string(event.occurred_at.isoformat()),
            ', "recorded_at": ',
            _string(event.timestamp.isoformat()),
            ', "actor": ',
            actor_json,
            ', "data": ',
            data_json,
            "}",
        )
    )


def encoded(value: Any) -> str:
    """A value as feed_text encodes it inside a message."""
    return json.dumps(value, ensure_ascii=False)


_string = json.encoder.encode_basestring  # a string as json.dumps(..., ensure_ascii=False) writes it
