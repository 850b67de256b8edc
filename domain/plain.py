"""Domain values as plain JSON-ready data, one way everywhere: fingerprints, boards, the API, the feed."""

import dataclasses
from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

from domain.contact import CustomerContact

MASKED = "<personal>"


def plain(value: Any, *, reveal_personal: bool) -> Any:
    """Enums by value, datetimes in ISO 8601, UUIDs as text, value objects as objects.

    Personal data (CustomerContact) becomes "<personal>" unless `reveal_personal`.
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
        return {
            f.name: plain(getattr(value, f.name), reveal_personal=reveal_personal)
            for f in dataclasses.fields(value)
        }
    if isinstance(value, list | tuple):
        return [plain(v, reveal_personal=reveal_personal) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v, reveal_personal=reveal_personal) for k, v in value.items()}
    return value


# What every incident event carries besides its own fields (shown separately: who, when, which).
EVENT_ENVELOPE = frozenset(
    {"originator_id", "originator_version", "timestamp", "actor", "occurred_at", "originator_topic"}
)


def event_data(event: Any, *, reveal_personal: bool) -> dict[str, Any]:
    """An event's own fields as plain data, without its envelope."""
    return {
        k: plain(v, reveal_personal=reveal_personal)
        for k, v in vars(event).items()
        if k not in EVENT_ENVELOPE
    }
