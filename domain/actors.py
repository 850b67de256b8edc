"""Who acts (Actor, Role) and the stamp every command carries: who, when it happened, when recorded."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.errors import InvalidInputError
from domain.immutable import Immutable
from domain.labelled import Labelled
from domain.moments import CLOCK_SKEW_TOLERANCE, check_occurred_at
from domain.texts import readable_text

__all__ = ["CLOCK_SKEW_TOLERANCE", "Actor", "Role", "Stamp"]


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
        """Refuse an anonymous actor and an occurred_at the bank would not record (domain.moments)."""
        if not self.actor.id.strip():
            raise InvalidInputError("actor has no id", field="actor", incident_id=incident_id)
        readable_text(self.actor.name, "actor.name", incident_id)
        check_occurred_at(self.occurred_at, self.recorded_at, incident_id)
