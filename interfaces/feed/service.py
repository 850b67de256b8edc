"""The feed's parts in one server process, started and stopped with the app."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from interfaces.feed.admission import Admission
from interfaces.feed.hub import FeedHub
from interfaces.feed.limits import FeedLimits
from interfaces.feed.replay import Replays
from interfaces.services import Services
from projections.feed_index import metadata as feed_index_metadata
from projections.tracking import metadata as tracking_metadata


@dataclass(frozen=True)
class Feed:
    """The live fan-out, the replays, the door (limits, revocation), and the timings of every watcher."""

    hub: FeedHub
    replays: Replays
    admission: Admission
    limits: FeedLimits
    heartbeat_seconds: float
    watcher_queue: int

    @classmethod
    def build(
        cls, services: Services, limits: FeedLimits, heartbeat_seconds: float, watcher_queue: int
    ) -> Feed:
        # Scaled out, the boards (and the index) may not have been projected yet: the tables exist
        # empty, and replays read the log until the index fills (create_all leaves existing ones).
        tracking_metadata.create_all(services.engine)
        feed_index_metadata.create_all(services.engine)
        hub = FeedHub(services.desk, services.engine)
        replays = Replays(services.desk, services.engine, hub.index, limits.replay_threads)
        return cls(hub, replays, Admission(limits, services.tokens), limits, heartbeat_seconds, watcher_queue)

    def start(self) -> None:
        self.hub.start(asyncio.get_running_loop())
        self.admission.start()

    def stop(self) -> None:
        """Every reader of the store stops here, before the store closes."""
        self.admission.stop()
        self.replays.close()
        self.hub.stop()
