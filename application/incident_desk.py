"""The incident desk: the command API for every complaint and emergency, on the event store."""

from __future__ import annotations

import contextlib
import functools
import inspect
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Mapper

from application.command_log import CommandObserver, logged_command
from application.errors import (
    AccessDeniedError,
    CommandIdReusedError,
    IncidentAlreadyExistsError,
    IncidentKindError,
    IncidentNotFoundError,
    VersionConflictError,
)
from application.fingerprint import client_key, fingerprint, scoped_key
from application.personal_data import KeyRing, PersonalDataMapper, SealedAsDict
from application.store.receipts import CommandReceipt
from application.transcodings import domain_transcodings
from domain.commands import Command, CommandMethod, commands_of
from domain.complaint import Complaint
from domain.emergency import Emergency
from domain.errors import DomainError, InvalidInputError
from domain.incident import Incident as IncidentBase
from domain.outlet_queue import OutletQueue, queue_id
from domain.values import Actor, Stamp

Incident = Complaint | Emergency
Clock = Callable[[], datetime]
# For a caller that knows only an incident's id: makes the command once the incident's kind is known.
CommandFor = Callable[[type[Complaint] | type[Emergency]], Command[IncidentBase]]
# The access check the desk runs on the loaded incident, before the command: raises to refuse.
Authorise = Callable[[Incident, Command[IncidentBase]], None]

# A snapshot every so many events keeps loading an incident independent of its history's length.
SNAPSHOT_INTERVAL = 25
# Without an expected version, a command that lost a race (to another process: within one process
# commands on an incident take turns) is re-checked against the new state.
MAX_ATTEMPTS = 5
# Commands on one incident take turns within a process; commands on different incidents do not wait
# for each other (they share group commits instead).
INCIDENT_LOCK_STRIPES = 256


def utc_now() -> datetime:
    return datetime.now(UTC)


class ReceiptRecorder(Protocol):
    """What the desk needs of its recorder beyond the library's: receipts and positions."""

    def receipt(self, command_id: str) -> CommandReceipt | None: ...

    def position_of(self, originator_id: UUID, version: int) -> int | None: ...


@dataclass(frozen=True)
class CommandResult:
    """What a command produced: the incident's new version and the log position of its last event."""

    incident_id: UUID
    version: int
    position: int
    replayed: bool = False


