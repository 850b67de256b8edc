"""The policies' commands, queued while a batch of events is handled and then run together.

In a storm every related complaint is raised by a command of its own. Run one after another, each
waits for its own durable commit, and the policies fall behind the storm by the sum of those waits.
Run side by side (commands on different incidents on different threads, commands on one incident in
the order they were queued), they share commits: the store's group commit on SQLite, concurrent
commits on PostgreSQL. Durability is unchanged — the runner moves its position past an event only
after every command that event called for has been stored or refused.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from uuid import UUID

from application.incident_desk import CommandResult, IncidentDesk
from application.store.errors import RECOVERABLE_STORE_ERRORS
from domain.commands import Command
from domain.errors import DomainError
from domain.incident import Incident
from domain.values import Actor

# Enough threads for the commits of a storm to share their waits; more would only contend for the GIL.
WORKERS = 8


@dataclass(frozen=True)
class QueuedCommand:
    """One command a policy called for while handling the event at `position`."""

    position: int
    policy: str
    actor: Actor
    incident_id: UUID
    command: Command[Incident]
    command_id: str
    refused: Callable[[str, DomainError], None]


class Queued:
    """What `Policy.act` answers when its command was queued: it will be run before the runner moves on."""

    __slots__ = ()


QUEUED = Queued()
# How a command that failed otherwise than by a refusal is reported: (position, policy, error).
OnFailure = Callable[[int, str, Exception], None]


@dataclass
class _Outcome:
    """How one incident's commands went: those that failed, and the store failure that stopped them."""

    failures: list[tuple[QueuedCommand, Exception]] = field(default_factory=list)
    store_failure: Exception | None = None


class CommandQueue:
    """Collects the policies' commands and runs them all at `flush`, sharing the store's commits."""

    def __init__(self, desk: IncidentDesk, workers: int = WORKERS) -> None:
        self._desk = desk
        self._workers = workers
        self._queued: list[QueuedCommand] = []
        self.position = 0  # the event being handled: every command queued now is that event's

    def put(self, command: QueuedCommand) -> Queued:
        self._queued.append(command)
        return QUEUED

    def discard(self) -> None:
        """Drop what is queued: the memory that called for it is being forgotten (the runner resets)."""
        self._queued = []

    def flush(self, on_failure: OnFailure) -> None:
        """Run every queued command; returns once each is stored or refused.

        A refusal is the policy's to note (the incident moved on). A failure of the store is raised
        after the others finished, so the runner starts again from a position none of them passed;
        any other failure is reported for the command's policy and event, as a failing `handle` is.
        """
        queued, self._queued = self._queued, []
        if not queued:
            return
        by_incident: dict[UUID, list[QueuedCommand]] = {}
        for command in queued:
            by_incident.setdefault(command.incident_id, []).append(command)
        groups = list(by_incident.values())
        if len(groups) == 1:
            outcomes = [self._run_in_order(groups[0])]
        else:
            # Threads of the flush's own, gone when it returns: a runner that is never stopped (a
            # one-off catch-up) leaves nothing behind.
            workers = min(self._workers, len(groups))
            with ThreadPoolExecutor(workers, thread_name_prefix="policy-command") as pool:
                outcomes = list(pool.map(self._run_in_order, groups))
        for outcome in outcomes:
            if outcome.store_failure is not None:
                raise outcome.store_failure
        for outcome in outcomes:
            for command, error in outcome.failures:
                on_failure(command.position, command.policy, error)

    def _run_in_order(self, group: list[QueuedCommand]) -> _Outcome:
        """Run one incident's commands in order; a store failure stops them (the rest would fail too)."""
        outcome = _Outcome()
        for command in group:
            try:
                self._run(command)
            except RECOVERABLE_STORE_ERRORS as error:
                outcome.store_failure = error
                break
            except Exception as error:  # reported for its policy and event by `flush`
                outcome.failures.append((command, error))
        return outcome

    def _run(self, command: QueuedCommand) -> CommandResult | None:
        try:
            return self._desk.act(
                command.incident_id,
                command.command,
                actor=command.actor,
                occurred_at=None,
                command_id=command.command_id,
            )
        except DomainError as error:
            command.refused(command.command_id, error)
            return None
