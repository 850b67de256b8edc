"""How much of a server process the feed may take: feeds open, replay threads, and its deadlines."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# A watcher that falls this many messages behind is told to resume (4001) rather than waited for.
WATCHER_QUEUE = 1000


@dataclass(frozen=True)
class FeedLimits:
    """The feed's limits; `incident serve` reads the two counts from the environment."""

    # A board in a few tabs and `incident watch` on one token; more is a client gone wrong.
    per_token: int = 10
    # The fan-out bench serves 1,000 watchers from one process (README, Figures); twice that leaves room.
    per_process: int = 2000
    # A send that has not reached the socket in this time means a peer that stopped reading: 4001.
    # Generous for a slow branch link: a send waits only while ~64 KiB are unread.
    send_timeout: float = 5.0
    # How often the feed looks for revocations: a look at a counter (no SQL), and one query for all
    # open feeds when a revocation was heard of (application/access/revocations.py).
    token_check_seconds: float = 0.5
    # Replays read the index (or the log) on these threads only, a page at a time, never on the
    # threads that serve the HTTP API.
    replay_threads: int = 2

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> FeedLimits:
        return cls(
            per_token=int(environ.get("INCIDENT_FEED_PER_TOKEN") or cls.per_token),
            per_process=int(environ.get("INCIDENT_FEED_MAX") or cls.per_process),
        )
