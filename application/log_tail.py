"""The one way downstream code reads the incident log: from a position, in order, then live."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Subscription

from application.store.errors import RECOVERABLE_STORE_ERRORS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoggedEvent:
    """One stored event and its position in the log."""

    position: int
    event: DomainEventProtocol[UUID]


class LogTail:
    """Yields every stored event after `after`, in position order, then each new one as it commits.

    Each event is yielded exactly once. A lost database connection is not fatal: the tail
    reconnects and resumes from the last position it yielded. `stop()` may be called from any
    thread; a restarted reader resumes by passing the last position it handled as `after`.
    """

    def __init__(
        self,
        app: Application[UUID],
        after: int = 0,
        *,
        retry_seconds: float = 0.5,
        on_undecodable: Callable[[int, str, Exception], None] | None = None,
    ) -> None:
        """`on_undecodable`, if given, is told of a stored event that cannot be decoded, which is then
        passed over; without it, the tail raises there (a board must not skip what it cannot read)."""
        self._app = app
        self.position = after
        self._retry_seconds = retry_seconds
        self._on_undecodable = on_undecodable
        self._stopped = threading.Event()
        self._subscription: Subscription[Any] | None = None
        self.reconnections = 0

    def __iter__(self) -> Iterator[LoggedEvent]:
        while not self._stopped.is_set():
            try:
                yield from self._follow()
            except RECOVERABLE_STORE_ERRORS as error:
                self.reconnections += 1
                log.warning(
                    "log tail lost the store at position %s (%s); reconnecting",
                    self.position,
                    error,
                )
                self._stopped.wait(self._retry_seconds)

    def _follow(self) -> Iterator[LoggedEvent]:
        with self._app.recorder.subscribe(gt=self.position) as subscription:
            self._subscription = subscription
            if self._stopped.is_set():
                return
            for notification in subscription:
                try:
                    event = self._app.mapper.to_domain_event(notification)
                except Exception as error:  # decoding does no I/O: this is the stored event itself
                    if self._on_undecodable is None:
                        raise
                    self._on_undecodable(notification.id, notification.topic, error)
                    self.position = notification.id
                    continue
                self.position = notification.id
                yield LoggedEvent(notification.id, event)
                if self._stopped.is_set():
                    return

    def stop(self) -> None:
        self._stopped.set()
        if self._subscription is not None:
            self._subscription.stop()
