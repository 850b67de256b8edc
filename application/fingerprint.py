"""A stable fingerprint of a command's payload, so a reused command id with new content is caught."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from domain.plain import plain


def fingerprint(**payload: Any) -> str:
    """SHA-256 of the payload as canonical JSON (sorted keys, enums by value, datetimes in ISO)."""
    data = plain(payload, reveal_personal=True)
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