class IncidentDesk(Application[UUID]):
    """Where every complaint and emergency is reported and acted on; its methods are the command API."""

    name = "Incidents"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {
        Complaint: SNAPSHOT_INTERVAL,
        Emergency: SNAPSHOT_INTERVAL,
        # A queue is read many times a day for years: without snapshots it would load ever slower.
        OutletQueue: SNAPSHOT_INTERVAL,
    }
    env: ClassVar[dict[str, str]] = {
        "AGGREGATE_CACHE_MAXSIZE": "10000",
        # Fast-forwarding keeps a cached incident current with writes from other processes.
        "AGGREGATE_CACHE_FASTFORWARD": "y",
    }

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        clock: Clock = utc_now,
        personal_keys: KeyRing | None = None,
    ) -> None:
        # Set before the library builds the mapper (in super().__init__), which seals with it.
        self.personal_keys = personal_keys
        # Told of every command as it ends (application/command_log.py): the server's metrics.
        self.command_observers: list[CommandObserver] = []
        super().__init__(env)
        self.clock = clock
        self._incident_locks = [threading.Lock() for _ in range(INCIDENT_LOCK_STRIPES)]

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        for transcoding in domain_transcodings():
            transcoder.register(transcoding)
        transcoder.register(SealedAsDict())

    def construct_mapper(self) -> Mapper[UUID]:
        # Personal fields are sealed in every event and snapshot (application/personal_data.py).
        return PersonalDataMapper(self.construct_transcoder(), self.personal_keys)

    @property
    def _fingerprint_key(self) -> bytes | None:
        return None if self.personal_keys is None else self.personal_keys.fingerprint_key

    @property
    def receipts(self) -> ReceiptRecorder:
        return cast(ReceiptRecorder, self.recorder)

    # Reporting: the client may choose the incident id, so an offline branch can act before syncing.

    def report_complaint(
        self,
        *,
        actor: Actor,
        occurred_at: datetime | None,
        incident_id: UUID | None = None,
        command_id: str | None = None,
        **fields: Any,
    ) -> CommandResult:
        """Record a new complaint; `fields` are those of `Complaint.report`."""
        return self._report(Complaint, actor, occurred_at, incident_id, command_id, fields)

    def report_emergency(
        self,
        *,
        actor: Actor,
        occurred_at: datetime | None,
        incident_id: UUID | None = None,
        command_id: str | None = None,
        **fields: Any,
    ) -> CommandResult:
        """Record a new emergency; `fields` are those of `Emergency.report`."""
        return self._report(Emergency, actor, occurred_at, incident_id, command_id, fields)

    def _report(
        self,
        kind: type[Incident],
        actor: Actor,
        occurred_at: datetime | None,
        incident_id: UUID | None,
        command_id: str | None,
        fields: Mapping[str, Any],
    ) -> CommandResult:
        with logged_command(
            f"report_{kind.__name__.lower()}", incident_id, actor.role.value, self.command_observers
        ) as line:
            result = self._record_report(kind, actor, occurred_at, incident_id, command_id, fields)
            line.done(result.incident_id, result.version, result.position, result.replayed)
            return result

    def _record_report(
        self,
        kind: type[Incident],
        actor: Actor,
        occurred_at: datetime | None,
        incident_id: UUID | None,
        command_id: str | None,
        fields: Mapping[str, Any],
    ) -> CommandResult:
        # What the client sent: an incident id the server makes up is no part of the command.
        payload = fingerprint(
            key=self._fingerprint_key,
            command=f"report_{kind.__name__.lower()}",
            incident_id=incident_id,
            actor=actor,
            occurred_at=occurred_at,
            fields=dict(fields),
        )
        incident_id = incident_id or uuid.uuid4()
        # The client-chosen incident id doubles as the report's idempotency key.
        command_id = scoped_key(actor, command_id or f"report:{incident_id}")
        try:
            _check_fields(kind.report, fields, incident_id, skip=("incident_id", "stamp"))
            incident = kind.report(incident_id=incident_id, stamp=self._stamp(actor, occurred_at), **fields)
            return self._save(incident, CommandReceipt(command_id, payload, incident_id, incident.version))
        except (DomainError, IntegrityError) as error:
            # Receipts are looked up only when something failed: a replay fails on the receipt's key.
            replay = self._replay(command_id, payload)
            if replay is not None:
                return replay
            if isinstance(error, IntegrityError):
                raise IncidentAlreadyExistsError(incident_id) from None
            raise

    # Acting on an incident: every command of the aggregates goes through one path.

    def act(
        self,
        incident_id: UUID,
        command: Command[IncidentBase] | CommandFor,
        *,
        actor: Actor,
        occurred_at: datetime | None,
        command_id: str | None = None,
        expected_version: int | None = None,
        authorise: Authorise | None = None,
    ) -> CommandResult:
        """Run one command (`Complaint.escalate(reason=...)`) on the incident and record its events.

        The incident is loaded once; `authorise`, if given, is the access check run on it before the
        command (it raises to refuse). A caller that knows only the id may pass, instead of the command,
        a function that makes it for the loaded incident's kind.
        A command id seen before returns the original result; with another payload it is refused.
        With an expected version, a mismatch is a conflict; without one, a command that lost a race
        to another writer is checked again against the incident's new state.
        """
        name = command.name if isinstance(command, Command) else "command"
        with logged_command(name, incident_id, actor.role.value, self.command_observers) as line:
            result = self._act(
                incident_id, command, actor, occurred_at, command_id, expected_version, authorise
            )
            line.done(result.incident_id, result.version, result.position, result.replayed)
            return result

    def _act(
        self,
        incident_id: UUID,
        command: Command[IncidentBase] | CommandFor,
        actor: Actor,
        occurred_at: datetime | None,
        command_id: str | None,
        expected_version: int | None,
        authorise: Authorise | None,
    ) -> CommandResult:
        key = scoped_key(actor, command_id) if command_id is not None else None
        payload = (
            _payload(command, incident_id, actor, occurred_at, self._fingerprint_key)
            if isinstance(command, Command)
            else None
        )
        try:
            with self._incident_locks[incident_id.int % INCIDENT_LOCK_STRIPES]:
                incident = self._load_for_command(incident_id)
                made = command if isinstance(command, Command) else command(type(incident))
                payload = payload or _payload(made, incident_id, actor, occurred_at, self._fingerprint_key)
                declared = self._declared(incident, made)
                if authorise is not None:
                    # The outlet and the kind an access rule reads never change: one check will do.
                    authorise(incident, made)
                return self._act_in_turn(
                    incident, declared, made.fields, actor, occurred_at, key, expected_version, payload
                )
        except AccessDeniedError:
            raise  # a refused sender learns nothing of receipts
        except DomainError:
            # A replayed command may now break a rule (acknowledging twice) or expect an old version:
            # its receipt says it already succeeded, so the original result is the answer.
            replay = self._replay(key, payload) if key is not None and payload is not None else None
            if replay is not None:
                return replay
            raise

    def _act_in_turn(
        self,
        incident: Incident,
        declared: CommandMethod[Any],
        fields: Mapping[str, Any],
        actor: Actor,
        occurred_at: datetime | None,
        command_id: str | None,
        expected_version: int | None,
        payload: str,
    ) -> CommandResult:
        incident_id = incident.id
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                incident = self._load_for_command(incident_id)
            if expected_version is not None and incident.version != expected_version:
                if incident.version < expected_version:
                    # The client saw a write this process's cache has not: read the store.
                    self._forget(incident_id)
                    incident = self._load_for_command(incident_id)
                if incident.version != expected_version:
                    raise VersionConflictError(incident_id, expected_version, incident.version)
            receipt = None
            try:
                declared.method(incident, self._stamp(actor, occurred_at), **fields)
                if command_id is not None:
                    receipt = CommandReceipt(command_id, payload, incident_id, incident.version)
                return self._save(incident, receipt)
            except DomainError:
                raise  # refusals change nothing, so the cached incident is still true
            except IntegrityError:
                self._forget(incident_id)
                if command_id is not None:
                    replay = self._replay(command_id, payload)
                    if replay is not None:
                        return replay
                if expected_version is not None:
                    raise VersionConflictError(incident_id, expected_version, None) from None
            except BaseException:
                self._forget(incident_id)  # the cached copy may hold a change that was never stored
                raise
        raise VersionConflictError(incident_id, None, None)

    def _declared(self, incident: Incident, command: Command[IncidentBase]) -> CommandMethod[Any]:
        """The incident's own declaration of `command` (its kind's override, if it has one)."""
        if not isinstance(incident, command.kind):
            raise IncidentKindError(incident.id, command.kind.NOUN)
        # A command made for a base class (Incident.add_note) runs as the incident's own kind declares it.
        return commands_of(type(incident))[command.name]

    # Outlet queues: readings and surge episodes, through the same receipts as incident commands.

    def act_on_queue(
        self,
        outlet: str,
        command: Command[OutletQueue],
        *,
        actor: Actor,
        occurred_at: datetime | None,
        command_id: str | None = None,
    ) -> CommandResult:
        """Run one command of `outlet`'s queue (`OutletQueue.post_reading(...)`), opening it on first use.

        A command id seen before returns the original result, as with `act`.
        """
        with logged_command(
            f"queue_{command.name}", queue_id(outlet), actor.role.value, self.command_observers
        ) as line:
            result = self._act_on_queue(outlet, command, actor, occurred_at, command_id)
            line.done(result.incident_id, result.version, result.position, result.replayed)
            return result

    def _act_on_queue(
        self,
        outlet: str,
        command: Command[OutletQueue],
        actor: Actor,
        occurred_at: datetime | None,
        command_id: str | None,
    ) -> CommandResult:
        target = queue_id(outlet)
        payload = fingerprint(
            key=self._fingerprint_key,
            command=f"queue_{command.name}",
            incident_id=target,
            actor=actor,
            occurred_at=occurred_at,
            fields=command.fields,
        )
        command_id = scoped_key(actor, command_id) if command_id is not None else None
        try:
            with self._incident_locks[target.int % INCIDENT_LOCK_STRIPES]:
                return self._act_on_queue_in_turn(outlet, command, actor, occurred_at, command_id, payload)
        except DomainError:
            replay = self._replay(command_id, payload) if command_id is not None else None
            if replay is not None:
                return replay
            raise

    def _act_on_queue_in_turn(
        self,
        outlet: str,
        command: Command[OutletQueue],
        actor: Actor,
        occurred_at: datetime | None,
        command_id: str | None,
        payload: str,
    ) -> CommandResult:
        target = queue_id(outlet)
        declared = commands_of(OutletQueue)[command.name]
        for _ in range(MAX_ATTEMPTS):
            stamp = self._stamp(actor, occurred_at)
            try:
                queue = cast(OutletQueue, self.repository.get(target, deepcopy_from_cache=False))
            except AggregateNotFoundError:
                queue = OutletQueue.open(stamp, outlet=outlet)
            declared.method(queue, stamp, **command.fields)
            receipt = CommandReceipt(command_id, payload, target, queue.version) if command_id else None
            try:
                return self._save(queue, receipt)
            except IntegrityError:
                self._forget(target)
                if command_id is not None:
                    replay = self._replay(command_id, payload)
                    if replay is not None:
                        return replay
            except BaseException:
                self._forget(target)
                raise
        raise VersionConflictError(target, None, None)

    def _load_for_command(self, incident_id: UUID) -> Incident:
        # The caller holds the incident's lock: it may change the cached copy in place, and
        # forgets it if the change is not stored. Deep-copying would cost more than the command.
        try:
            found: object = self.repository.get(incident_id, deepcopy_from_cache=False)
        except AggregateNotFoundError:
            raise IncidentNotFoundError(incident_id) from None
        return _incident(found, incident_id)

    def _forget(self, incident_id: UUID) -> None:
        """Drop a cached incident that another process moved on, so the next load reads the store."""
        if self.repository.cache is not None:
            with contextlib.suppress(KeyError):
                self.repository.cache.get(incident_id, evict=True)

    def get_incident(self, incident_id: UUID, version: int | None = None) -> Incident:
        """A copy of the incident as it stands (or stood at a version), safe to read at leisure."""
        return _incident(self.get_aggregate(incident_id, version), incident_id)

    def get_aggregate(self, aggregate_id: UUID, version: int | None = None) -> object:
        """A copy of any aggregate in the log (an incident or an outlet queue)."""
        if version is not None:
            # Rebuilt from the store, not the cache: no lock, so a reader that holds a database
            # write lock (a board) never waits on a command that waits on that database.
            return self._read(aggregate_id, version)
        with self._incident_locks[aggregate_id.int % INCIDENT_LOCK_STRIPES]:
            return self._read(aggregate_id, None)

    def _read(self, aggregate_id: UUID, version: int | None) -> object:
        try:
            found: object = self.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            raise IncidentNotFoundError(aggregate_id) from None
        return found

    def history(self, incident_id: UUID) -> list[DomainEventProtocol[UUID]]:
        """Every stored event of one incident, oldest first."""
        events = list(self.events.get(incident_id))
        if not events:
            raise IncidentNotFoundError(incident_id)
        return events

    def _stamp(self, actor: Actor, occurred_at: datetime | None) -> Stamp:
        # Without an occurred_at the command happened as it was recorded. The fingerprint keeps
        # the None, so a retry of the same request is still recognised as the same command.
        recorded_at = self.clock()
        return Stamp(actor=actor, occurred_at=occurred_at or recorded_at, recorded_at=recorded_at)

    def _save(self, incident: Incident | OutletQueue, receipt: CommandReceipt | None) -> CommandResult:
        # Application.save() minus its runtime-protocol isinstance checks (a tenth of a command's
        # CPU on Python 3.11): the desk only ever saves one aggregate, whose type it knows.
        processing: ProcessingEvent[UUID] = ProcessingEvent()
        processing.events.extend(incident.collect_events())
        processing.aggregates[incident.id] = incident
        processing.saved_kwargs["receipt"] = receipt
        recordings = self._record(processing)
        self._take_snapshots(processing)
        self._notify(recordings)
        position = recordings[-1].notification.id
        return CommandResult(incident.id, incident.version, position)

    def _replay(self, command_id: str, payload: str) -> CommandResult | None:
        receipt = self.receipts.receipt(command_id)
        if receipt is None:
            return None
        if receipt.fingerprint != payload:
            raise CommandIdReusedError(client_key(command_id), receipt.incident_id)
        position = self.receipts.position_of(receipt.incident_id, receipt.version)
        assert position is not None, "a receipt is written with its events"
        return CommandResult(receipt.incident_id, receipt.version, position, replayed=True)


