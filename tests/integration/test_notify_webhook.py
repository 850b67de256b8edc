"""The signed webhook against a real receiver on loopback: signature checked, errors and hangs answered."""

from __future__ import annotations

import pytest

from interfaces.notify.webhook import DeliveryError, WebhookChannel
from tests.integration.notify_receiver import SECRET, Receiver, receiver

__all__ = ["receiver"]


def test_a_signed_delivery_reaches_the_receiver_with_its_delivery_id(receiver: tuple[Receiver, str]) -> None:
    state, url = receiver
    answer = WebhookChannel("ops", url, SECRET).send("d-1", {"level": "red", "text": "红色预警 Red"})
    assert answer == "200 ok"
    headers, body = state.received[0]
    assert headers["X-Incident-Delivery"] == "d-1"
    assert body == {"delivery_id": "d-1", "level": "red", "text": "红色预警 Red"}


def test_a_wrong_secret_is_refused_by_the_receiver(receiver: tuple[Receiver, str]) -> None:
    _, url = receiver
    with pytest.raises(DeliveryError, match="401 bad signature"):
        WebhookChannel("ops", url, "wrong").send("d-2", {})


def test_a_receiver_error_is_a_delivery_error(receiver: tuple[Receiver, str]) -> None:
    state, url = receiver
    state.mode = "error"
    with pytest.raises(DeliveryError, match="503 busy"):
        WebhookChannel("ops", url, SECRET).send("d-3", {})


def test_a_hanging_receiver_times_out(receiver: tuple[Receiver, str]) -> None:
    state, url = receiver
    state.mode = "hang"
    with pytest.raises(DeliveryError, match=r"timed out|TimeoutError"):
        WebhookChannel("ops", url, SECRET, timeout_seconds=0.2).send("d-4", {})
    assert state.received == []
