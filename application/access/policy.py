"""The permission policy: which role may report, act on or read which incidents, and where.

branch       unit is one outlet: report and act there, read there; not the office's decisions
call_centre  report complaints for any outlet, the intake steps on complaints, read complaints; not
             the office's decisions either (an escalation's colour)
office       unit is any node: every command and every read in that subtree
auditor      read everything, every history; no command, but a recorded read of the personal data
admin        tokens and the organisation; no incident command, no incident read
"""

from __future__ import annotations

from dataclasses import dataclass

from application.access.principal import Principal
from application.access.scope import read_scope
from application.errors import AccessDeniedError
from domain.commands import Command, commands_of
from domain.incident import Incident
from domain.incident_type import IncidentType
from domain.level import Level
from domain.organisation import Organisation
from domain.values import Role


def check_report(
    principal: Principal,
    incident_type: str,
    outlet: str,
    organisation: Organisation,
    level: Level | None = None,
) -> None:
    """Refuse a report the principal may not make at that outlet.

    A complaint is reported blue (one complaint is single, 单一性) unless the office reports it: its
    colour is the office's grading, as an escalation's is. An emergency's level is the reporter's
    first assessment: the branch head reports upward at once, and may raise it later.
    """
    if not _may_report(principal, incident_type, outlet, organisation):
        raise AccessDeniedError(_refusal(principal, f"report a {incident_type} at outlet {outlet}"))
    graded = incident_type == IncidentType.COMPLAINT and level not in (None, Level.BLUE)
    if level is not None and graded and not _is_office_over(principal, outlet, organisation):
        what = f"report a complaint at level {level.value} (the office grades complaints)"
        raise AccessDeniedError(_refusal(principal, what))


def _is_office_over(principal: Principal, outlet: str, organisation: Organisation) -> bool:
    return principal.role is Role.OFFICE and organisation.contains(principal.unit, outlet)


def _may_report(principal: Principal, incident_type: str, outlet: str, organisation: Organisation) -> bool:
    role = principal.role
    return (
        _is_office_over(principal, outlet, organisation)
        or (role is Role.BRANCH and principal.unit == outlet)
        or (role is Role.CALL_CENTRE and incident_type == IncidentType.COMPLAINT)
    )


def check_command(
    principal: Principal, incident: Incident, command: Command[Incident], organisation: Organisation
) -> None:
    """Refuse a command the principal may not give on that incident.

    Which commands are the office's decisions (closing, reopening, the level, approving an
    announcement, the policies' own marks), which fields make a command the office's (an
    escalation's level, a waiver of playbook actions) and which are intake steps the call centre
    takes is declared on each command (domain/commands.py); who may do what with them is decided
    here, on what the command does: the fields it was given, not only its name.
    """
    role, outlet, kind = principal.role, incident.outlet, incident.TYPE
    declared = commands_of(type(incident))[command.name]
    check_may_send(principal, type(incident), command.name)
    if declared.audit:
        check_read(principal, kind, outlet, organisation)  # a read: the reader's scope decides
        return
    if role is Role.OFFICE and organisation.contains(principal.unit, outlet):
        return
    office_decision = declared.is_office_decision(command.fields)
    if role is Role.BRANCH and principal.unit == outlet and not office_decision:
        return
    if (
        role is Role.CALL_CENTRE
        and kind is IncidentType.COMPLAINT
        and declared.intake
        and not office_decision
    ):
        return
    office_fields = declared.office_fields_given(command.fields)
    what = f"{command.name} with {', '.join(office_fields)}" if office_fields else command.name
    raise AccessDeniedError(_refusal(principal, f"{what} on a {kind} at outlet {outlet}"))


def may_ever_send(role: Role, kind: type[Incident], name: str) -> bool:
    """True unless the role may never send this command, on any incident of the kind, with any fields.

    What can be told before the incident is loaded and before its fields are read: so that a sender
    who may not take the command at all hears 403 first, not a list of fields to correct.
    """
    declared = commands_of(kind)[name]
    if declared.system:
        return role is Role.SYSTEM
    if declared.audit:
        # A recorded read of what a reader does not see unasked: the desks that answer the customer
        # see it already, an admin reads no incident.
        return role is Role.AUDITOR
    if role is Role.OFFICE:
        return True
    if role is Role.BRANCH:
        return not declared.office_decision
    if role is Role.CALL_CENTRE:
        return kind.TYPE is IncidentType.COMPLAINT and declared.intake and not declared.office_decision
    return False  # auditors and admins give no incident command; the system's policies are not principals


def check_may_send(principal: Principal, kind: type[Incident], name: str) -> None:
    """Refuse a command the principal's role may never send (see `may_ever_send`)."""
    if may_ever_send(principal.role, kind, name):
        return
    declared = commands_of(kind)[name]
    if declared.system:
        what = f"{name}: it is the system's own mark, set by a policy; no one sends it"
    elif declared.audit:
        what = f"{name}: only an auditor records a read of personal data; this desk sees it already or reads none"
    elif declared.office_decision:
        what = f"{name} on a {kind.TYPE}: it is the office's decision"
    else:
        what = f"{name} on a {kind.TYPE}"
    raise AccessDeniedError(_refusal(principal, what))


@dataclass(frozen=True)
class CommandAccess:
    """The access check a desk runs on the incident it loaded, before the command (`authorise=`)."""

    principal: Principal
    organisation: Organisation

    def __call__(self, incident: Incident, command: Command[Incident]) -> None:
        check_command(self.principal, incident, command, self.organisation)


def check_read(principal: Principal, incident_type: str, outlet: str, organisation: Organisation) -> None:
    """Refuse reading an incident outside the principal's scope."""
    if may_read(principal, incident_type, outlet, organisation):
        return
    raise AccessDeniedError(_refusal(principal, f"read a {incident_type} at outlet {outlet}"))


def may_read(principal: Principal, incident_type: str, outlet: str, organisation: Organisation) -> bool:
    """True when the incident is in the principal's read scope (application/access/scope.py)."""
    return read_scope(principal, organisation).covers(incident_type, outlet)


def check_queue_access(principal: Principal, outlet: str, organisation: Organisation, *, post: bool) -> None:
    """Refuse posting or reading the outlet's queue readings.

    A reading may open a customer-surge emergency, so whoever may report an emergency at the outlet
    may post one; the readings show on that emergency, so whoever may read it may read them.
    """
    allowed = (
        _may_report(principal, IncidentType.EMERGENCY, outlet, organisation)
        if post
        else may_read(principal, IncidentType.EMERGENCY, outlet, organisation)
    )
    if not allowed:
        raise AccessDeniedError(
            _refusal(principal, f"{'post' if post else 'read'} queue readings of {outlet}")
        )


def _refusal(principal: Principal, what: str) -> str:
    scope = f" {principal.unit}" if principal.unit else ""
    return f"token {principal.name!r} ({principal.role.value}{scope}) may not {what}"
