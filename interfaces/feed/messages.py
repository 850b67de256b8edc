"""Feed messages: each event serialised once, with what watchers filter on kept beside it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from application.log_tail import LoggedEvent
from interfaces.feed.incident_index import IncidentIndex
from interfaces.feed.websocket_protocol import TextFrame
from projections.feed_messages import feed_text


@dataclass(frozen=True)
class FeedMessage:
    """One event as sent to every watcher (`text`, framed once in `frame`), and what filters look at."""

    position: int
    outlet: str
    incident_type: str
    level_rank: int
    text: str
    frame: TextFrame = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Encoded by the hub's reader thread, off the event loop; framed once, when first sent.
        object.__setattr__(self, "frame", TextFrame(self.text))


def feed_message(logged: LoggedEvent, index: IncidentIndex) -> FeedMessage | None:
    """The event as the feed sends it, or None for events that belong to no incident."""
    event: Any = logged.event
    facts = index.facts(event.originator_id, event.originator_version)
    if facts is None:
        return None
    text = feed_text(logged.position, event, facts)
    return FeedMessage(logged.position, facts.outlet, facts.incident_type, facts.level.rank, text)


def heartbeat(head: int, position: int) -> str:
    return json.dumps({"kind": "heartbeat", "head": head, "position": position})
