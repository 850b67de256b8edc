"""Turns the text of `--name value` on the command line into the JSON type the command's field has.

The API takes no coercion ("true" is not a boolean), so the client reads each field's type from the
same request models the server validates with (interfaces.http.command_models), for either kind of
incident: it works offline, before it knows the incident's kind.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Union

import typer

from interfaces.http.command_models import COMMAND_MODELS

TRUE_WORDS = frozenset({"true", "yes", "y", "1", "是"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "否"})


def _types(annotation: Any) -> tuple[Any, ...]:
    if typing.get_origin(annotation) in (Union, types.UnionType):
        return typing.get_args(annotation)
    return (annotation,)


def _field_types(command: str, name: str) -> set[Any]:
    found: set[Any] = set()
    for commands in COMMAND_MODELS.values():
        model = commands.get(command)
        if model is not None and name in model.model_fields:
            found.update(_types(model.model_fields[name].annotation))
    return found


def typed_value(command: str, name: str, value: Any) -> Any:
    """`value` as the type the field takes (booleans, integers, numbers); other fields stay text."""
    if not isinstance(value, str):
        return value
    kinds = _field_types(command, name)
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
