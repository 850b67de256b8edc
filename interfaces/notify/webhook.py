"""The generic JSON webhook, signed with HMAC-SHA256, and the HTTP POST every web channel shares.

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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

DEFAULT_TIMEOUT_SECONDS = 5.0
ANSWER_CHARS = 2000  # of the receiver's answer, kept on the record


class DeliveryError(Exception):
    """The receiver refused the notification or could not be reached (the text says which)."""


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The signature a receiver recomputes: sha256= + hex HMAC-SHA256(secret, timestamp "." body)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def json_body(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def post(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> tuple[int, str]:
    """POST `body`; the status and the answer's text, or DeliveryError for an HTTP error or no answer."""
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            text: str = answer.read(ANSWER_CHARS).decode(errors="replace")
            return int(answer.status), text
    except urllib.error.HTTPError as error:
        raise DeliveryError(f"{error.code} {error.read(500).decode(errors='replace')}".strip()) from error
    except (urllib.error.URLError, OSError) as error:
        raise DeliveryError(f"{type(error).__name__}: {error}") from error


def where(url: str) -> str:
    """What of a URL may be shown: its scheme, host and port (a robot's key is in its path or query)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


@dataclass(frozen=True)
class WebhookChannel:
    """A JSON POST to `url`, signed with `secret`."""

    name: str
    url: str
    secret: str
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    kind = "webhook"

    def send(self, delivery_id: str, message: Mapping[str, Any]) -> str:
        """Post the message; the receiver's answer, or DeliveryError naming what went wrong."""
        body = json_body({"delivery_id": delivery_id, **message})
        timestamp = str(int(time.time()))
        status, text = post(
            self.url,
            body,
            {
                "X-Incident-Delivery": delivery_id,
                "X-Incident-Timestamp": timestamp,
                "X-Incident-Signature": signature(self.secret, timestamp, body),
            },
            self.timeout_seconds,
        )
        return f"{status} {text}".strip()

    def shown(self) -> dict[str, Any]:
        return {"target": where(self.url), "signed": True}
