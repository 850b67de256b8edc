"""Runs the policies: feeds them the log from position 0, then live, and ticks the time-based ones.

A failure is loud and bounded, never a loop that spins or a freeze that hides:
- a policy that fails on one event (a bug, an event it cannot take) has that event passed over for it
  alone, logged once with the position and reported in `status()`: the other policies, and this one
  on later events, go on — automation that stops for everyone on one bad report fails exactly when a
  storm of reports needs it;
- a stored event nobody can decode is passed over the same way;
- the store going away stops the runner, which starts again from 0 after a backoff (1 s doubling to a
  minute), logging each distinct failure once.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from application.backoff import Backoff
from application.failure import describe
from application.incident_desk import Clock, IncidentDesk
from application.log_tail import LoggedEvent, LogTail
from application.policies.base import Policy
from application.policies.dispatch import CommandQueue
from application.store.errors import RECOVERABLE_STORE_ERRORS

log = logging.getLogger(__name__)

DEFAULT_TICK_SECONDS = 30.0
BUFFER_SIZE = 10_000
# The most events handled before their commands are run: enough to share commits in a storm, few
# enough that a reader waiting on a position is not kept waiting long.
BATCH_LIMIT = 200
POLL_SECONDS = 0.2
# The passed-over events `status()` shows (all of them are in the log).
SKIPS_SHOWN = 20


@dataclass(frozen=True)
class PassedOver:
    """An event a policy could not take (or nobody could decode), passed over for it."""

    position: int
    policy: str
    reason: str
    at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "policy": self.policy,
            "reason": self.reason,
            "at": self.at.isoformat(),
        }


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
        backoff: Backoff | None = None,
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
        self._backoff = backoff or Backoff()
        self._passed_over: deque[PassedOver] = deque(maxlen=SKIPS_SHOWN)
        self.passed_over_count = 0
        self._tick_failures: set[tuple[str, str]] = set()
        self._failure: tuple[datetime, str] | None = None  # since, reason: the runner itself failing
        self._commands = CommandQueue(desk)
        for policy in self._policies:
            policy.commands = self._commands

    def status(self) -> dict[str, Any]:
        """Where the policies are, what they passed over, and why the runner fails if it does."""
        return {
            "position": self._position,
            "passed_over": self.passed_over_count,
            "recent": [p.as_json() for p in self._passed_over],
            "failing": None
            if self._failure is None
            else {"since": self._failure[0].isoformat(), "reason": self._failure[1]},
        }

    @property
    def position(self) -> int:
        """The position of the last event every policy has handled."""
        return self._position

    def process(self, logged: LoggedEvent) -> None:
        """Hand one logged event to every policy (an event at or before `position` is skipped)."""
        self.process_batch([logged])

    def process_batch(self, batch: Sequence[LoggedEvent]) -> None:
        """Hand logged events to every policy in order, then run the commands they called for.

        The position moves past the batch only once those commands are stored (or refused): a
        reader waiting for a position sees what the policies did about it.
        """
        last = self._position
        for logged in batch:
            if logged.position <= last:
                continue
            self._commands.position = logged.position
            for policy in self._policies:
                try:
                    policy.handle(logged)
                except RECOVERABLE_STORE_ERRORS:
                    raise  # the store went away: the runner stops and starts again
                except Exception as error:
                    self._pass_over(logged.position, policy.name, error)
            last = logged.position
        self._commands.flush(self._pass_over)
        with self._moved:
            self._position = max(self._position, last)
            self._moved.notify_all()

    def tick(self) -> None:
        """Let every policy act on the time now, by the runner's clock."""
        now = self._clock()
        self._commands.position = self._position
        for policy in self._policies:
            try:
                policy.tick(now)
            except RECOVERABLE_STORE_ERRORS:
                raise
            except Exception as error:
                self._tick_failed(policy.name, error)
        self._commands.flush(lambda _position, policy, error: self._tick_failed(policy, error))
        self.ticks += 1

    def _tick_failed(self, policy: str, error: Exception) -> None:
        # Logged once per policy and reason: a failing tick would otherwise log every tick.
        seen = (policy, describe(error))
        if seen not in self._tick_failures:
            self._tick_failures.add(seen)
            log.error("policy %s failed on a tick; it will tick again", policy, exc_info=error)

    def _pass_over(self, position: int, policy: str, error: Exception) -> None:
        passed = PassedOver(position, policy, describe(error), self._clock())
        self._passed_over.append(passed)
        self.passed_over_count += 1
        log.error(
            "policy %s could not take the event at position %s and passed over it: %s",
            policy,
            position,
            passed.reason,
            exc_info=error,
        )

    def _undecodable(self, position: int, topic: str, error: Exception) -> None:
        self._pass_over(position, f"every policy (topic {topic})", error)
        with self._moved:  # passed over is handled: a reader waiting on it must not wait for ever
            self._position = max(self._position, position)
            self._moved.notify_all()

    def catch_up(self) -> int:
        """Process the log up to its present end in this thread; returns how many events were handled."""
        until = self._head()
        if self._position >= until:
            return 0
        handled = 0

        def undecodable(position: int, topic: str, error: Exception) -> None:
            self._undecodable(position, topic, error)
            if position >= until:
                tail.stop()

        tail = LogTail(self._desk, after=self._position, on_undecodable=undecodable)
        batch: list[LoggedEvent] = []
        for logged in tail:
            batch.append(logged)
            handled += 1
            if logged.position >= until:
                tail.stop()
            if len(batch) >= BATCH_LIMIT or logged.position >= until:
                self.process_batch(batch)
                batch = []
        self.process_batch(batch)
        return handled

    def reset(self) -> None:
        """Forget everything: the next event processed must be the log's first."""
        self._commands.discard()
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
            except Exception as error:
                if self._stopped.is_set():
                    return  # the store closing under a stopping runner is no failure
                # Memory may hold half of an event: start over from the log's beginning, after a
                # while; what was done is recognised by its command ids.
                reason, delay = describe(error), self._backoff.next()
                if self._failure is None or self._failure[1] != reason:
                    log.error(
                        "policy runner stopped at position %s: %s; starting again from 0 in %g s "
                        "(backing off up to %g s)",
                        self._position,
                        reason,
                        delay,
                        self._backoff.cap,
                    )
                    self._failure = (self._clock(), reason)
                self.restarts += 1
                self._stopped.wait(delay)
                self.reset()

    def _follow(self) -> None:
        head = self._head()
        self._tail = tail = LogTail(self._desk, after=self._position, on_undecodable=self._undecodable)
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
                    self.process_batch(self._take_batch(buffer, wait))
                except queue.Empty:
                    if not feeder.is_alive():
                        if self._stopped.is_set():
                            return  # `stop` ended the tail
                        raise RuntimeError("the log tail ended") from None
                if self._position >= head and self._failure is not None:
                    log.warning("policy runner recovered: it has read the log to position %s", head)
                    self._failure = None
                    self._backoff.reset()
                if self._position >= head and time.monotonic() >= next_tick:
                    self.tick()
                    next_tick = time.monotonic() + self._tick_seconds
        finally:
            tail.stop()
            feeder.join(POLL_SECONDS * 50)

    @staticmethod
    def _take_batch(buffer: queue.Queue[LoggedEvent], wait: float) -> list[LoggedEvent]:
        """The next event (waiting up to `wait`) and whatever else is already buffered, up to a limit."""
        batch = [buffer.get(timeout=wait) if wait > 0 else buffer.get_nowait()]
        with contextlib.suppress(queue.Empty):
            while len(batch) < BATCH_LIMIT:
                batch.append(buffer.get_nowait())
        return batch

    def _head(self) -> int:
        return int(self._desk.recorder.max_notification_id() or 0)
