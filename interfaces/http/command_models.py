"""Request bodies made from the domain's own signatures: one pydantic model per command.

The commands declared on the aggregates (domain/commands.py) are the single source of truth for
every command's fields and their types; each model adds the envelope a client may send
(`occurred_at`, `command_id`).
"""

import inspect
import types
import typing
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Union
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    create_model,
)

from domain.commands import CommandMethod, commands_of
from domain.complaint import Complaint
from domain.emergency import Emergency
from domain.incident import Incident
from domain.incident_type import IncidentType
from domain.recordable import INTEGER_RANGE
from domain.texts import MAX_TEXT_LENGTH


def _iso_text(value: Any) -> Any:
    # A moment comes as ISO 8601 text; a bare number would be read as seconds since 1970.
    if not isinstance(value, str | datetime):
        raise ValueError("must be ISO 8601 text with a UTC offset, e.g. 2026-12-01T09:30:00+08:00")
    return value


def _client_chosen(value: UUID | None) -> UUID | None:
    # Ids the server derives (outlet queues, surge emergencies) are name-based (version 5): a client's
    # random (4) or time-ordered (7) id can never take one of them first.
    if value is not None and value.version not in (4, 7):
        raise ValueError("must be a random (version 4) or time-ordered (version 7) UUID")
    return value


# No coercion: "true" is not a boolean and "5" is not a number (types are what the client meant).
Text = Annotated[str, Strict(), Field(max_length=MAX_TEXT_LENGTH)]
# Both stores keep integers in signed 64-bit columns: anything wider is bad input, not a crash.
Integer = Annotated[int, Strict(), Field(ge=INTEGER_RANGE.start, le=INTEGER_RANGE.stop - 1)]
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Moment = Annotated[AwareDatetime, BeforeValidator(_iso_text)]
Boolean = Annotated[bool, Strict()]
ClientIncidentId = Annotated[UUID | None, AfterValidator(_client_chosen)]
# An idempotency key (body or header) is an opaque printable token: PostgreSQL text cannot hold NUL.
COMMAND_ID_PATTERN = r"^[^\x00-\x1f\x7f]+$"
# What /docs shows instead of an example generated from the pattern (random punctuation): a key a
# branch client would choose, unique per command it sends.
COMMAND_ID_EXAMPLE = "BJ-HD-001-20261202-0007"
INCIDENT_TYPES: dict[IncidentType, type[Complaint] | type[Emergency]] = {
    kind.TYPE: kind for kind in (Complaint, Emergency)
}


class Envelope(BaseModel):
    """What any command may carry besides its own fields."""

    model_config = ConfigDict(extra="forbid")

    occurred_at: Moment | None = Field(
        None,
        description="When it happened at the branch (ISO 8601 with offset); default: now.",
        examples=["2026-12-02T14:05:00+08:00"],
    )
    command_id: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        pattern=COMMAND_ID_PATTERN,
        description="Idempotency key: a replay returns the first result.",
        examples=[COMMAND_ID_EXAMPLE],
    )


class ReportEnvelope(Envelope):
    """What a report may carry besides its fields: the incident id the client chose."""

    incident_id: ClientIncidentId = Field(
        None, description="A random (v4) or time-ordered (v7) UUID the client chose (for offline work)."
    )


API_SCALARS: dict[Any, Any] = {datetime: Moment, str: Text, int: Integer, float: Number, bool: Boolean}


def _api_type(annotation: Any) -> Any:
    """Domain annotation -> request type: strict, bounded scalars and aware moments as text."""
    scalar = API_SCALARS.get(annotation)
    if scalar is not None:
        return scalar
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        return Union[tuple(_api_type(a) for a in typing.get_args(annotation))]  # noqa: UP007
    if origin is list:
        return list[_api_type(typing.get_args(annotation)[0])]  # type: ignore[misc]
    return annotation


OFFICE_FIELD = "The office's decision: only an office token (or a policy) may give it."
OFFICE_COMMAND = (
    "The office's decision: only an office token whose unit holds the outlet (or a policy) may take it."
)


def _fields(
    method: Callable[..., Any], skip: tuple[str, ...], office: tuple[str, ...] = ()
) -> dict[str, Any]:
    hints = typing.get_type_hints(method)
    fields: dict[str, Any] = {}
    for name, parameter in inspect.signature(method).parameters.items():
        if name in ("self", "cls", "stamp", *skip):
            continue
        default = ... if parameter.default is inspect.Parameter.empty else parameter.default
        described = Field(default, description=OFFICE_FIELD) if name in office else default
        fields[name] = (_api_type(hints[name]), described)
    return fields


def _model_name(kind: type[Incident], command: str) -> str:
    return kind.__name__ + "".join(part.capitalize() for part in command.split("_")) + "In"


def _build(
    kind: type[Incident],
    command: str,
    base: type[BaseModel],
    method: Callable[..., Any],
    declared: CommandMethod[Any] | None = None,
) -> type[BaseModel]:
    skip = ("incident_id",) if base is ReportEnvelope else ()
    # Who may give it, read from the declaration: the API's docs say what the access rule does.
    office = declared.office_decision_with if declared is not None else ()
    doc = inspect.getdoc(method) or ""
    if declared is not None and declared.office_decision:
        doc = f"{doc}\n\n{OFFICE_COMMAND}"
    model: type[BaseModel] = create_model(
        _model_name(kind, command), __base__=base, __doc__=doc, **_fields(method, skip, office)
    )
    return model


REPORT_MODELS: dict[IncidentType, type[BaseModel]] = {
    name: _build(kind, "report", ReportEnvelope, kind.report) for name, kind in INCIDENT_TYPES.items()
}
COMMAND_MODELS: dict[IncidentType, dict[str, type[BaseModel]]] = {
    name: {
        command: _build(kind, command, Envelope, declared.method, declared)
        for command, declared in commands_of(kind).items()
        if not declared.audit  # a recorded read has its own route (interfaces/http/personal_data.py)
    }
    for name, kind in INCIDENT_TYPES.items()
}


def command_fields(body: BaseModel) -> dict[str, Any]:
    """The command's own fields (the envelope taken off), as the domain method takes them."""
    envelope = set(ReportEnvelope.model_fields)
    return {name: getattr(body, name) for name in type(body).model_fields if name not in envelope}
