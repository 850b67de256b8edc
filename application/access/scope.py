"""The outlet-scope rule: which incidents a principal may read, for one incident, a board or the feed.

branch       its own outlet, both kinds
office       every outlet under its unit, both kinds
call_centre  every outlet, complaints only
auditor      every outlet, both kinds
admin        nothing (and so no board at all); the system reads nothing through a token
"""

from __future__ import annotations

from dataclasses import dataclass

from application.access.principal import Principal
from application.errors import AccessDeniedError
from domain.errors import InvalidInputError
from domain.incident_type import IncidentType
from domain.organisation import Organisation
from domain.values import Role

INCIDENT_TYPES = frozenset(kind.value for kind in IncidentType)


@dataclass(frozen=True)
class ReadScope:
    """Incidents of `types` at `outlets`; None: at every outlet, even one the tree no longer lists."""

    outlets: frozenset[str] | None
    types: frozenset[str]

    def covers(self, incident_type: str, outlet: str) -> bool:
        """True when an incident of this type at this outlet is in scope."""
        return incident_type in self.types and (self.outlets is None or outlet in self.outlets)

    def outlets_in(self, organisation: Organisation) -> frozenset[str]:
        """The outlets a board lists for this scope (every outlet of the tree when unbounded)."""
        return self.outlets if self.outlets is not None else _every_outlet(organisation)

    def within(self, organisation: Organisation, unit: str) -> ReadScope:
        """This scope narrowed to the subtree of `unit`; InvalidInputError if the tree has no such unit."""
        if unit not in organisation:
            raise InvalidInputError(f"unit {unit!r} is not in the organisation", field="unit")
        below = frozenset(u.code for u in organisation.outlets_under(unit))
        return ReadScope(below if self.outlets is None else self.outlets & below, self.types)


def read_scope(principal: Principal, organisation: Organisation) -> ReadScope:
    """What the principal may read, by role and unit (empty for a role that reads no incident)."""
    role = principal.role
    if role is Role.OFFICE:
        return ReadScope(
            frozenset(u.code for u in organisation.outlets_under(principal.unit)), INCIDENT_TYPES
        )
    if role is Role.BRANCH:
        return ReadScope(frozenset({principal.unit}), INCIDENT_TYPES)
    if role is Role.CALL_CENTRE:
        return ReadScope(None, frozenset({IncidentType.COMPLAINT.value}))
    if role is Role.AUDITOR:
        return ReadScope(None, INCIDENT_TYPES)
    return ReadScope(frozenset(), frozenset())


def board_scope(principal: Principal, organisation: Organisation, unit: str | None = None) -> ReadScope:
    """The scope of a board or feed, narrowed to `unit`'s subtree if given; refuses a role that reads nothing."""
    scope = read_scope(principal, organisation)
    if not scope.types:
        raise AccessDeniedError(f"token {principal.name!r} ({principal.role.value}) may not read boards")
    return scope if unit is None else scope.within(organisation, unit)


def _every_outlet(organisation: Organisation) -> frozenset[str]:
    return frozenset(u.code for u in organisation.outlets)
