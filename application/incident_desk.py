"""The incident desk: the command API for every complaint and emergency, on the event store."""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import IntegrityError, JSONTranscoder

from application.errors import (
    CommandIdReusedError,
    IncidentAlreadyExistsError,
    IncidentNotFoundError,
    UnknownCommandError,
    VersionConflictError,
)
from application.fingerprint import fingerprint
from application.store.receipts import CommandReceipt
from application.transcodings import domain_transcodings
from domain.complaint import Complaint
from domain.emergency import Emergency
from domain.errors import InvalidInputError
from domain.values import Actor, Stamp

Incident = Complaint | Emergency
Clock = Callable[[], datetime]

# A snapshot every so many events keeps loading an incident independent of its history's length.
SNAPSHOT_INTERVAL = 25
# Without an expected version, a command that lost a race is re-checked against the new state.
MAX_ATTEMPTS = 5


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
    }
    env: ClassVar[dict[str, str]] = {
        "AGGREGATE_CACHE_MAXSIZE": "10000",
        # Fast-forwarding keeps a cached incident current with writes from other processes.
        "AGGREGATE_CACHE_FASTFORWARD": "y",
    }

    def __init__(self, env: Mapping[str, str] | None = None, clock: Clock = utc_now) -> None:
        super().__init__(env)
        self.clock = clock

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        for transcoding in domain_transcodings():
            transcoder.register(transcoding)

    @property
    def receipts(self) -> ReceiptRecorder:
        return cast(ReceiptRecorder, self.recorder)

    # Reporting: the client may choose the incident id, so an offline branch can act before syncing.

    def report_complaint(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
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
        occurred_at: datetime,
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
        occurred_at: datetime,
        incident_id: UUID | None,
        command_id: str | None,
        fields: Mapping[str, Any],
    ) -> CommandResult:
        incident_id = incident_id or uuid.uuid4()
        # The client-chosen incident id doubles as the report's idempotency key.
        command_id = command_id or f"report:{incident_id}"
        payload = fingerprint(
            command=f"report_{kind.__name__.lower()}",
            incident_id=incident_id,
            actor=actor,
            occurred_at=occurred_at,
            fields=dict(fields),
        )
        replay = self._replay(command_id, payload)
        if replay is not None:
            return replay
        stamp = self._stamp(actor, occurred_at)
        _check_fields(kind.report, fields, incident_id, skip=("incident_id", "stamp"))
        incident = kind.report(incident_id=incident_id, stamp=stamp, **fields)
        receipt = CommandReceipt(command_id, payload, incident_id, incident.version)
        try:
            return self._save(incident, receipt)
        except IntegrityError:
            replay = self._replay(command_id, payload)
            if replay is not None:
                return replay
            raise IncidentAlreadyExistsError(incident_id) from None

    # Acting on an incident: every command of the aggregates goes through one path.

    def act(
        self,
        incident_id: UUID,
        command: str,
        *,
        actor: Actor,
        occurred_at: datetime,
        fields: Mapping[str, Any] | None = None,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        """Run one command (a method named in the aggregate's COMMANDS) and record its events.

        A command id seen before returns the original result; with another payload it is refused.
        With an expected version, a mismatch is a conflict; without one, a command that lost a race
        to another writer is checked again against the incident's new state.
        """
        fields = dict(fields or {})
        payload = fingerprint(
            command=command, incident_id=incident_id, actor=actor, occurred_at=occurred_at, fields=fields
        )
        if command_id is not None:
            replay = self._replay(command_id, payload)
            if replay is not None:
                return replay
        for _ in range(MAX_ATTEMPTS):
            incident = self.get_incident(incident_id)
            if expected_version is not None and incident.version != expected_version:
                raise VersionConflictError(incident_id, expected_version, incident.version)
            method = self._command(incident, command)
            _check_fields(method, fields, incident_id, skip=("stamp",))
            method(self._stamp(actor, occurred_at), **fields)
            receipt = None
            if command_id is not None:
                receipt = CommandReceipt(command_id, payload, incident_id, incident.version)
            try:
                return self._save(incident, receipt)
            except IntegrityError:
                if command_id is not None:
                    replay = self._replay(command_id, payload)
                    if replay is not None:
                        return replay
                if expected_version is not None:
                    raise VersionConflictError(incident_id, expected_version, None) from None
        raise VersionConflictError(incident_id, None, None)

    def get_incident(self, incident_id: UUID, version: int | None = None) -> Incident:
        """The incident as it stands (or stood at a version)."""
        try:
            return cast(Incident, self.repository.get(incident_id, version=version))
        except AggregateNotFoundError:
            raise IncidentNotFoundError(incident_id) from None

    def history(self, incident_id: UUID) -> list[DomainEventProtocol[UUID]]:
        """Every stored event of one incident, oldest first."""
        events = list(self.events.get(incident_id))
        if not events:
            raise IncidentNotFoundError(incident_id)
        return events

    def _command(self, incident: Incident, command: str) -> Callable[..., None]:
        if command not in incident.COMMANDS:
            raise UnknownCommandError(command, incident.id, incident.COMMANDS)
        return cast(Callable[..., None], getattr(incident, command))

    def _stamp(self, actor: Actor, occurred_at: datetime) -> Stamp:
        return Stamp(actor=actor, occurred_at=occurred_at, recorded_at=self.clock())

    def _save(self, incident: Incident, receipt: CommandReceipt | None) -> CommandResult:
        recordings = self.save(incident, receipt=receipt)
        position = recordings[-1].notification.id
        return CommandResult(incident.id, incident.version, position)

    def _replay(self, command_id: str, payload: str) -> CommandResult | None:
        receipt = self.receipts.receipt(command_id)
        if receipt is None:
            return None
        if receipt.fingerprint != payload:
            raise CommandIdReusedError(command_id, receipt.incident_id)
        position = self.receipts.position_of(receipt.incident_id, receipt.version)
        assert position is not None, "a receipt is written with its events"
        return CommandResult(receipt.incident_id, receipt.version, position, replayed=True)


def _check_fields(
    method: Callable[..., Any], fields: Mapping[str, Any], incident_id: UUID, skip: tuple[str, ...]
) -> None:
    """Name an unknown or missing field before the domain sees it (a TypeError would say less)."""
    parameters = {
        name: p for name, p in inspect.signature(method).parameters.items() if name not in skip
    }
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
