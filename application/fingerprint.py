"""A stable fingerprint of a command's payload, so a reused command id with new content is caught."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    raise TypeError(f"cannot fingerprint {type(value).__name__}")


def fingerprint(**payload: Any) -> str:
    """SHA-256 of the payload as canonical JSON (sorted keys, enums by value, datetimes in ISO)."""
    text = json.dumps(payload, sort_keys=True, default=_plain, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
