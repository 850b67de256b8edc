"""Feed messages: each event serialised once, with what watchers filter on kept beside it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from application.log_tail import LoggedEvent
from domain.plain import event_data, plain
from interfaces.feed.incident_index import IncidentIndex


@dataclass(frozen=True)
class FeedMessage:
    """One event as sent to every watcher (`text`), and the facts a watcher's filter looks at."""

    position: int
    outlet: str
    incident_type: str
    level_rank: int
    text: str


def feed_message(logged: LoggedEvent, index: IncidentIndex) -> FeedMessage | None:
    """The event as JSON, or None for events that belong to no incident."""
    event: Any = logged.event
    facts = index.facts(event.originator_id)
    if facts is None:
        return None
    level = facts.level_at(event.originator_version)
    body = {
        "kind": "event",
        "position": logged.position,
        "incident_id": str(event.originator_id),
        "incident_type": facts.incident_type,
        "event": type(event).__name__,
        "version": event.originator_version,
        "unit": facts.outlet,
        "level": level.value,
        "exercise": facts.exercise,
        "occurred_at": event.occurred_at.isoformat(),
        "recorded_at": event.timestamp.isoformat(),
        "actor": plain(event.actor, reveal_personal=True),
        # Personal data never goes out on the feed: watchers open the incident to see it.
        "data": event_data(event, reveal_personal=False),
    }
    return FeedMessage(
        logged.position, facts.outlet, facts.incident_type, level.rank, json.dumps(body, ensure_ascii=False)
    )


def heartbeat(head: int, position: int) -> str:
    return json.dumps({"kind": "heartbeat", "head": head, "position": position})
