"""JSON transcodings for every enum and value object the domain stores in events and snapshots."""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any

from eventsourcing.persistence import Transcoding
from eventsourcing.utils import get_topic

from domain.values import ENUM_TYPES, VALUE_TYPES


def _enum_transcoding(enum_type: type[Enum]) -> Transcoding:
    class EnumAsValue(Transcoding):
        type = enum_type
        name = get_topic(enum_type)

        def encode(self, obj: Enum) -> Any:
            return obj.value

        def decode(self, data: Any) -> Enum:
            return enum_type(data)

    return EnumAsValue()


def _value_transcoding(value_type: type) -> Transcoding:
    field_names = [f.name for f in dataclasses.fields(value_type)]

    class ValueAsDict(Transcoding):
        type = value_type
        name = get_topic(value_type)

        def encode(self, obj: Any) -> Any:
            return {name: getattr(obj, name) for name in field_names}

        def decode(self, data: Any) -> Any:
            return value_type(**data)

    return ValueAsDict()


def domain_transcodings() -> list[Transcoding]:
    """One transcoding per domain enum and value object; a transcoding matches its exact type only."""
    return [_enum_transcoding(t) for t in ENUM_TYPES] + [_value_transcoding(t) for t in VALUE_TYPES]
