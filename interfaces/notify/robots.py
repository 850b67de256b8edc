"""The group robots Chinese offices live in: WeCom (企业微信) and DingTalk (钉钉), markdown messages.

WeCom's group robot: POST {"msgtype": "markdown", "markdown": {"content": ...}} to its webhook URL
(the key is in the URL). DingTalk's custom robot with 加签: the URL carries `timestamp` (Unix ms) and
`sign` = url-encoded base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}")); the body is
{"msgtype": "markdown", "markdown": {"title": ..., "text": ...}}. Both answer HTTP 200 with
{"errcode": 0, "errmsg": "ok"}, and refuse with HTTP 200 too, errcode non-zero: that is a refusal,
with their answer on the record.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, urlsplit

from interfaces.notify.message import markdown, title
from interfaces.notify.webhook import DEFAULT_TIMEOUT_SECONDS, DeliveryError, json_body, post, where

WECOM_MARKDOWN_BYTES = 4096  # the most WeCom takes in a markdown message


def robot_answer(status: int, text: str) -> str:
    """The robot's answer if it took the message; DeliveryError with its answer if it refused."""
    try:
        answer = json.loads(text)
    except ValueError:
        raise DeliveryError(f"{status} not a robot's answer: {text[:200]}") from None
    code = answer.get("errcode") if isinstance(answer, dict) else None
    if code != 0:
        raise DeliveryError(
            f"{status} errcode {code}: {answer.get('errmsg') if isinstance(answer, dict) else text}"
        )
    return f"{status} {text}".strip()


def dingtalk_sign(secret: str, timestamp_ms: str) -> str:
    """DingTalk's `sign`: base64(HMAC-SHA256(secret, timestamp "\\n" secret)), url-encoded."""
    mac = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(mac).decode())


def _cut(text: str, limit: int) -> str:
    data = text.encode()
    return text if len(data) <= limit else data[: limit - 3].decode(errors="ignore") + "…"


@dataclass(frozen=True)
class WeComChannel:
    """A WeCom group robot (its webhook URL holds its key: keep it out of the file, in an env var)."""

    name: str
    url: str
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    kind = "wecom"

    def send(self, delivery_id: str, message: Mapping[str, Any]) -> str:
        content = _cut(markdown(message, delivery_id), WECOM_MARKDOWN_BYTES)
        body = json_body({"msgtype": "markdown", "markdown": {"content": content}})
        return robot_answer(*post(self.url, body, {"X-Incident-Delivery": delivery_id}, self.timeout_seconds))

    def shown(self) -> dict[str, Any]:
        return {"target": where(self.url), "signed": False}


@dataclass(frozen=True)
class DingTalkChannel:
    """A DingTalk custom robot with signing (加签): its webhook URL and its SEC… secret."""

    name: str
    url: str
    secret: str
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    kind = "dingtalk"

    def signed_url(self, timestamp_ms: str) -> str:
        joiner = "&" if urlsplit(self.url).query else "?"
        return f"{self.url}{joiner}timestamp={timestamp_ms}&sign={dingtalk_sign(self.secret, timestamp_ms)}"

    def send(self, delivery_id: str, message: Mapping[str, Any]) -> str:
        body = json_body(
            {
                "msgtype": "markdown",
                "markdown": {"title": title(message), "text": markdown(message, delivery_id)},
            }
        )
        url = self.signed_url(str(int(time.time() * 1000)))
        return robot_answer(*post(url, body, {"X-Incident-Delivery": delivery_id}, self.timeout_seconds))

    def shown(self) -> dict[str, Any]:
        return {"target": where(self.url), "signed": True}
