"""What every policy shares: its system actor, acting through the desk, and the open incidents it watches."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol, cast
from uuid import UUID

from eventsourcing.domain import Snapshot
from eventsourcing.persistence import StoredEvent

from application.errors import CommandIdReusedError
from application.incident_desk import CommandResult, IncidentDesk
from application.log_tail import LoggedEvent
from application.policies.dispatch import CommandQueue, Queued, QueuedCommand
from application.policies.settings import PolicySettings
from application.policies.thresholds_in_force import ThresholdsInForce
from domain.commands import Command
from domain.complaint import Complaint
from domain.emergency import Emergency
from domain.errors import DomainError
from domain.incident import Incident as IncidentBase
from domain.values import Actor, Role

log = logging.getLogger(__name__)

Incident = Complaint | Emergency


class Memory(Protocol):
    """What a runner checkpoints: a named memory that says what changed and takes it back."""

    @property
    def name(self) -> str: ...

    @property
    def memory_version(self) -> int | None: ...

    def remembered(self) -> dict[str, bytes | None]: ...

    def recall(self, key: str, body: bytes) -> None: ...


class Policy:
    """Watches the log and records events through the desk, idempotently.

    `handle` is fed every logged event in order; the policy keeps in memory what it needs. Time-based
    policies also act on `tick(now)`. Every act carries a command id derived only from what
    triggered it, so a replay of the log, or a second worker, records nothing twice.

    The incidents still open, as they stand, are in `open_incidents`, shared by every policy of a
    runner, which moves it on before it hands each event to the policies. A policy whose memory can
    be checkpointed sets `memory_version` (changing it whenever the memory's shape changes) and
    says what changed in `remembered`, and takes it back in `recall`; the runner of policies that all
    do then starts from the checkpoint, not from position 0.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    memory_version: ClassVar[int | None] = None  # None: not checkpointed (read from 0 at every start)

    def __init__(self, desk: IncidentDesk, settings: PolicySettings) -> None:
        self.desk = desk
        # The settings under the thresholds in force (shared by a runner's policies, like the open
        # incidents): `settings` as built until the log says otherwise.
        self.in_force = ThresholdsInForce(settings)
        self.actor = Actor(id=f"policy:{self.name}", role=Role.SYSTEM, unit="HQ", name=self.title)
        self.open_incidents = OpenIncidents(desk)
        # Set by a runner: its commands are then queued for the runner's flush, not run at once.
        self.commands: CommandQueue | None = None
        self.reset()

    @property
    def settings(self) -> PolicySettings:
        """The settings under the thresholds in force as of the event being handled."""
        return self.in_force.settings

    def reset(self) -> None:
        """Forget everything learnt from the log (the runner feeds it again from a checkpoint or 0)."""

    def remembered(self) -> dict[str, bytes | None]:
        """What changed in memory since the last call, by key (None: forgotten), as `recall` takes it."""
        return {}

    def recall(self, key: str, body: bytes) -> None:
        """Take back one remembered entry (after `reset`, before any event)."""

    def handle(self, logged: LoggedEvent) -> None:
        """Learn from one logged event, acting on it if the policy's rule says so."""

    def tick(self, now: datetime) -> None:
        """Act on what time alone changes (only time-based policies do anything)."""

    def is_own(self, event: Any) -> bool:
        """True when this policy recorded `event`."""
        actor = getattr(event, "actor", None)
        return isinstance(actor, Actor) and actor.id == self.actor.id

    def act(
        self, incident_id: UUID, command: Command[IncidentBase], command_id: str
    ) -> CommandResult | Queued | None:
        """Run a command as this policy; a refusal is expected (the incident moved on) and yields None.

        Under a runner the command is queued and run with the others its batch of events called for
        (so that they share commits); the caller takes it as done, as it would be unless refused, and
        a refused command is not tried again: the incident moved on, and its events will say how.
        """
        if self.commands is not None:
            return self.commands.put(
                QueuedCommand(
                    position=self.commands.position,
                    policy=self.name,
                    actor=self.actor,
                    incident_id=incident_id,
                    command=command,
                    command_id=command_id,
                    refused=self.refused,
                )
            )
        try:
            return self.desk.act(
                incident_id, command, actor=self.actor, occurred_at=None, command_id=command_id
            )
        except DomainError as error:
            self.refused(command_id, error)
            return None

    def refused(self, command_id: str, error: DomainError) -> None:
        """Note a refusal: routine for a rule, a warning for a reused command id (a non-deterministic act)."""
        if isinstance(error, CommandIdReusedError):
            log.warning("policy %s: %s", self.name, error.message)
        else:
            log.debug("policy %s: %s refused: %s", self.name, command_id, error.message)


def stable(moment: datetime) -> str:
    """A time as it goes into a command id: the same instant always gives the same text."""
    return moment.astimezone(UTC).isoformat()


def is_event_of(kind: type[Complaint] | type[Emergency], event: Any) -> bool:
    """True when `event` is one of `kind`'s own event classes (Complaint.NoteAdded, not Emergency's)."""
    return getattr(kind, type(event).__name__, None) is type(event)


class OpenIncidents:
    """The incidents not closed, as they stand, moved on by each of their logged events in order.

    A closed incident is dropped (only notes and corrections can follow, until a reopening, which
    loads it back from the store). Checkpointed as each incident's snapshot, encoded as the store
    encodes its snapshots (the same transcodings, compression and cipher).
    """

    name = "open-incidents"
    memory_version = 1

    def __init__(
        self,
        desk: IncidentDesk,
        kinds: tuple[type[Complaint] | type[Emergency], ...] = (Complaint, Emergency),
    ) -> None:
        self._desk = desk
        self._kinds = kinds
        self._states: dict[UUID, Incident] = {}
        self._changed: set[UUID] = set()

    def reset(self) -> None:
        self._states.clear()
        self._changed.clear()

    def remembered(self) -> dict[str, bytes | None]:
        changes = {
            str(i): self._encode(self._states[i]) if i in self._states else None for i in self._changed
        }
        self._changed.clear()
        return changes

    def recall(self, key: str, body: bytes) -> None:
        topic, version, state = body.split(b"\0", 2)
        stored = StoredEvent(UUID(key), int(version), topic.decode(), state)
        snapshot: Any = self._desk.mapper.to_domain_event(stored)
        self._states[UUID(key)] = cast(Incident, snapshot.mutate(None))

    def _encode(self, state: Incident) -> bytes:
        snapshot_class: Any = getattr(type(state), "Snapshot", Snapshot)
        stored = self._desk.mapper.to_stored_event(snapshot_class.take(state))
        return b"\0".join((stored.topic.encode(), str(stored.originator_version).encode(), stored.state))

    def __iter__(self) -> Iterator[Incident]:
        return iter(list(self._states.values()))

    def __len__(self) -> int:
        return len(self._states)

    def get(self, incident_id: UUID) -> Incident | None:
        return self._states.get(incident_id)

    def apply(self, event: Any) -> Incident | None:
        """The incident after `event` if it is one of the watched kinds and still open, else None."""
        if not isinstance(event, IncidentBase.Event) or not any(is_event_of(k, event) for k in self._kinds):
            return None
        incident_id: UUID = event.originator_id
        version: int = event.originator_version
        state = self._states.pop(incident_id, None)
        if state is not None:
            self._changed.add(incident_id)  # gone from memory, unless put back below
        if state is not None and state.version == version - 1:
            state = cast(Incident, event.mutate(state))
        elif state is None and version == 1:
            state = cast(Incident, event.mutate(None))
        elif state is not None or isinstance(event, IncidentBase.Reopened):
            state = self._desk.get_incident(incident_id, version=version)
        else:
            return None  # an event after the close: a note or a correction
        self._changed.add(incident_id)
        if state.is_closed:
            return None
        self._states[incident_id] = state
        return state


def encoded(value: Any) -> bytes:
    """A remembered entry as JSON (`remembered`'s bodies); `decoded` reads it back."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def decoded(body: bytes) -> Any:
    return json.loads(body)
