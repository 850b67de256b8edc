"""The find page in headless Chromium: closed incidents found by their filters, paged by the cursor, in scope."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from domain.values import Role
from interfaces.settings import Settings
from tests.e2e.server import issue_token, running_server
from tests.e2e.test_web_board import browser, context  # noqa: F401 (the board's fixtures: one Chromium)

pytestmark = pytest.mark.browser

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 2, 1, 30, tzinfo=UTC)  # 09:30 in Beijing on 2 November
# A client's patience, not a timing claim: on a loaded two-core CI machine a request beside a busy
# Chromium once took longer than httpx's default 5 s (the suite asserts no latency; bench/ measures it).
WAIT = 30.0


@dataclass
class Bank:
    """The server, the tokens of the people who search it, and the incidents reported through it."""

    url: str
    office: str
    branch: str
    position: int = 0

    def post(self, path: str, body: dict[str, Any]) -> str:
        answer = httpx.post(
            f"{self.url}{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.office}"},
            timeout=WAIT,
        )
        assert answer.status_code in (200, 201), answer.text
        self.position = max(self.position, answer.json()["position"])
        return str(answer.json()["incident_id"])

    def complaint(self, outlet: str, summary: str, minutes: int = 0) -> str:
        body = {
            "outlet": outlet,
            "channel": "walk_in",
            "category": "service_quality",
            "summary": summary,
            "occurred_at": (T0 + timedelta(minutes=minutes)).isoformat(),
        }
        return self.post("/api/v1/complaints", body)

    def emergency(self, outlet: str, kind: str, minutes: int = 0, exercise: bool = False) -> str:
        body = {
            "outlet": outlet,
            "kind": kind,
            "level": "orange",
            "summary": "营业厅冒烟 smoke",
            "exercise": exercise,
            "occurred_at": (T0 + timedelta(minutes=minutes)).isoformat(),
        }
        return self.post("/api/v1/emergencies", body)

    def close(self, complaint: str, minutes: int) -> None:
        at = T0 + timedelta(minutes=minutes)
        withdrawn = {"confirmed_by": "in_person", "occurred_at": (at - timedelta(minutes=1)).isoformat()}
        self.post(f"/api/v1/incidents/{complaint}/commands/record_withdrawal", withdrawn)
        closing = {"outcome": "withdrawn", "summary": "客户撤回", "occurred_at": at.isoformat()}
        self.post(f"/api/v1/incidents/{complaint}/commands/close", closing)

    def listed(self, **params: Any) -> list[dict[str, Any]]:
        answer = httpx.get(
            f"{self.url}/api/v1/incidents",
            params={"after": self.position, **params},
            headers={"Authorization": f"Bearer {self.office}"},
            timeout=WAIT,
        )
        assert answer.status_code == 200, answer.text
        rows: list[dict[str, Any]] = answer.json()["incidents"]
        return rows


@pytest.fixture
def bank(tmp_path: Path) -> Iterator[Bank]:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/find.db", run_policies=False)
    with running_server(settings) as url:
        yield Bank(
            url,
            office=issue_token(settings, Role.OFFICE, "HQ", "王主任"),
            branch=issue_token(settings, Role.BRANCH, "BJ-HD-01", "李经理"),
        )


@pytest.fixture
def tab(context: BrowserContext) -> Iterator[Page]:  # noqa: F811
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    assert errors == [], f"the page raised: {errors}"


def searched(page: Page, act: Callable[[], object]) -> None:
    """Do what starts a search (a click, a navigation), then wait until its answer is shown."""
    before = int(page.get_attribute("#finder", "data-search") or 0)
    act()
    page.wait_for_function(
        "before => { const f = document.getElementById('finder');"
        " return Number(f.dataset.search) > before && f.dataset.state === 'done'; }",
        arg=before,
    )


def sign_in(page: Page, bank: Bank, token: str, fragment: str = "") -> None:
    page.goto(f"{bank.url}/find{fragment}")
    page.fill("#token", token)
    searched(page, lambda: page.click("#sign-in-form button[type=submit]"))
    expect(page.locator("#finder")).to_be_visible()


def shown_ids(page: Page) -> list[str]:
    ids: list[str] = page.locator("#rows tr.row").evaluate_all("rows => rows.map(r => r.dataset.id)")
    return ids


def test_a_closed_incident_is_found_by_words_of_its_summary_and_opens_its_detail(
    tab: Page, bank: Bank
) -> None:
    page = tab
    closed = bank.complaint("BJ-HD-02", "客户收到假币 counterfeit note", minutes=0)
    bank.close(closed, minutes=30)
    bank.complaint("BJ-HD-03", "又收到假币", minutes=5)  # the same words, still open
    other_closed = bank.complaint("SH-PD-01", "排队太久", minutes=10)
    bank.close(other_closed, minutes=40)
    bank.listed()  # the boards have every event: the page reads what was posted
    page.goto(bank.url)
    page.click("#find-link")  # the board links to the page
    expect(page).to_have_url(f"{bank.url}/find")
    sign_in(page, bank, bank.office)
    expect(page.locator("#rows tr.row")).to_have_count(3)  # the whole scope, newest first, closed ones too

    page.fill("#q", "假币")
    page.select_option("#status", "closed")
    searched(page, lambda: page.click("#search"))
    assert shown_ids(page) == [closed]
    assert "q=%E5%81%87%E5%B8%81" in page.url  # Back and a link keep the search
    assert "status=closed" in page.url
    found = page.locator(f'tr[data-id="{closed}"]')
    expect(found).to_contain_text("投诉 · 服务质量")
    expect(found).to_contain_text("客户收到假币 counterfeit note")
    expect(found).to_contain_text("五道口网点")
    expect(found.locator(".status")).to_have_text("已关闭")
    expect(found.locator(".level")).to_have_text("蓝色")
    # Reported and closed times carry the date and the zone, in the bank's zone whatever the browser's.
    expect(found.locator("td.reported")).to_have_text("2026-11-02 09:30 UTC+08:00")
    expect(found).to_contain_text("关闭于 2026-11-02 10:00 UTC+08:00")

    found.click()
    detail = page.locator("#detail")
    expect(detail).to_be_visible()
    expect(detail.locator(".facts")).to_contain_text("已关闭")
    expect(detail.locator(".timeline li")).to_have_count(3)
    expect(detail.locator(".timeline li").first).to_contain_text("办结")
    page.keyboard.press("Escape")
    expect(detail).not_to_be_visible()
    expect(found).to_be_focused()  # back to the row it was opened from
    page.keyboard.press("ArrowUp")  # rows work from the keyboard, as on the board
    expect(found).to_be_focused()  # the only row: nowhere to go
    page.keyboard.press("Enter")
    expect(detail).to_be_visible()
    page.click("#detail-close")

    page.click("#lang")
    expect(page.locator("label:has(#q)")).to_contain_text("Words in the summary")
    expect(found.locator(".status")).to_have_text("Closed")
    expect(page.locator("#status")).to_have_value("closed")  # the choices survive the language

    searched(page, page.go_back)  # the search before: the whole scope
    expect(page.locator("#rows tr.row")).to_have_count(3)
    expect(page.locator("#q")).to_have_value("")


def test_each_control_narrows_the_search(tab: Page, bank: Bank) -> None:
    page = tab
    fire_bj = bank.emergency("BJ-HD-01", "fire", minutes=0)
    # 20:30 UTC on 2 November is 04:30 on 3 November in Beijing: the days are the bank's, not UTC's.
    robbery_drill = bank.emergency("BJ-HD-02", "robbery", minutes=60 * 19, exercise=True)
    complaint_sh = bank.complaint("SH-PD-01", "排队太久", minutes=60 * 48)  # 4 November
    bank.listed()
    sign_in(page, bank, bank.office)
    assert shown_ids(page) == [complaint_sh, robbery_drill, fire_bj]

    def search(**choices: str) -> list[str]:
        searched(page, lambda: page.click("#clear"))
        expect(page.locator("#rows tr.row")).to_have_count(3)
        for control, value in choices.items():
            if control.startswith("reported"):
                page.fill(f"#{control}", value)
            else:
                page.select_option(f"#{control}", value)
        searched(page, lambda: page.click("#search"))
        return shown_ids(page)

    assert search(unit="SH") == [complaint_sh]
    assert search(type="emergency") == [robbery_drill, fire_bj]
    assert search(type="emergency", kind="robbery") == [robbery_drill]
    assert search(level="blue") == [complaint_sh]
    assert search(exercise="true") == [robbery_drill]
    expect(page.locator(f'tr[data-id="{robbery_drill}"] .mark.exercise')).to_have_text("演练 EXERCISE")
    assert search(exercise="false") == [complaint_sh, fire_bj]
    # Days in the bank's zone, "to" including its day.
    assert search(reported_from="2026-11-03", reported_to="2026-11-03") == [robbery_drill]
    assert search(reported_to="2026-11-02") == [fire_bj]


def test_more_pages_through_by_the_cursor_showing_each_incident_once(tab: Page, bank: Bank) -> None:
    page = tab
    reported = [bank.complaint("BJ-HD-01", f"第{n}起", minutes=n) for n in range(5)]
    bank.listed()
    sign_in(page, bank, bank.office, fragment="#limit=2")
    assert shown_ids(page) == reported[:2:-1]  # newest first: the 5th and the 4th
    expect(page.locator("#found")).to_have_text("已显示 2 条，还有更多")

    newer = bank.complaint("BJ-HD-01", "翻页时新上报", minutes=10)  # arrives between pages
    bank.listed()
    page.click("#more")
    expect(page.locator("#rows tr.row")).to_have_count(4)
    page.click("#more")
    expect(page.locator("#rows tr.row")).to_have_count(5)
    expect(page.locator("#more")).to_be_hidden()
    expect(page.locator("#found")).to_have_text("共 5 条")
    assert shown_ids(page) == reported[::-1]  # each once, in order, the newer one not slipped in

    searched(page, lambda: page.click("#search"))  # a new search from the top sees it
    expect(page.locator("#rows tr.row").first).to_have_attribute("data-id", newer)


def test_a_branch_finds_only_its_own_outlets_incidents(tab: Page, bank: Bank) -> None:
    page = tab
    own = bank.complaint("BJ-HD-01", "本网点投诉", minutes=0)
    bank.close(own, minutes=20)
    bank.complaint("BJ-HD-02", "邻近网点投诉", minutes=1)
    bank.emergency("SH-PD-01", "fire", minutes=2)
    bank.listed()
    sign_in(page, bank, bank.branch)
    assert shown_ids(page) == [own]
    expect(page.locator('#unit option[value="SH"]')).to_have_count(0)  # the unit filter offers its scope only
    page.fill("#q", "投诉")
    searched(page, lambda: page.click("#search"))
    expect(page.locator("#found")).to_have_text("共 1 条")
    assert shown_ids(page) == [own]

    # A unit beside its own narrows to nothing, never widens.
    searched(page, lambda: page.goto(f"{bank.url}/find#unit=BJ-HD-02"))
    expect(page.locator("#none")).to_be_visible()
    expect(page.locator("#rows tr.row")).to_have_count(0)


def test_a_refused_parameter_is_explained_in_both_languages(tab: Page, bank: Bank) -> None:
    page = tab
    bank.complaint("BJ-HD-01", "排队太久")
    bank.listed()
    sign_in(page, bank, bank.office, fragment="#level=purple")  # a link edited by hand
    error = page.locator("#find-error")
    expect(error).to_contain_text("查找条件有误：参数“level”（级别）不被接受")
    expect(error).to_contain_text("The search was refused: the parameter “level” (Level) is not accepted")
    expect(error).to_contain_text("Input should be 'blue'")
    expect(page.locator("#level")).to_have_value("purple")  # the form shows what was sent
    expect(page.locator("#rows tr.row")).to_have_count(0)

    page.select_option("#level", "")
    page.fill("#reported_from", "0001-01-01")  # a day the server cannot place in time
    searched(page, lambda: page.click("#search"))
    expect(error).to_contain_text("参数“reported_from”（上报日期自）不被接受")
    expect(error).to_contain_text("the parameter “reported_from” (Reported from)")

    page.fill("#reported_from", "")
    searched(page, lambda: page.click("#search"))
    expect(error).to_be_hidden()
    expect(page.locator("#rows tr.row")).to_have_count(1)


def test_the_vocabulary_labels_every_kind_and_gives_the_bank_s_zone(bank: Bank) -> None:
    answer = httpx.get(f"{bank.url}/api/v1/vocabulary", headers={"Authorization": f"Bearer {bank.branch}"})
    assert answer.status_code == 200, answer.text
    words = answer.json()
    assert words["time_zone"] == "Asia/Shanghai"
    kinds = {entry["code"]: [k["code"] for k in entry["kinds"]] for entry in words["types"]}
    assert "service_quality" in kinds["complaint"]
    assert "fire" in kinds["emergency"]
    assert {"code": "fire", "zh": "火灾", "en": "Fire"} in next(
        e for e in words["types"] if e["code"] == "emergency"
    )["kinds"]
    assert [level["code"] for level in words["levels"]] == ["blue", "yellow", "orange", "red"]
    # Words hold no data: the same for everyone, a page may read them before signing in.
    assert httpx.get(f"{bank.url}/api/v1/vocabulary").json() == words
