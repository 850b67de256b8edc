"""What a running server is made of, built once by interfaces/wiring.py: the HTTP app and the feed use it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo

from sqlalchemy import Engine

from application.access.tokens import TokenRegistry
from application.audit.log_tree import LogTree
from application.audit.tree_follower import TreeFollower
from application.incident_desk import Clock, IncidentDesk
from application.policies.deliveries import DeliveryThread
from application.policies.runner import PolicyRunner
from domain.organisation import Organisation
from interfaces.boards.runner import BoardRunner
from interfaces.boards.waiting import PositionWaiter
from interfaces.notify.settings_file import NotificationSettings


@dataclass(frozen=True)
class Services:
    """The desk, the token registry, the organisation, the boards and the clock of one running app."""

    desk: IncidentDesk
    tokens: TokenRegistry
    organisation: Organisation
    clock: Clock
    engine: Engine
    boards: PositionWaiter
    runner: BoardRunner | None  # None when the boards run in a separate `incident project` worker
    policies: PolicyRunner | None  # likewise
    calendar: tzinfo  # the bank's calendar: where its days begin and end (settings.calendar)
    read_models: Engine | None = None  # the boards' and policies' own engine (commits not each durable)
    log_tree: LogTree | None = None  # the Merkle tree over the log and its signed checkpoints
    tree_follower: TreeFollower | None = None  # keeps the tree up with the log, where the boards run
    # Who is told of what (the notifications file), and the worker that sends, where the policies run.
    notifications: NotificationSettings = field(default_factory=NotificationSettings)
    deliveries: DeliveryThread | None = None

    def close(self) -> None:
        # Stop readers of the log before the store closes under them.
        if self.tree_follower is not None:
            self.tree_follower.stop()
        if self.deliveries is not None:
            self.deliveries.stop()
        if self.policies is not None:
            self.policies.stop()
        if self.runner is not None:
            self.runner.stop()
        self.tokens.close()
        self.desk.close()
        self.engine.dispose()
        if self.read_models is not None:
            self.read_models.dispose()
