"""The permission policy: which role may report, act on or read which incidents, and where.

branch       unit is one outlet: report and act there, read there; not the office's decisions
call_centre  report complaints for any outlet, the intake steps on complaints, read complaints
office       unit is any node: every command and every read in that subtree
auditor      read everything, every history; no command at all
admin        tokens and the organisation; no incident command, no incident read
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from application.access.principal import Principal
from application.errors import AccessDeniedError
from domain.organisation import Organisation
from domain.values import Role

COMPLAINT, EMERGENCY = "complaint", "emergency"

# Decisions the seeds and the brief leave to the emergency office, never to the branch itself,
# and the policies' own marks (deadline warnings, passive-waiting flags), which only the office
# (or the policies themselves, acting as the system) records.
OFFICE_DECISIONS = frozenset({"close", "reopen", "change_level", "warn_deadline", "flag_idle"})
# The call centre takes complaints in, records, dispatches, chases (督办) and keeps the log.
CALL_CENTRE_COMMANDS = frozenset(
    {"acknowledge", "add_note", "correct_entry", "escalate", "receive_new_facts"}
)


def check_report(principal: Principal, incident_type: str, outlet: str, organisation: Organisation) -> None:
    """Refuse a report the principal may not make at that outlet."""
    role = principal.role
    if role is Role.OFFICE and organisation.contains(principal.unit, outlet):
        return
    if role is Role.BRANCH and principal.unit == outlet:
        return
    if role is Role.CALL_CENTRE and incident_type == COMPLAINT:
        return
    raise AccessDeniedError(_refusal(principal, f"report a {incident_type} at outlet {outlet}"))


def check_command(
    principal: Principal,
    incident_type: str,
    outlet: str,
    command: str,
    fields: Mapping[str, Any],
    organisation: Organisation,
) -> None:
    """Refuse a command the principal may not give on that incident."""
    role = principal.role
    if role is Role.OFFICE and organisation.contains(principal.unit, outlet):
        return
    if role is Role.BRANCH and principal.unit == outlet and not _is_office_decision(command, fields):
        return
    if role is Role.CALL_CENTRE and incident_type == COMPLAINT and command in CALL_CENTRE_COMMANDS:
        return
    raise AccessDeniedError(_refusal(principal, f"{command} on a {incident_type} at outlet {outlet}"))


def check_read(principal: Principal, incident_type: str, outlet: str, organisation: Organisation) -> None:
    """Refuse reading an incident outside the principal's scope."""
    if may_read(principal, incident_type, outlet, organisation):
        return
    raise AccessDeniedError(_refusal(principal, f"read a {incident_type} at outlet {outlet}"))


def may_read(principal: Principal, incident_type: str, outlet: str, organisation: Organisation) -> bool:
    role = principal.role
    return (
        role is Role.AUDITOR
        or (role is Role.OFFICE and organisation.contains(principal.unit, outlet))
        or (role is Role.BRANCH and principal.unit == outlet)
        or (role is Role.CALL_CENTRE and incident_type == COMPLAINT)
    )


def _is_office_decision(command: str, fields: Mapping[str, Any]) -> bool:
    # Standing down is the branch's call; waiving open playbook actions is the office's.
    return command in OFFICE_DECISIONS or (command == "stand_down" and bool(fields.get("waiver_reason")))


def _refusal(principal: Principal, what: str) -> str:
    scope = f" {principal.unit}" if principal.unit else ""
    return f"token {principal.name!r} ({principal.role.value}{scope}) may not {what}"
