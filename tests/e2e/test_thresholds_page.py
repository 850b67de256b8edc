"""The thresholds page in headless Chromium: the values in force and their history, read-only, in both languages."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from domain.values import Role
from interfaces.settings import Settings
from tests.e2e.server import issue_token, running_server
from tests.e2e.test_web_board import browser, context  # noqa: F401 (the board's fixtures: one Chromium)

pytestmark = pytest.mark.browser


@dataclass
class Bank:
    url: str
    office: str
    admin: str
    branch: str


@pytest.fixture
def bank(tmp_path: Path) -> Iterator[Bank]:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/thresholds.db", run_policies=False)
    with running_server(settings) as url:
        yield Bank(
            url,
            office=issue_token(settings, Role.OFFICE, "HQ", "王主任"),
            admin=issue_token(settings, Role.ADMIN, "", "系统管理员 张"),
            branch=issue_token(settings, Role.BRANCH, "BJ-HD-01", "李经理"),
        )


@pytest.fixture
def tab(context: BrowserContext) -> Iterator[Page]:  # noqa: F811
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    assert errors == [], f"the page raised: {errors}"


def sign_in(page: Page, bank: Bank, token: str) -> None:
    page.goto(f"{bank.url}/thresholds")
    page.fill("#token", token)
    page.click("#sign-in-form button[type=submit]")


def test_the_office_sees_the_thresholds_in_force_and_who_changed_them_but_cannot_edit(
    tab: Page, bank: Bank
) -> None:
    page = tab
    changed = httpx.put(
        f"{bank.url}/api/v1/settings/thresholds",
        json={"related_complaints_for_yellow": 2, "reason": "试点：两起即关联"},
        headers={"Authorization": f"Bearer {bank.admin}"},
    )
    assert changed.status_code == 200, changed.text
    sign_in(page, bank, bank.office)
    expect(page.locator("#thresholds")).to_be_visible()
    yellow = page.locator('tr[data-key="related_complaints_for_yellow"]')
    expect(yellow.locator("td.value")).to_have_text("2 起投诉")
    expect(yellow).to_contain_text("关联性")
    expect(yellow.locator(".other-lang")).to_contain_text("Related (yellow)")
    expect(page.locator('tr[data-key="red_when_outlets_at_least"] td.value')).to_have_text(
        "关闭（由办公室决定）"
    )
    expect(page.locator("#changed")).to_contain_text("系统管理员 张")
    entries = page.locator("#history li")
    expect(entries).to_have_count(2)
    expect(entries.nth(1)).to_contain_text("3 起投诉 → 2 起投诉")
    expect(entries.nth(1)).to_contain_text("试点：两起即关联")
    expect(page.locator("#thresholds input, #thresholds select, #thresholds textarea")).to_have_count(0)

    page.click("#lang")
    expect(yellow.locator("td.value")).to_have_text("2 complaints")
    expect(page.locator(".read-only")).to_contain_text("Only an admin changes the thresholds")


def test_a_branch_token_is_told_it_may_not_read_them(tab: Page, bank: Bank) -> None:
    page = tab
    sign_in(page, bank, bank.branch)
    expect(page.locator("#sign-in-error")).to_contain_text("无权查看阈值")
    expect(page.locator("#thresholds")).to_be_hidden()


def test_the_board_links_to_the_thresholds(tab: Page, bank: Bank) -> None:
    page = tab
    page.goto(bank.url)
    page.click("#thresholds-link")
    expect(page).to_have_url(f"{bank.url}/thresholds")
    expect(page.locator("#sign-in-form")).to_be_visible()