def _payload(
    command: Command[Any], target: UUID, actor: Actor, occurred_at: datetime | None, key: bytes | None
) -> str:
    # What the client sent, as it sent it: the fingerprint a retry under the same key must match.
    return fingerprint(
        key=key,
        command=command.name,
        incident_id=target,
        actor=actor,
        occurred_at=occurred_at,
        fields=command.fields,
    )


def _incident(found: object, incident_id: UUID) -> Incident:
    # The log also holds outlet queues: their ids are not incident ids.
    if not isinstance(found, Complaint | Emergency):
        raise IncidentNotFoundError(incident_id)
    return found


def _check_fields(
    method: Callable[..., Any], fields: Mapping[str, Any], incident_id: UUID, skip: tuple[str, ...]
) -> None:
    """Name an unknown or missing field before the domain sees it (a TypeError would say less)."""
    parameters = _parameters(getattr(method, "__func__", method), skip)
    for name in fields:
        if name not in parameters:
            raise InvalidInputError(
                f"unknown field {name!r}; expected: {', '.join(parameters) or 'none'}",
                field=name,
                incident_id=incident_id,
            )
    for name, parameter in parameters.items():
        if parameter.default is inspect.Parameter.empty and name not in fields:
            raise InvalidInputError(f"missing field {name!r}", field=name, incident_id=incident_id)


@functools.cache
def _parameters(function: Callable[..., Any], skip: tuple[str, ...]) -> dict[str, inspect.Parameter]:
    ignored = {"self", "cls", *skip}
    return {name: p for name, p in inspect.signature(function).parameters.items() if name not in ignored}
