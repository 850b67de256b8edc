"""Runs the policies: feeds them the log from their checkpoint (or position 0), then live, and ticks
the time-based ones.

A failure is loud and bounded, never a loop that spins or a freeze that hides:
- a policy that fails on one event (a bug, an event it cannot take) has that event passed over for it
  alone, logged once with the position and reported in `status()`: the other policies, and this one
  on later events, go on — automation that stops for everyone on one bad report fails exactly when a
  storm of reports needs it;
- a stored event nobody can decode is passed over the same way;
- the store going away stops the runner, which starts again from its last checkpoint (or 0) after a
  backoff (1 s doubling to a minute), logging each distinct failure once.

With a leader lock (the boards' own), only its holder runs the policies; another runner waits as a
standby and takes over, from the checkpoint, when the lock comes free.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from application.backoff import Backoff
from application.failure import describe
from application.incident_desk import Clock, IncidentDesk
from application.log_follower import FollowerEndedError, LogFollower
from application.log_tail import LoggedEvent
from application.policies.base import Memory, OpenIncidents, Policy
from application.policies.checkpoint import NOT_WRITTEN_ERRORS, PolicyCheckpoints
from application.policies.dispatch import CommandQueue
from application.policies.settings import PolicySettings
from application.policies.thresholds_in_force import ThresholdsInForce
from application.store.errors import RECOVERABLE_STORE_ERRORS

log = logging.getLogger(__name__)

DEFAULT_TICK_SECONDS = 30.0
# The most events handled before their commands are run: enough to share commits in a storm, few
# enough that a reader waiting on a position is not kept waiting long.
BATCH_LIMIT = 200
POLL_SECONDS = 0.2
STANDBY_SECONDS = 1.0  # how often a standby looks whether the leader lock came free
CHECKPOINT_SECONDS = 1.0  # at most this much of the log is read again after a restart (and more when idle)
# The passed-over events `status()` shows (all of them are in the log).
SKIPS_SHOWN = 20


class Leadership(Protocol):
    """The lock that lets one runner work while the others stand by (interfaces/boards/leader.py)."""

    @property
    def held(self) -> bool: ...

    def try_acquire(self) -> bool: ...


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

    The policies share one memory of the open incidents and one of the thresholds in force (both
    moved on before they see each event).
    With `checkpoints`, and policies that can all be checkpointed, the memory and the position are
    written beside the boards about once a second (after a batch, never in the middle of one), and
    a runner starts from there; otherwise from position 0. Either way, what the policies already
    did is recognised by its command ids and recorded nothing again. Ticks wait until the log as it
    stood at start has been read, so that no time rule acts on what the policies have not seen yet.
    Use `process`, `catch_up` and `tick` directly (tests, one-off runs) or `start` a thread that does
    all of it; `stop` ends and joins it (and writes a last checkpoint).
    """

    def __init__(
        self,
        desk: IncidentDesk,
        policies: Sequence[Policy],
        clock: Clock | None = None,
        tick_seconds: float = DEFAULT_TICK_SECONDS,
        backoff: Backoff | None = None,
        *,
        checkpoints: PolicyCheckpoints | None = None,
        leader: Leadership | None = None,
    ) -> None:
        if tick_seconds <= 0:
            raise ValueError("tick_seconds must be positive")
        self._desk = desk
        self._policies = list(policies)
        self._open = OpenIncidents(desk)
        # One view of the thresholds in force for all of them, from the first one's settings as built.
        self._in_force = ThresholdsInForce(self._policies[0].settings if self._policies else PolicySettings())
        for policy in self._policies:
            policy.open_incidents = self._open  # one memory of the open incidents for all of them
            policy.in_force = self._in_force
        self._clock = clock or desk.clock
        self._tick_seconds = tick_seconds
        self._checkpoints = checkpoints if self._checkpointable() else None
        self._leader = leader
        self._memories: list[Memory] = [self._open, self._in_force, *self._policies]
        self._signature = ",".join(sorted(f"{m.name}:{m.memory_version}" for m in self._memories))
        self._position = 0
        self._restored = False  # memory taken back from the checkpoint (or known to start at 0)
        self._fresh = True  # the next checkpoint replaces every row (none of this memory is stored)
        self._checkpointed_at = 0.0  # monotonic time of the last checkpoint (or attempt)
        self._unsaved: dict[str, dict[str, bytes | None]] = {}  # changes a failed checkpoint left
        self._unsaved_reason: str | None = None
        self._moved = threading.Condition()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._follower: LogFollower | None = None
        self.ticks = 0
        self.restarts = 0
        self.read = 0  # events read from the log and handed to the policies (what a restart costs)
        self._backoff = backoff or Backoff()
        self._passed_over: deque[PassedOver] = deque(maxlen=SKIPS_SHOWN)
        self.passed_over_count = 0
        self._tick_failures: set[tuple[str, str]] = set()
        self._failure: tuple[datetime, str] | None = None  # since, reason: the runner itself failing
        self._commands = CommandQueue(desk)
        for policy in self._policies:
            policy.commands = self._commands

    def _checkpointable(self) -> bool:
        return all(policy.memory_version is not None for policy in self._policies)

    def status(self) -> dict[str, Any]:
        """Where the policies are, what they passed over, and why the runner fails if it does."""
        found: dict[str, Any] = {
            "position": self._position,
            "passed_over": self.passed_over_count,
            "recent": [p.as_json() for p in self._passed_over],
            "failing": None
            if self._failure is None
            else {"since": self._failure[0].isoformat(), "reason": self._failure[1]},
        }
        if self._leader is not None and not self._leader.held:
            found["standby"] = True  # another process runs the policies
        return found

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
        reader waiting for a position sees what the policies did about it, and a checkpoint never
        stands past an act not yet done.
        """
        self._restore()
        fresh = [logged for logged in batch if logged.position > self._position]
        if not fresh:
            return
        for logged in fresh:
            self._commands.position = logged.position
            self._handle(logged)
        self._commands.flush(self._pass_over)
        self.read += len(fresh)
        self._moved_to(fresh[-1].position)

    def _handle(self, logged: LoggedEvent) -> None:
        try:
            self._in_force.apply(logged.event)  # before the policies, which decide under them
        except Exception as error:
            self._pass_over(logged.position, self._in_force.name, error)
        try:
            self._open.apply(logged.event)
        except RECOVERABLE_STORE_ERRORS:
            raise  # the store went away: the runner stops and starts again
        except Exception as error:
            self._pass_over(logged.position, self._open.name, error)
        for policy in self._policies:
            try:
                policy.handle(logged)
            except RECOVERABLE_STORE_ERRORS:
                raise
            except Exception as error:
                self._pass_over(logged.position, policy.name, error)

    def _moved_to(self, position: int) -> None:
        with self._moved:
            self._position = max(self._position, position)
            self._moved.notify_all()

    def tick(self) -> None:
        """Let every policy act on the time now, by the runner's clock."""
        self._restore()
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
        # Told in the log's order (by the follower, in this thread): handled, so a reader waiting
        # on it must not wait for ever.
        if position <= self._position:
            return
        self._pass_over(position, f"every policy (topic {topic})", error)
        self._moved_to(position)

    def catch_up(self) -> int:
        """Process the log up to its present end in this thread; returns how many events were handled."""
        self._restore()
        until = self._head()
        if self._position >= until:
            return 0
        handled = 0
        with LogFollower(
            self._desk, after=self._position, batch_size=BATCH_LIMIT, on_undecodable=self._undecodable
        ) as follower:
            while self._position < until:
                batch = [logged for logged in follower.next_batch() if logged.position <= until]
                self.process_batch(batch)
                handled += len(batch)
                if follower.position >= until:
                    break
        self.checkpoint()
        return handled

    def reset(self) -> None:
        """Forget everything: the next event processed comes after the checkpoint (or is the log's first)."""
        self._commands.discard()
        self._open.reset()
        self._in_force.reset()
        for policy in self._policies:
            policy.reset()
        with self._moved:
            self._position = 0
        self._restored = False
        self._unsaved = {}

    # -- the checkpoint --------------------------------------------------------------------

    def _restore(self) -> None:
        """Take the memory back from the checkpoint, once after each reset (before any event)."""
        if self._restored:
            return
        self._restored = True
        self._fresh = True
        if self._checkpoints is None:
            return
        found = self._checkpoints.load(self._signature)
        if found is None:
            return
        by_name = {m.name: m for m in self._memories}
        for name, entries in found.memory.items():
            memory = by_name.get(name)
            if memory is not None:
                for key, body in entries:
                    memory.recall(key, body)
        self._fresh = False
        self._moved_to(found.position)
        log.info("the policies took their memory back from the checkpoint at position %s", found.position)

    def checkpoint(self) -> None:
        """Write what the memory learnt since the last checkpoint, with the position it stands at."""
        if self._checkpoints is None or not self._restored:
            return
        for memory in self._memories:
            self._unsaved.setdefault(memory.name, {}).update(memory.remembered())
        self._checkpointed_at = time.monotonic()
        try:
            self._checkpoints.save(self._signature, self._position, self._unsaved, fresh=self._fresh)
        except NOT_WRITTEN_ERRORS as error:
            # The memory is whole: keep the changes for the next checkpoint instead of starting over
            # (a board's long transaction holding SQLite's write lock past its wait is no failure).
            reason = describe(error)
            if reason != self._unsaved_reason:
                self._unsaved_reason = reason
                log.warning("the policies' checkpoint at position %s waits: %s", self._position, reason)
            return
        self._unsaved, self._unsaved_reason = {}, None
        self._fresh = False

    def _checkpoint_due(self) -> None:
        if time.monotonic() - self._checkpointed_at >= CHECKPOINT_SECONDS:
            self.checkpoint()

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
        follower = self._follower
        if follower is not None:
            follower.stop()
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

    def _leading(self) -> bool:
        return self._leader is None or self._leader.try_acquire()

    def _run(self) -> None:
        while not self._stopped.is_set():
            if not self._leading():
                self._stopped.wait(STANDBY_SECONDS)  # a standby: another process runs the policies
                continue
            try:
                self._follow()
            except Exception as error:
                if self._stopped.is_set():
                    return  # the store closing under a stopping runner is no failure
                # Memory may hold half of an event: start over from the checkpoint, after a while;
                # what was done since is recognised by its command ids.
                reason, delay = describe(error), self._backoff.next()
                if self._failure is None or self._failure[1] != reason:
                    log.error(
                        "policy runner stopped at position %s: %s; starting again from its checkpoint "
                        "in %g s (backing off up to %g s)",
                        self._position,
                        reason,
                        delay,
                        self._backoff.cap,
                    )
                    self._failure = (self._clock(), reason)
                self.restarts += 1
                self._stopped.wait(delay)
            if not self._stopped.is_set():
                # After a failure, or after the leader lock was lost: the memory comes back from
                # the checkpoint (another runner may have moved it on).
                self.reset()

    def _follow(self) -> None:
        self._restore()
        head = self._head()
        self._follower = follower = LogFollower(
            self._desk, after=self._position, batch_size=BATCH_LIMIT, on_undecodable=self._undecodable
        )
        next_tick = time.monotonic()
        with follower:
            while not self._stopped.is_set():
                if self._leader is not None and not self._leader.held:
                    return  # the lock was given up (the boards stopped): stand by
                caught_up = self._position >= head
                wait = (
                    min(POLL_SECONDS, max(0.0, next_tick - time.monotonic())) if caught_up else POLL_SECONDS
                )
                try:
                    self.process_batch(follower.next_batch(wait))
                except FollowerEndedError:
                    if self._stopped.is_set():
                        break  # `stop` ended the tail
                    raise RuntimeError("the log tail ended") from None
                if self._position >= head and self._failure is not None:
                    log.warning("policy runner recovered: it has read the log to position %s", head)
                    self._failure = None
                    self._backoff.reset()
                if self._position >= head and time.monotonic() >= next_tick:
                    self.tick()
                    next_tick = time.monotonic() + self._tick_seconds
                self._checkpoint_due()
        if self._leader is None or self._leader.held:
            self.checkpoint()  # stopped between batches: the memory is whole

    def _head(self) -> int:
        return int(self._desk.recorder.max_notification_id() or 0)
