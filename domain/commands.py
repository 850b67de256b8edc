"""Commands declared once: the aggregate's own method, decorated with who may take it.

    class Complaint(Incident):
        @command(intake=True)
        def escalate(self, stamp: Stamp, *, reason: str, level: Level | None = None) -> None: ...

On an instance the method runs the command's rules: `complaint.escalate(stamp, reason="媒体关注")`.
On the class it makes the command as a value for a desk to run: `Complaint.escalate(reason="媒体关注")`
is a `Command[Complaint]` whose fields mypy checks against that same signature, so a misspelt command
or field fails the type check. A kind's list of commands (`commands_of`), the access flags and the
API's request bodies are all read from these declarations.
"""

from __future__ import annotations

import functools
import inspect
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from domain.actors import Stamp
from domain.errors import InvalidInputError

P = ParamSpec("P")
K = TypeVar("K")
K_co = TypeVar("K_co", covariant=True)


class CommandMethod(Generic[P]):
    """A command of an aggregate: its method (the rules, the fields and their types) and who may take it.

    office_decision       only the office decides it (or a policy, acting as the system)
    office_decision_with  the fields that make it the office's decision when given: the command is
                          the desk's, the field is the office's (a waiver of open playbook actions,
                          the colour of an escalation)
    intake                an intake step, which the call centre may also take on a complaint
    system                the system's own mark, set by a policy (a deadline warning, a flag of
                          passive waiting): no person sends it, and no list offered to a person shows it
    audit                 a read that is recorded (an auditor's full read of the personal data):
                          taken by a reader, not an action on the incident, so no list of actions
                          and no command route offers it; it has its own route
    """

    def __init__(
        self,
        method: Callable[Concatenate[Any, Stamp, P], None],
        *,
        office_decision: bool = False,
        office_decision_with: tuple[str, ...] = (),
        intake: bool = False,
        system: bool = False,
        audit: bool = False,
    ) -> None:
        self.method = method
        self.name = method.__name__
        self.office_decision = office_decision
        unknown = [name for name in office_decision_with if name not in self.parameters]
        if unknown:
            raise TypeError(f"{self.name} has no field {', '.join(unknown)} (office_decision_with)")
        self.office_decision_with = office_decision_with
        self.intake = intake
        self.system = system
        self.audit = audit
        self.__doc__ = method.__doc__

    @overload
    def __get__(self, instance: None, owner: type[K]) -> CommandFactory[K, P]: ...

    @overload
    def __get__(
        self, instance: object, owner: type[Any] | None = None
    ) -> Callable[Concatenate[Stamp, P], None]: ...

    def __get__(self, instance: object, owner: type[Any] | None = None) -> Any:
        if instance is not None:
            return types.MethodType(self.method, instance)
        if owner is None:
            raise TypeError(f"{self.name} is read from an aggregate class or instance")
        return CommandFactory(self, owner)

    @functools.cached_property
    def parameters(self) -> dict[str, inspect.Parameter]:
        """The command's own fields (the method's keyword parameters after the stamp)."""
        skipped = ("self", "stamp")
        return {n: p for n, p in inspect.signature(self.method).parameters.items() if n not in skipped}

    @functools.cached_property
    def required(self) -> frozenset[str]:
        return frozenset(n for n, p in self.parameters.items() if p.default is inspect.Parameter.empty)

    def check_fields(self, fields: Mapping[str, Any]) -> None:
        """Name an unknown or missing field before the rules see it (a TypeError would say less)."""
        parameters = self.parameters
        for name in fields:
            if name not in parameters:
                expected = ", ".join(parameters) or "none"
                raise InvalidInputError(f"unknown field {name!r}; expected: {expected}", field=name)
        for name in self.required:
            if name not in fields:
                raise InvalidInputError(f"missing field {name!r}", field=name)

    def is_office_decision(self, fields: Mapping[str, Any]) -> bool:
        """True when only the office may take the command with these fields."""
        return self.office_decision or bool(self.office_fields_given(fields))

    def office_fields_given(self, fields: Mapping[str, Any]) -> list[str]:
        """The fields given that are the office's decision (empty and None are not given)."""
        return [name for name in self.office_decision_with if fields.get(name) not in (None, "")]


class CommandFactory(Generic[K, P]):
    """A command method seen from its class: calling it with the command's fields makes the command."""

    def __init__(self, declared: CommandMethod[P], kind: type[K]) -> None:
        self.declared = declared
        self.kind = kind

    def __call__(self, *args: P.args, **fields: P.kwargs) -> Command[K]:
        if args:
            raise TypeError(f"{self.declared.name} takes its fields by name")
        return Command(self.kind, self.declared.name, fields)


@dataclass(frozen=True)
class Command(Generic[K_co]):
    """One command as a value: which command, on which kind of aggregate, with which fields.

    Made by calling the command method on the class (`Complaint.escalate(reason=...)`, checked by
    mypy) or, from what a client sent, `Command(Complaint, "escalate", fields)` (checked here).
    A command of a base class (`Incident.add_note(text=...)`) may be given to either kind.
    """

    kind: type[K_co]
    name: str
    fields: Mapping[str, Any]

    def __post_init__(self) -> None:
        declared = commands_of(self.kind).get(self.name)
        if declared is None:
            accepted = ", ".join(commands_of(self.kind))
            noun = getattr(self.kind, "NOUN", self.kind.__name__)
            raise InvalidInputError(
                f"{self.name!r} is not a {noun} command; expected one of: {accepted}", field="command"
            )
        declared.check_fields(self.fields)
        object.__setattr__(self, "fields", dict(self.fields))


def command(
    *,
    office_decision: bool = False,
    office_decision_with: tuple[str, ...] = (),
    intake: bool = False,
    system: bool = False,
    audit: bool = False,
) -> Callable[[Callable[Concatenate[Any, Stamp, P], None]], CommandMethod[P]]:
    """Declare an aggregate method a command (flags: see `CommandMethod`)."""

    def declare(method: Callable[Concatenate[Any, Stamp, P], None]) -> CommandMethod[P]:
        return CommandMethod(
            method,
            office_decision=office_decision,
            office_decision_with=office_decision_with,
            intake=intake,
            system=system,
            audit=audit,
        )

    return declare


def commands_of(kind: type[Any]) -> Mapping[str, CommandMethod[Any]]:
    """Every command of `kind` by name: its own in the order written, then those it inherits."""
    known = _COMMANDS.get(kind)
    if known is None:
        found: dict[str, CommandMethod[Any]] = {}
        for klass in kind.__mro__:
            for name, value in vars(klass).items():
                if isinstance(value, CommandMethod) and name not in found:
                    found[name] = value
        known = _COMMANDS[kind] = types.MappingProxyType(found)
    return known


_COMMANDS: dict[type[Any], Mapping[str, CommandMethod[Any]]] = {}
