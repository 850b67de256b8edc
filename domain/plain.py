"""Domain values as plain JSON-ready data, one way everywhere: fingerprints, boards, the API, the feed."""

import dataclasses
from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

from domain.contact import CustomerContact
from domain.personal import MASKED, PERSONAL_FIELDS, holds_personal_data

__all__ = ["EVENT_ENVELOPE", "MASKED", "event_data", "plain"]


def plain(value: Any, *, reveal_personal: bool) -> Any:
    """Enums by value, datetimes in ISO 8601, UUIDs as text, value objects as objects.

    Personal data (a CustomerContact anywhere, and every field named in PERSONAL_FIELDS, whatever
    its value's type) becomes "<personal>" unless `reveal_personal`.
    """
    if isinstance(value, CustomerContact) and not reveal_personal:
        return MASKED
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _fields({f.name: getattr(value, f.name) for f in dataclasses.fields(value)}, reveal_personal)
    if isinstance(value, list | tuple):
        return [plain(v, reveal_personal=reveal_personal) for v in value]
    if isinstance(value, dict):
        return _fields(value, reveal_personal)
    return value


def _fields(values: dict[Any, Any], reveal_personal: bool) -> dict[str, Any]:
    return {
        str(k): MASKED
        if not reveal_personal and k in PERSONAL_FIELDS and holds_personal_data(v)
        else plain(v, reveal_personal=reveal_personal)
        for k, v in values.items()
    }


# What every incident event carries besides its own fields (shown separately: who, when, which).
EVENT_ENVELOPE = frozenset(
    {"originator_id", "originator_version", "timestamp", "actor", "occurred_at", "originator_topic"}
)


def event_data(event: Any, *, reveal_personal: bool) -> dict[str, Any]:
    """An event's own fields as plain data, without its envelope."""
    return _fields({k: v for k, v in vars(event).items() if k not in EVENT_ENVELOPE}, reveal_personal)
