"""Who acts (Actor, Role, Position) and the stamp every command carries: who, when it happened, when recorded."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.errors import InvalidInputError
from domain.immutable import Immutable
from domain.labelled import Labelled
from domain.moments import CLOCK_SKEW_TOLERANCE, check_occurred_at
from domain.texts import readable_text

__all__ = ["CLOCK_SKEW_TOLERANCE", "Actor", "Position", "Role", "Stamp"]


class Role(Labelled):
    """The desk an authenticated user works at."""

    BRANCH = "branch", "网点", "Branch"
    CALL_CENTRE = "call_centre", "95566客服中心", "Call centre (95566)"
    OFFICE = "office", "应急处理办公室", "Emergency handling office"
    AUDITOR = "auditor", "审计", "Auditor"
    ADMIN = "admin", "系统管理员", "Administrator"
    SYSTEM = "system", "系统", "System"


class Position(Labelled):
    """A branch staff member's post (seed 000, 003): carried by their token, recorded on every event."""

    BRANCH_HEAD = "branch_head", "网点负责人", "Branch head"
    LOBBY_MANAGER = "lobby_manager", "大堂经理", "Lobby manager"
    TELLER = "teller", "柜员", "Teller"
    CUSTOMER_MANAGER = "customer_manager", "客户经理", "Customer manager"
    SECURITY_GUARD = "security_guard", "保安", "Security guard"


@dataclass(frozen=True)
class Actor(Immutable):
    """The authenticated person (or policy, as SYSTEM) behind an event."""

    id: str
    role: Role
    unit: str
    name: str = ""
    # Branch staff only; events stored before positions existed decode with None (the default).
    position: Position | None = None

    @property
    def display_name(self) -> str:
        """The name if known, else the id."""
        return self.name or self.id

    def is_same_person(self, other: "Actor") -> bool:
        """True for the same token, or the same named person at the same desk (a rotated token).

        The same reading as a retry's sender (application/fingerprint.py): a person at a desk is
        their name, role and unit; an unnamed actor is only ever their own id.
        """
        if self.id == other.id:
            return True
        return bool(self.name) and (self.name, self.role, self.unit) == (other.name, other.role, other.unit)


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
