"""Who acts (Actor, Role) and the stamp every command carries: who, when it happened, when recorded."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from domain.errors import InvalidInputError
from domain.immutable import Immutable
from domain.labelled import Labelled

# Branch clients' clocks drift; beyond this, an occurred_at after the server's clock is an error.
CLOCK_SKEW_TOLERANCE = timedelta(minutes=5)


class Role(Labelled):
    """The desk an authenticated user works at."""

    BRANCH = "branch", "网点", "Branch"
    CALL_CENTRE = "call_centre", "95566客服中心", "Call centre (95566)"
    OFFICE = "office", "应急处理办公室", "Emergency handling office"
    AUDITOR = "auditor", "审计", "Auditor"
    ADMIN = "admin", "系统管理员", "Administrator"
    SYSTEM = "system", "系统", "System"


@dataclass(frozen=True)
class Actor(Immutable):
    """The authenticated person (or policy, as SYSTEM) behind an event."""

    id: str
    role: Role
    unit: str
    name: str = ""

    @property
    def display_name(self) -> str:
        """The name if known, else the id."""
        return self.name or self.id


@dataclass(frozen=True)
class Stamp:
    """Who did it, when it happened at the branch and when the server recorded it (never stored)."""

    actor: Actor
    occurred_at: datetime
    recorded_at: datetime

    def check(self, incident_id: UUID | None = None) -> None:
        """Refuse naive times, an anonymous actor, and an occurred_at in the future."""
        if not self.actor.id.strip():
            raise InvalidInputError("actor has no id", field="actor", incident_id=incident_id)
        if self.recorded_at.utcoffset() is None:
            raise InvalidInputError(
                "recorded_at must be timezone-aware", field="recorded_at", incident_id=incident_id
            )
        if self.occurred_at.utcoffset() is None:
            raise InvalidInputError(
                "occurred_at must be timezone-aware", field="occurred_at", incident_id=incident_id
            )
        if self.occurred_at > self.recorded_at + CLOCK_SKEW_TOLERANCE:
            raise InvalidInputError(
                f"occurred_at {self.occurred_at.isoformat()} is in the future "
                f"(recorded at {self.recorded_at.isoformat()})",
                field="occurred_at",
                incident_id=incident_id,
            )
