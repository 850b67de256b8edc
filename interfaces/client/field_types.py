"""The commands the branch client knows, and the JSON type each `--name value` on the command line takes.

Both come from the commands declared on the aggregates (domain/commands.py), for either kind of
incident: the client works offline, before it knows the incident's kind. The API takes no coercion
("true" is not a boolean), so a field's text is turned into the type its command declares; a field
that takes an object (a contact) takes it as JSON text: `--second-contact '{"phone": "139..."}'`.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import types
import typing
from datetime import datetime
from enum import Enum
from typing import Any, Union

import typer

from domain.commands import CommandMethod, commands_of
from domain.complaint import Complaint
from domain.emergency import Emergency

TRUE_WORDS = frozenset({"true", "yes", "y", "1", "是"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "否"})
KINDS = (Complaint, Emergency)


def known_commands() -> list[str]:
    """Every command a person may send, of either kind of incident, by name.

    The system's marks are left out, and so is the recorded read of personal data (`incident reveal`).
    """
    return sorted(
        {
            name
            for kind in KINDS
            for name, declared in commands_of(kind).items()
            if not (declared.system or declared.audit)
        }
    )


SYSTEM_MARKS = frozenset(
    name for kind in KINDS for name, declared in commands_of(kind).items() if declared.system
)


def declarations(command: str) -> list[tuple[type[Any], CommandMethod[Any]]]:
    """The kinds that have `command`, each with its declaration."""
    return [(kind, commands_of(kind)[command]) for kind in KINDS if command in commands_of(kind)]


def field_type_name(command: str, name: str) -> str:
    """How a field's value is written on the command line, for help texts."""
    kinds = _field_types(command, name) - {type(None)}
    if any(dataclasses.is_dataclass(kind) for kind in kinds):
        return "JSON"
    if bool in kinds:
        return "(flag)"
    if int in kinds:
        return "INTEGER"
    if float in kinds:
        return "NUMBER"
    enums = [kind for kind in kinds if isinstance(kind, type) and issubclass(kind, Enum)]
    if enums:
        return "|".join(str(member.value) for member in enums[0])
    if datetime in kinds:
        return "TIME"  # ISO 8601 with its offset
    return "TEXT"


def _types(annotation: Any) -> tuple[Any, ...]:
    if typing.get_origin(annotation) in (Union, types.UnionType):
        return typing.get_args(annotation)
    return (annotation,)


@functools.cache
def _hints(declared: CommandMethod[Any]) -> dict[str, Any]:
    return typing.get_type_hints(declared.method)


def _field_types(command: str, name: str) -> set[Any]:
    found: set[Any] = set()
    for kind in KINDS:
        declared = commands_of(kind).get(command)
        if declared is not None and name in declared.parameters:
            found.update(_types(_hints(declared)[name]))
    return found


def typed_value(command: str, name: str, value: Any) -> Any:
    """`value` as the type the field takes (booleans, integers, numbers); other fields stay text."""
    if not isinstance(value, str):
        return value
    kinds = _field_types(command, name)
    if any(dataclasses.is_dataclass(kind) for kind in kinds):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise typer.BadParameter(
                f'--{name} takes a JSON object, e.g. \'{{"phone": "13900139000"}}\'', param_hint="fields"
            ) from None
    if bool in kinds:
        word = value.strip().lower()
        if word in TRUE_WORDS or word in FALSE_WORDS:
            return word in TRUE_WORDS
        raise typer.BadParameter(f"--{name} takes true or false, not {value!r}", param_hint="fields")
    try:
        if int in kinds:
            return int(value)
        if float in kinds:
            return float(value)
    except ValueError:
        raise typer.BadParameter(f"--{name} takes a number, not {value!r}", param_hint="fields") from None
    return value


def typed_fields(command: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Every field of `command` as the type it takes."""
    return {name: typed_value(command, name, value) for name, value in fields.items()}
