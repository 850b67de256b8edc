"""The personal data on the web board: held back from an auditor, read in full only with a reason."""

# The board's fixtures are imported from its test module and requested by name.
# ruff: noqa: F811

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from domain.values import Role
from tests.e2e.server import issue_token
from tests.e2e.test_web_board import (  # noqa: F401 - the board's fixtures, shared
    LIVE_MS,
    Office,
    browser,
    context,
    office,
    page,
    row,
    sign_in,
)

pytestmark = pytest.mark.browser

PHONE, REFERENCE = "13912345678", "6222020200112233445"


def _complaint(office: Office) -> str:
    body = {
        "outlet": "BJ-HD-02",
        "channel": "walk_in",
        "category": "service_quality",
        "summary": "要求退还手续费",
        "customer_reference": REFERENCE,
        "contact": {"name": "李小红", "phone": PHONE},
    }
    answer = httpx.post(
        f"{office.url}/api/v1/complaints",
        json=body,
        headers={"Authorization": f"Bearer {office.token}"},
        timeout=10,
    )
    return str(answer.json()["incident_id"])


def test_an_auditor_reads_the_personal_data_only_with_a_reason_and_the_read_is_recorded(
    page: Page, office: Office
) -> None:
    incident = _complaint(office)
    auditor = Office(office.settings, office.url, issue_token(office.settings, Role.AUDITOR, "", "审计 孙"))
    sign_in(page, auditor)
    row(page, incident).click()
    panel = page.locator("#detail-personal")
    expect(panel.locator(".reveal-open")).to_be_visible(timeout=LIVE_MS)
    assert PHONE not in page.locator("#detail").inner_text()

    panel.locator(".reveal-open").click()
    panel.locator("textarea[name=reason]").fill(" " * 12)  # long enough for the browser, blank to the rules
    panel.locator(".reveal-send").click()
    expect(panel.locator(".act-error")).to_contain_text("原因 Reason", timeout=LIVE_MS)
    assert PHONE not in panel.inner_text()

    panel.locator("textarea[name=reason]").fill("投诉复核：核对回访所用的联系方式")
    panel.locator(".reveal-send").click()
    expect(panel.locator("dl.personal")).to_contain_text(PHONE, timeout=LIVE_MS)
    expect(panel.locator("dl.personal")).to_contain_text(REFERENCE)
    expect(panel).to_contain_text("第 2 版")  # the version the read was recorded as
    history = httpx.get(
        f"{office.url}/api/v1/incidents/{incident}/history",
        headers={"Authorization": f"Bearer {office.token}"},
        timeout=10,
    ).json()["events"]
    assert [e["event"] for e in history] == ["Reported", "PersonalDataRevealed"]
    assert history[-1]["actor"]["role"] == "auditor"
    assert history[-1]["data"]["reason"] == "投诉复核：核对回访所用的联系方式"


def test_the_office_sees_no_reveal_panel_it_holds_nothing_back_from_them(page: Page, office: Office) -> None:
    incident = _complaint(office)
    sign_in(page, office)
    row(page, incident).click()
    expect(page.locator("#detail-act .act-commands")).to_be_visible(timeout=LIVE_MS)
    expect(page.locator("#detail-personal .reveal-open")).to_have_count(0)
