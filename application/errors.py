"""Errors the command API raises beside the domain's own: unknown incidents, conflicts, reused ids.

DomainError                        (domain.errors)
├── RuleBrokenError                a business rule refused the command          → 409
│   ├── VersionConflictError       the incident moved on from the expected version
│   ├── IncidentAlreadyExistsError a report named an id that is already taken
│   └── CommandIdReusedError       a command id came back with a different payload
├── InvalidInputError              a field was missing, unknown or malformed    → 422
│   └── TokenError                 a token cannot be issued or revoked so (application.access.tokens)
├── IncidentNotFoundError          no incident with that id                     → 404
│   └── IncidentKindError          the incident is not of the kind the command is for
└── AccessDeniedError              the caller's role or scope does not allow it → 403

Faults, not refusals: the command may not have run, and no 4xx says so.
StoreUnavailableError              the database cannot be reached (application.store.errors)   → 503
SchemaNotMigratedError (ProgrammingError) this role may not use the tables (application.store.errors)
DatabaseURLError    (ValueError)   the URL names no store (application.store.database_url)
MigrationError      (ValueError)   the store cannot be migrated or granted so (application.store.migration)
FollowerEndedError  (RuntimeError) the log's reader was stopped (application.log_follower)
CheckpointMovedError (RuntimeError) another runner wrote the policies' checkpoint (application.policies.checkpoint)
ProofError          (ValueError)   a Merkle proof does not verify, or none exists for those sizes (application.audit.merkle)
NoteError           (ValueError)   a signed note is malformed or not signed by the key (application.audit.signed_note)
PersonalDataError   (RuntimeError) a sealed personal value does not open under its key (application.personal_data)
"""

from __future__ import annotations

from uuid import UUID

from domain.errors import DomainError, RuleBrokenError


class IncidentNotFoundError(DomainError):
    """No incident has that id."""

    code = "incident_not_found"

    def __init__(self, incident_id: UUID) -> None:
        super().__init__(f"no incident with id {incident_id}", incident_id=incident_id)


class IncidentKindError(IncidentNotFoundError):
    """The incident exists but is not of the kind the command is for (a complaint's command on an emergency)."""

    code = "not_found"

    def __init__(self, incident_id: UUID, noun: str) -> None:
        article = "an" if noun[:1] in ("a", "e", "i", "o", "u") else "a"
        DomainError.__init__(self, f"incident {incident_id} is not {article} {noun}", incident_id=incident_id)


class VersionConflictError(RuleBrokenError):
    """The command expected a version the incident has moved on from."""

    code = "version_conflict"

    def __init__(self, incident_id: UUID, expected: int | None, actual: int | None) -> None:
        if expected is None:
            message = f"incident {incident_id} kept changing under concurrent writers; try the command again"
        elif actual is None:
            message = f"incident {incident_id} moved on from version {expected} while the command ran"
        else:
            message = f"incident {incident_id} is at version {actual}, the command expected {expected}"
        super().__init__(message, incident_id=incident_id)
        self.expected, self.actual = expected, actual


class IncidentAlreadyExistsError(RuleBrokenError):
    """A report named an incident id that another report already took."""

    code = "incident_exists"

    def __init__(self, incident_id: UUID) -> None:
        super().__init__(f"incident {incident_id} was already reported", incident_id=incident_id)


class CommandIdReusedError(RuleBrokenError):
    """A command id came back with a payload different from the one first recorded under it."""

    code = "command_id_reused"

    def __init__(self, command_id: str, incident_id: UUID) -> None:
        super().__init__(
            f"command id {command_id!r} was already used for a different command on incident {incident_id}",
            incident_id=incident_id,
        )
        self.command_id = command_id


class AccessDeniedError(DomainError):
    """The caller's role or scope does not allow this; nothing was recorded."""

    code = "forbidden"
