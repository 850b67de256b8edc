"""The link in a notification opens the incident on the web board, whose timeline names the
notification events in Chinese: what an office person who got the message sees on following it."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from domain.values import Role
from interfaces.settings import Settings
from tests.e2e.server import free_port, issue_token, running_server
from tests.e2e.test_notifications_in_server import FIRE
from tests.e2e.test_web_board import LIVE_MS, browser, context, page
from tests.integration.notify_receiver import SECRET, Receiver, receiver

__all__ = ["browser", "context", "page", "receiver"]
pytestmark = pytest.mark.browser


def test_the_link_in_a_notification_opens_the_incident_with_its_notifications_on_the_timeline(
    page: Page, tmp_path: Path, receiver: tuple[Receiver, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    state, url = receiver
    port = free_port()
    rules = tmp_path / "notifications.toml"
    rules.write_text(
        f"""board_url = "http://127.0.0.1:{port}"
[channels.office]
type = "webhook"
url = "{url}"
secret_env = "TEST_NOTIFY_SECRET"
[[rules]]
name = "red"
triggers = ["raised"]
min_level = "red"
channels = ["office"]
""",
        encoding="utf-8",
    )
    monkeypatch.setenv("TEST_NOTIFY_SECRET", SECRET)
    settings = Settings(database_url=f"sqlite:///{tmp_path}/board.db", notifications_file=rules)
    with running_server(settings, port=port) as server:
        token = issue_token(settings, Role.OFFICE, "HQ", "王主任")
        posted = httpx.post(
            f"{server}/api/v1/emergencies", json=FIRE, headers={"Authorization": f"Bearer {token}"}
        )
        incident_id = posted.json()["incident_id"]
        deadline = time.monotonic() + 20
        while not state.received and time.monotonic() < deadline:
            time.sleep(0.05)
        [(_, body)] = state.received
        link = body["text"].splitlines()[-1]
        assert link == f"http://127.0.0.1:{port}/#incident={incident_id}"

        page.goto(link)
        page.fill("#token", token)
        page.click("#sign-in-form button[type=submit]")
        detail = page.locator("#detail")
        expect(detail).to_be_visible(timeout=LIVE_MS)
        expect(detail.locator(".timeline")).to_contain_text("通知已送达", timeout=LIVE_MS)
        expect(detail.locator(".timeline")).to_contain_text("待发通知")
        expect(detail.locator(".timeline")).to_contain_text("200 ok")
