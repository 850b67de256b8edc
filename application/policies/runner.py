"""Runs the policies: feeds them the log from position 0, then live, and ticks the time-based ones."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Sequence

from application.incident_desk import Clock, IncidentDesk
from application.log_tail import LoggedEvent, LogTail
from application.policies.base import Policy

log = logging.getLogger(__name__)

DEFAULT_TICK_SECONDS = 30.0
RETRY_SECONDS = 1.0
BUFFER_SIZE = 10_000
POLL_SECONDS = 0.2


class PolicyRunner:
    """Feeds every logged event to every policy, in order and once; ticks them every `tick_seconds`.

    The policies keep their memory only in this process, so a runner always reads the log from
    position 0: what the policies already did is recognised by its command ids and recorded nothing
    again. Ticks wait until the log as it stood at start has been read, so that no time rule acts
    on what the policies have not seen yet. Use `process` and `tick` directly (tests, one-off runs)
    or `start` a thread that does both; `stop` ends and joins it.
    """

    def __init__(
        self,
        desk: IncidentDesk,
        policies: Sequence[Policy],
        clock: Clock | None = None,
        tick_seconds: float = DEFAULT_TICK_SECONDS,
    ) -> None:
        if tick_seconds <= 0:
            raise ValueError("tick_seconds must be positive")
        self._desk = desk
        self._policies = list(policies)
        self._clock = clock or desk.clock
        self._tick_seconds = tick_seconds
        self._position = 0
        self._moved = threading.Condition()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._tail: LogTail | None = None
        self.ticks = 0
        self.restarts = 0

    @property
    def position(self) -> int:
        """The position of the last event every policy has handled."""
        return self._position

    def process(self, logged: LoggedEvent) -> None:
        """Hand one logged event to every policy (an event at or before `position` is skipped)."""
        if logged.position <= self._position:
            return
        for policy in self._policies:
            policy.handle(logged)
        with self._moved:
            self._position = logged.position
            self._moved.notify_all()

    def tick(self) -> None:
        """Let every policy act on the time now, by the runner's clock."""
        now = self._clock()
        for policy in self._policies:
            policy.tick(now)
        self.ticks += 1

    def catch_up(self) -> int:
        """Process the log up to its present end in this thread; returns how many events were handled."""
        until = self._head()
        if self._position >= until:
            return 0
        handled = 0
        tail = LogTail(self._desk, after=self._position)
        for logged in tail:
            self.process(logged)
            handled += 1
            if logged.position >= until:
                tail.stop()
        return handled

    def reset(self) -> None:
        """Forget everything: the next event processed must be the log's first."""
        for policy in self._policies:
            policy.reset()
        with self._moved:
            self._position = 0

    # -- the thread ------------------------------------------------------------------------

    def start(self) -> None:
        """Follow the log and tick in a thread of its own, until `stop`."""
        if self._thread is not None:
            raise RuntimeError("the policy runner was already started")
        self._thread = threading.Thread(target=self._run, name="policy-runner", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop following the log and join the thread (safe to call when not started)."""
        self._stopped.set()
        tail = self._tail
        if tail is not None:
            tail.stop()
        if self._thread is not None:
            self._thread.join(timeout)
        with self._moved:
            self._moved.notify_all()

    def is_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait_for(self, position: int, timeout: float) -> bool:
        """Block until the policies have handled `position` (True) or the timeout passed (False)."""
        with self._moved:
            return self._moved.wait_for(lambda: self._position >= position or self._stopped.is_set(), timeout)

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                self._follow()
            except Exception:
                # Memory may hold half of an event: start over from the log's beginning; what was
                # done is recognised by its command ids.
                log.exception("policy runner failed at position %s; starting again from 0", self._position)
                self.restarts += 1
                self._stopped.wait(RETRY_SECONDS)
                self.reset()

    def _follow(self) -> None:
        head = self._head()
        self._tail = tail = LogTail(self._desk, after=self._position)
        buffer: queue.Queue[LoggedEvent] = queue.Queue(maxsize=BUFFER_SIZE)

        def feed() -> None:
            for logged in tail:
                while not self._stopped.is_set():
                    try:
                        buffer.put(logged, timeout=POLL_SECONDS)
                        break
                    except queue.Full:
                        continue

        feeder = threading.Thread(target=feed, name="policy-feeder", daemon=True)
        feeder.start()
        next_tick = time.monotonic()
        try:
            while not self._stopped.is_set():
                caught_up = self._position >= head
                wait = (
                    min(POLL_SECONDS, max(0.0, next_tick - time.monotonic())) if caught_up else POLL_SECONDS
                )
                try:
                    self.process(buffer.get(timeout=wait) if wait > 0 else buffer.get_nowait())
                except queue.Empty:
                    if not feeder.is_alive():
                        if self._stopped.is_set():
                            return  # `stop` ended the tail
                        raise RuntimeError("the log tail ended") from None
                if self._position >= head and time.monotonic() >= next_tick:
                    self.tick()
                    next_tick = time.monotonic() + self._tick_seconds
        finally:
            tail.stop()
            feeder.join(POLL_SECONDS * 50)

    def _head(self) -> int:
        return int(self._desk.recorder.max_notification_id() or 0)
