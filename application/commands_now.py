"""Which commands a caller may take on an incident now: the same declarations and rules the desk runs.

A command is offered when the caller's role and scope allow it (application/access/policy.py) and the
incident, as it stands, does not refuse it whatever its fields: each is tried on a copy of the incident
with no field filled in. A refusal about the incident's state (closed, out of order, already done, not
the owner) leaves it out; a refusal about a field — what is still to be filled in — keeps it. Nothing
is recorded: the copy is dropped.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from application.access.policy import check_command, may_ever_send
from application.access.principal import Principal
from application.errors import AccessDeniedError
from domain.actors import Stamp
from domain.commands import Command, CommandMethod, commands_of
from domain.complaint import Complaint
from domain.emergency import Emergency
from domain.errors import DomainError, InvalidInputError
from domain.organisation import Organisation

Incident = Complaint | Emergency


@dataclass(frozen=True)
class OpenCommand:
    """A command the caller may take now, and whether it is the incident's next expected step."""

    name: str
    declared: CommandMethod[Any]
    is_next_step: bool


def commands_open_to(
    principal: Principal, incident: Incident, organisation: Organisation, stamp: Stamp
) -> list[OpenCommand]:
    """The commands `principal` may take on `incident` now, its next expected step first."""
    kind = type(incident)
    next_command = getattr(incident.next_expected_step, "command", None)
    found = [
        OpenCommand(name, declared, is_next_step=name == next_command)
        for name, declared in commands_of(kind).items()
        if not declared.audit  # a read, not an action on the incident: it has its own route
        and may_ever_send(principal.role, kind, name)
        and _allowed(principal, incident, name, organisation)
        and not _refused_by_state(incident, declared, stamp)
    ]
    return sorted(found, key=lambda c: not c.is_next_step)


def _allowed(principal: Principal, incident: Incident, name: str, organisation: Organisation) -> bool:
    try:
        check_command(
            principal, incident, Command(type(incident), name, _placeholders(incident, name)), organisation
        )
    except AccessDeniedError:
        return False
    return True


def _placeholders(incident: Incident, name: str) -> dict[str, object]:
    # Access reads only the office's fields when they are given; none are given here.
    return dict.fromkeys(commands_of(type(incident))[name].required)


def _refused_by_state(incident: Incident, declared: CommandMethod[Any], stamp: Stamp) -> bool:
    trial = copy.deepcopy(incident)
    try:
        declared.method(trial, stamp, **dict(_blank(declared)))
    except InvalidInputError:
        return False  # a field to fill in: the incident itself does not refuse it
    except DomainError as error:
        return getattr(error, "field", None) is None
    except (TypeError, AttributeError, ValueError, KeyError):
        return False  # a rule read a field left blank: the fields decide
    return False


def _blank(declared: CommandMethod[Any]) -> Iterator[tuple[str, object]]:
    for field in declared.required:
        yield field, None
