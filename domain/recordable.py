"""The last check before an event is made: every value in it is one every store and board can hold.

Commands check their own fields by name (required texts, known actions, levels); this walks every
field an event is about to carry, nested values included, so that nothing unrecordable slips in
through a field no command thought of: texts by domain.texts, moments by domain.moments, integers
within the stores' signed 64-bit columns, finite numbers. Texts come back in NFC.
"""

import dataclasses
import functools
import math
import types
import typing
from datetime import datetime
from typing import Any, Union
from uuid import UUID

from domain.errors import InvalidInputError
from domain.moments import recordable_moment
from domain.texts import readable_text

INTEGER_RANGE = range(-(2**63), 2**63)


def recordable_fields(
    fields: dict[str, Any], incident_id: UUID | None = None, event_class: type | None = None
) -> dict[str, Any]:
    """The fields with every text in NFC; refused, naming the field, when a value is unrecordable.

    With `event_class`, each value must also be of the type the event declares for it: a plain
    "red" where a Level belongs would be stored, and then fail every board that reads `.value`.
    """
    if event_class is not None:
        declared = _declared(event_class)
        for name, value in fields.items():
            annotation = declared.get(name, Any)
            if not _is_of(annotation, value):
                raise InvalidInputError(
                    f"{name} must be {_named(annotation)}, not {type(value).__name__}",
                    field=name,
                    incident_id=incident_id,
                )
    return {name: recordable(value, name, incident_id) for name, value in fields.items()}


@functools.cache
def _declared(event_class: type) -> dict[str, Any]:
    return typing.get_type_hints(event_class)


def _is_of(annotation: Any, value: Any) -> bool:
    origin = typing.get_origin(annotation)
    if annotation is Any:
        return True
    if origin in (Union, types.UnionType):
        return any(_is_of(arg, value) for arg in typing.get_args(annotation))
    if annotation is type(None):
        return value is None
    if origin in (list, tuple):
        args = typing.get_args(annotation)
        return isinstance(value, list | tuple) and (not args or all(_is_of(args[0], v) for v in value))
    if annotation is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(annotation, type):
        return isinstance(value, annotation)
    return True  # an annotation this check does not read: the event's own rules decide


def _named(annotation: Any) -> str:
    if typing.get_origin(annotation) in (Union, types.UnionType):
        return " or ".join(_named(arg) for arg in typing.get_args(annotation))
    return "None" if annotation is type(None) else getattr(annotation, "__name__", str(annotation))


def recordable(value: Any, field: str, incident_id: UUID | None = None) -> Any:
    """One value, checked and (for texts, recursively) normalised; `field` names it in a refusal."""
    if isinstance(value, str):
        return readable_text(value, field, incident_id)
    if isinstance(value, bool) or value is None or isinstance(value, UUID):
        return value
    if isinstance(value, int):
        if value not in INTEGER_RANGE:
            raise InvalidInputError(f"{field} is out of range", field=field, incident_id=incident_id)
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInputError(f"{field} must be a finite number", field=field, incident_id=incident_id)
        return value
    if isinstance(value, datetime):
        return recordable_moment(value, field, incident_id)
    if isinstance(value, list | tuple):
        return type(value)(recordable(item, f"{field}[{i}]", incident_id) for i, item in enumerate(value))
    if isinstance(value, dict):
        return {
            recordable(key, f"{field} key", incident_id): recordable(item, f"{field}.{key}", incident_id)
            for key, item in value.items()
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _recordable_value_object(value, field, incident_id)
    return value  # enums and other domain values: valid by construction


def _recordable_value_object(value: Any, field: str, incident_id: UUID | None) -> Any:
    changes = {}
    for f in dataclasses.fields(value):
        before = getattr(value, f.name)
        after = recordable(before, f"{field}.{f.name}", incident_id)
        if after is not before:
            changes[f.name] = after
    # Unchanged value objects are shared, not copied (they are immutable).
    return dataclasses.replace(value, **changes) if changes else value
