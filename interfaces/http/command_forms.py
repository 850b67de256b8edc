"""A command's fields as a form shows them: kind of input, words in both languages, the choices."""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel

from domain.incident import Incident
from domain.labelled import Labelled
from domain.vocabulary import COMMANDS, FIELDS, Words

FieldKind = Literal["text", "line", "boolean", "choice", "time", "integer", "group"]

# Short answers (a name, a number, a place) take one line; every other text may run to a paragraph.
ONE_LINE = frozenset({"to", "reference", "place", "name", "phone", "email"})
# The envelope: the page sends the command id itself (a key per attempt), never a person.
NOT_ASKED = frozenset({"command_id"})


class Words2(BaseModel):
    """A code's Chinese and English words."""

    zh: str
    en: str


class Choice(BaseModel):
    """One value a choice field accepts, with its words."""

    code: str
    zh: str
    en: str


class FormField(BaseModel):
    """One field of a command's form."""

    name: str
    label: Words2
    kind: FieldKind
    required: bool
    nullable: bool
    default: Any = None
    choices: list[Choice] | None = None
    fields: list[FormField] | None = None  # a group's own fields (a contact: name, phone, e-mail)


def words(pair: Words | None, fallback: str) -> Words2:
    zh, en = pair or (fallback, fallback)
    return Words2(zh=zh, en=en)


def command_label(name: str) -> Words2:
    return words(COMMANDS.get(name), name)


def _bare(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:  # a moment is Annotated[datetime, ...]
        annotation = typing.get_args(annotation)[0]
    return annotation


def _unwrapped(annotation: Any) -> tuple[Any, bool]:
    # X | None -> (X, True), with Annotated's validators set aside: the form needs only the type.
    annotation = _bare(annotation)
    if typing.get_origin(annotation) in (types.UnionType, typing.Union):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        nullable = len(members) < len(typing.get_args(annotation))
        return (_bare(members[0]) if len(members) == 1 else annotation), nullable
    return annotation, False


def _choices_of(incident: Incident, name: str, annotation: Any) -> list[Choice] | None:
    if isinstance(annotation, type) and issubclass(annotation, Labelled):
        return [Choice(code=m.code, zh=m.zh, en=m.en) for m in annotation]
    if name == "action":  # a playbook action: one of those still open on this very incident
        return [Choice(code=a.code, zh=a.zh, en=a.en) for a in incident.open_actions]
    return None


def _kind(name: str, annotation: Any, choices: list[Choice] | None) -> FieldKind:
    if choices is not None:
        return "choice"
    if annotation is bool:
        return "boolean"
    if annotation in (datetime, AwareDatetime):
        return "time"
    if annotation is int:
        return "integer"
    if dataclasses.is_dataclass(annotation):
        return "group"
    return "line" if name in ONE_LINE else "text"


def form_fields(model: type[BaseModel], incident: Incident) -> list[FormField]:
    """The fields a person fills in to send `model`, in the order declared (the time it happened last)."""
    found = [
        _field(name, info.annotation, info.is_required(), info.get_default(), incident)
        for name, info in model.model_fields.items()
        if name not in NOT_ASKED
    ]
    return sorted(found, key=lambda f: f.name == "occurred_at")


def _field(name: str, annotation: Any, required: bool, default: Any, incident: Incident) -> FormField:
    inner, nullable = _unwrapped(annotation)
    choices = _choices_of(incident, name, inner)
    kind = _kind(name, inner, choices)
    group = None
    if kind == "group":
        group = [_field(f.name, f.type, False, f.default, incident) for f in dataclasses.fields(inner)]
    return FormField(
        name=name,
        label=words(FIELDS.get(name), name),
        kind=kind,
        required=required,
        nullable=nullable,
        default=default if not required and isinstance(default, str | bool | int) else None,
        choices=choices,
        fields=group,
    )
