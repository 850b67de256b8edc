"""What makes two requests the same command: the sender and what they sent, never what the server made.

A retry must be recognised as the same command however it reaches the server: after a crash, under a
rotated token of the same person, for a report whose incident id the server chose. So the fingerprint
covers the sender as a person at a desk (name, role, unit) and the payload as sent; idempotency keys
are scoped to the sender's desk, so one branch's key can never meet, or reveal, another's command.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from domain.actors import Actor
from domain.plain import plain


def sender(actor: Actor) -> dict[str, str]:
    """The person behind a command, as a retry under another token of theirs still names them."""
    return {"name": actor.name, "role": actor.role.value, "unit": actor.unit}


def scoped_key(actor: Actor, command_id: str) -> str:
    """The stored key of a client's idempotency key: its own within the sender's role and unit."""
    return f"{actor.role.value}:{actor.unit}:{command_id}"


def client_key(stored: str) -> str:
    """The client's own key from a stored one (role values and unit codes never hold a colon)."""
    return stored.split(":", 2)[2]


def fingerprint(*, actor: Actor, key: bytes | None, **payload: Any) -> str:
    """HMAC-SHA256 under `key` of the sender and the payload as canonical JSON (sorted keys, enums by
    value, ISO times); plain SHA-256 without a key.

    The payload holds personal data in clear, and a stored digest of a phone number can be matched
    against every phone number: keyed, it cannot be, by whoever reads the store without the key.
    """
    data = plain({"sender": sender(actor), **payload}, reveal_personal=True)
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    if key is None:
        return hashlib.sha256(text).hexdigest()
    return hmac.new(key, text, hashlib.sha256).hexdigest()
