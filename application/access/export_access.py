"""Who may take which part of the log away as an export.

The whole log and a position range hold every unit's events, so only a whole-bank reader takes them:
an auditor, or an office at the organisation's root. One incident goes to whoever may read it; a unit
only within the caller's own scope. Admin reads nothing, and so exports nothing.
"""

from __future__ import annotations

from application.access.principal import Principal
from application.access.scope import read_scope
from application.errors import AccessDeniedError
from domain.organisation import Organisation
from domain.values import Role


def check_whole_bank(principal: Principal, organisation: Organisation, what: str) -> None:
    """AccessDeniedError unless the caller reads the whole bank (auditor, or office at the root)."""
    if principal.role is Role.AUDITOR:
        return
    if principal.role is Role.OFFICE and principal.unit == organisation.root.code:
        return
    raise AccessDeniedError(
        f"token {principal.name!r} ({principal.role.value}, unit {principal.unit}) may not export {what}: "
        "it holds other units' events, only an auditor or the head office may / "
        f"导出{what}须为审计或总行"
    )


def check_unit_export(principal: Principal, organisation: Organisation, unit: str) -> frozenset[str]:
    """The outlets of `unit` the caller may export; AccessDeniedError if the unit is outside its scope."""
    scope = read_scope(principal, organisation)
    below = scope.within(organisation, unit)
    wanted = frozenset(u.code for u in organisation.outlets_under(unit))
    if not scope.types or (scope.outlets is not None and not wanted <= scope.outlets):
        raise AccessDeniedError(
            f"token {principal.name!r} ({principal.role.value}, unit {principal.unit}) may not export unit "
            f"{unit!r}: it is outside the token's scope / 单位{unit}不在令牌的范围内"
        )
    return below.outlets_in(organisation)
