"""The delivery worker's `send`, over the channels of the notifications file."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from application.policies.deliveries import Send
from interfaces.notify.settings_file import Channel
from interfaces.notify.webhook import DeliveryError


def sender(channels: Mapping[str, Channel]) -> Send:
    """Sends on the channel named; a channel no longer in the file is a failed attempt that says so."""

    def send(channel: str, delivery_id: str, payload: Mapping[str, Any]) -> str:
        found = channels.get(channel)
        if found is None:
            raise DeliveryError(f"channel {channel!r} is not in the notifications file (any more)")
        return found.send(delivery_id, payload)

    return send
