"""Where notifications go: a generic JSON webhook signed with HMAC-SHA256 (more channels to come).

A receiver checks a delivery by recomputing the signature: header `X-Incident-Timestamp` holds the
Unix time in seconds, `X-Incident-Signature` is `sha256=` + hex HMAC-SHA256(secret, f"{timestamp}.{body}")
over the raw body bytes. `X-Incident-Delivery` holds the delivery id: the same on every resend, so a
receiver drops a copy it already has. Every request has a timeout: a receiver that hangs costs the
delivery worker that long, never the request path.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any


class DeliveryError(Exception):
    """The receiver refused the notification or could not be reached (the text says which)."""


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The signature a receiver recomputes: sha256= + hex HMAC-SHA256(secret, timestamp "." body)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


@dataclass(frozen=True)
class WebhookChannel:
    """A JSON POST to `url`, signed with `secret`."""

    name: str
    url: str
    secret: str
    timeout_seconds: float = 5.0

    def send(self, delivery_id: str, message: dict[str, Any]) -> str:
        """Post the message; the receiver's answer, or DeliveryError naming what went wrong."""
        body = json.dumps(
            {"delivery_id": delivery_id, **message}, ensure_ascii=False, separators=(",", ":")
        ).encode()
        timestamp = str(int(time.time()))
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "X-Incident-Delivery": delivery_id,
                "X-Incident-Timestamp": timestamp,
                "X-Incident-Signature": signature(self.secret, timestamp, body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as answer:
                text: str = answer.read(2000).decode(errors="replace")
                return f"{answer.status} {text}".strip()
        except urllib.error.HTTPError as error:
            raise DeliveryError(f"{error.code} {error.read(500).decode(errors='replace')}".strip()) from error
        except (urllib.error.URLError, OSError) as error:
            raise DeliveryError(f"{type(error).__name__}: {error}") from error
