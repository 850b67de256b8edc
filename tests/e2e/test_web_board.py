"""The office's live web board in headless Chromium, against the real server, its API and its feed."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

import httpx
import pytest
from websockets.sync.client import connect

from application.incident_desk import IncidentDesk
from application.store.database_url import store_env
from domain.values import Role
from interfaces.boards.health import Backoff
from interfaces.boards.leader import LeaderLock
from interfaces.boards.runner import BoardRunner
from interfaces.boards.wiring import make_boards
from interfaces.feed.limits import FeedLimits
from interfaces.settings import Settings
from interfaces.sql_engine import engine_for
from interfaces.wiring import token_registry
from tests.e2e.server import free_port, issue_token, running_server
from tests.failing_boards import YEAR_ONE, RefusingBoard, record_unprojectable_report

pytestmark = pytest.mark.browser


def _unavailable(reason: str) -> NoReturn:
    # CI sets INCIDENT_REQUIRE_BROWSER: there a missing browser is a failure, not a skip.
    if os.environ.get("INCIDENT_REQUIRE_BROWSER", "") not in ("", "0"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason, allow_module_level=True)


try:
    from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect, sync_playwright
except ImportError:  # pragma: no cover - the dev extras install it
    _unavailable("playwright is not installed (pip install -e '.[dev]')")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LIVE_MS = 3000  # a change must reach the page without a reload well within this
RECONNECT_MS = 20000  # backoff after a server restart can reach several seconds
RED, ORANGE, YELLOW, BLUE = "rgb(198, 40, 40)", "rgb(245, 124, 0)", "rgb(253, 216, 53)", "rgb(21, 101, 192)"


@dataclass
class Office:
    """The emergency office's side of the API, for posting what the board should then show."""

    settings: Settings
    url: str
    token: str

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = httpx.post(
            f"{self.url}{path}", json=body, headers={"Authorization": f"Bearer {self.token}"}, timeout=10
        )
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer

    def emergency(
        self, outlet: str = "BJ-HD-01", kind: str = "fire", level: str = "yellow", exercise: bool = False
    ) -> str:
        body = {"outlet": outlet, "kind": kind, "level": level, "summary": "配电箱冒烟", "exercise": exercise}
        return str(self._post("/api/v1/emergencies", body)["incident_id"])

    def complaint(self, outlet: str = "BJ-HD-02") -> str:
        body = {
            "outlet": outlet,
            "channel": "walk_in",
            "category": "service_quality",
            "summary": "柜员态度差",
        }
        return str(self._post("/api/v1/complaints", body)["incident_id"])

    def old_complaint(self, outlet: str, days: int) -> str:
        """A complaint received `days` ago (a branch syncing late): past its 15-day limit if days > 15."""
        received = (datetime.now(UTC) - timedelta(days=days)).isoformat()
        body = {
            "outlet": outlet,
            "channel": "walk_in",
            "category": "service_quality",
            "summary": "柜员态度差",
            "occurred_at": received,
        }
        return str(self._post("/api/v1/complaints", body)["incident_id"])

    def change_level(self, incident_id: str, level: str) -> None:
        self._post(f"/api/v1/emergencies/{incident_id}/change_level", {"level": level, "reason": "火势蔓延"})

    def complete_action(self, incident_id: str, action: str) -> None:
        self._post(f"/api/v1/emergencies/{incident_id}/complete_playbook_action", {"action": action})


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/board.db")
    with running_server(settings) as url:
        yield Office(settings, url, issue_token(settings, Role.OFFICE, "HQ", "王主任"))


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    opened = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    yield opened
    opened.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    assert errors == [], f"the page raised: {errors}"


def sign_in(page: Page, office: Office) -> None:
    page.goto(office.url)
    page.fill("#token", office.token)
    page.click("#sign-in-form button[type=submit]")
    expect(page.locator("#board")).to_be_visible()
    expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=LIVE_MS)


def row(page: Page, incident_id: str) -> Locator:
    return page.locator(f'tr[data-id="{incident_id}"]')


def mark_page(page: Page) -> None:
    """Leave a mark in the page's JS state: a reload would wipe it."""
    page.evaluate("() => { window.__notReloaded = true; }")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("() => window.__notReloaded === true")


def test_signing_in_keeps_the_token_in_the_tab_only_and_signing_out_forgets_it(
    page: Page, office: Office
) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(office.url)
    expect(page.locator("h1")).to_contain_text("网点应急指挥")  # zh-CN browser: Chinese by default
    page.fill("#token", "inc_nobody_wrong")
    page.click("#sign-in-form button[type=submit]")
    expect(page.locator("#sign-in-error")).to_contain_text("令牌无效")

    sign_in(page, office)
    assert page.evaluate("() => sessionStorage.getItem('incident.token')") == office.token
    assert office.token not in page.url
    assert office.token not in page.evaluate("() => JSON.stringify(localStorage)")
    assert all(office.token not in url for url in requests)
    assert {urlsplit(url).netloc for url in requests} == {urlsplit(office.url).netloc}  # no CDN, no fonts

    page.click("#sign-out")
    expect(page.locator("#sign-in")).to_be_visible()
    assert page.evaluate("() => sessionStorage.getItem('incident.token')") is None
    page.reload()
    expect(page.locator("#sign-in")).to_be_visible()


def test_a_new_emergency_appears_without_a_reload_and_turns_red_on_escalation(
    page: Page, office: Office
) -> None:
    sign_in(page, office)
    mark_page(page)

    incident = office.emergency(outlet="BJ-HD-01", level="yellow")
    badge = row(page, incident).locator(".level")
    expect(badge).to_have_text("黄色", timeout=LIVE_MS)
    expect(badge).to_have_css("background-color", YELLOW)
    expect(page.locator('.count[data-level="yellow"] .count-value')).to_have_text("1")
    expect(page.locator('.tile[data-unit="BJ-HD-01"]')).to_have_class(re.compile(r"\blv-yellow\b"))

    office.change_level(incident, "red")
    expect(badge).to_have_text("红色", timeout=LIVE_MS)
    expect(badge).to_have_css("background-color", RED)
    expect(page.locator('.count[data-level="red"] .count-value')).to_have_text("1")
    expect(page.locator('.count[data-level="yellow"] .count-value')).to_have_text("0")
    expect(page.locator('.tile[data-unit="BJ-HD-01"]')).to_have_class(re.compile(r"\blv-red\b"))
    expect(page.locator('.group-head:has-text("北京分行") .level')).to_have_text("红色")
    assert_not_reloaded(page)


def test_rows_are_sorted_worst_level_first_and_an_exercise_is_marked_everywhere(
    page: Page, office: Office, tmp_path: Path
) -> None:
    complaint = office.complaint(outlet="BJ-HD-02")
    drill = office.emergency(outlet="SH-PD-03", kind="robbery", level="orange", exercise=True)
    real = office.emergency(outlet="GD-TH-01", kind="fire", level="red")
    sign_in(page, office)

    ids = page.locator("tr.row").evaluate_all("rows => rows.map(r => r.dataset.id)")
    assert ids == [real, drill, complaint]
    expect(row(page, drill).locator(".mark.exercise")).to_have_text("演练 EXERCISE")
    expect(row(page, real).locator(".mark.exercise")).to_have_count(0)
    expect(row(page, drill).locator(".level")).to_have_css("background-color", ORANGE)
    expect(row(page, complaint).locator(".level")).to_have_css("background-color", BLUE)
    drill_tile = page.locator('.tile[data-unit="SH-PD-03"]')
    expect(drill_tile.locator(".mark.exercise")).to_be_visible()  # the wall says it is a drill too
    expect(drill_tile).to_have_class(re.compile(r"\bdrill-only\b"))
    expect(page.locator('.tile[data-unit="GD-TH-01"] .mark.exercise')).to_have_count(0)
    # The level tiles count real incidents only: the orange drill is counted on a tile of its own.
    expect(page.locator('.count[data-level="orange"] .count-value')).to_have_text("0")
    expect(page.locator('.count[data-level="red"] .count-value')).to_have_text("1")
    expect(page.locator('.count[data-level="exercise"] .count-value')).to_have_text("1")

    row(page, drill).click()
    expect(page.locator("#detail .exercise-banner")).to_contain_text("演练 EXERCISE")
    expect(page.locator("#detail .exercise-banner")).to_contain_text("这是演练")
    page.screenshot(path=str(tmp_path / "exercise-detail.png"))
    page.keyboard.press("Escape")
    expect(page.locator("#detail")).not_to_be_visible()
    page.screenshot(path=str(tmp_path / "board.png"), full_page=True)


def test_an_overdue_complaint_is_unmistakable_and_can_be_singled_out(page: Page, office: Office) -> None:
    # Older than the overdue one, and still in time: its deadline was extended.
    extended = office.old_complaint(outlet="BJ-HD-04", days=25)
    office._post(f"/api/v1/complaints/{extended}/extend_deadline", {"reason": "复杂案件 complex case"})
    overdue = office.old_complaint(outlet="BJ-HD-02", days=20)
    in_time = office.old_complaint(outlet="BJ-HD-03", days=2)
    office.emergency(outlet="BJ-HD-01", level="red")
    sign_in(page, office)

    # Within its level the overdue one comes first, before older incidents still in time.
    blue = page.locator('tr.row[data-level="blue"]').evaluate_all("rows => rows.map(r => r.dataset.id)")
    assert blue == [overdue, extended, in_time]
    expect(row(page, overdue).locator(".summary")).to_have_text("柜员态度差")  # what it is about

    expect(row(page, overdue)).to_have_class(re.compile(r"\bis-overdue\b"))
    expect(row(page, overdue).locator(".mark.overdue")).to_have_text("逾期 OVERDUE")
    expect(row(page, overdue)).to_contain_text("已逾期 5 天")
    expect(row(page, in_time).locator(".mark.overdue")).to_have_count(0)
    expect(page.locator('.count[data-level="overdue"] .count-value')).to_have_text("1")

    page.click('.count[data-level="overdue"]')
    expect(page.locator("tr.row")).to_have_count(1)
    row(page, overdue).click()
    expect(page.locator("#detail .overdue-banner")).to_contain_text("逾期 OVERDUE")


def test_the_detail_view_shows_the_timeline_steps_and_open_actions_and_follows_new_events(
    page: Page, office: Office
) -> None:
    incident = office.emergency(outlet="BJ-HD-01", kind="fire", level="yellow")
    office.change_level(incident, "orange")
    sign_in(page, office)

    row(page, incident).focus()
    page.keyboard.press("Enter")  # rows work from the keyboard
    detail = page.locator("#detail")
    expect(detail).to_be_visible()
    expect(detail.locator(".timeline li")).to_have_count(2)
    expect(detail.locator(".timeline li").first).to_contain_text("调整预警级别")
    expect(detail.locator(".timeline li").first).to_contain_text("火势蔓延")
    expect(detail.locator(".next-step")).to_contain_text("组织人员实施灭火自救")
    expect(detail.locator(".actions.open li")).to_have_count(9)
    expect(detail.locator('.actions.open li[data-code="call_119"]')).to_be_visible()

    office.complete_action(incident, "call_119")
    expect(detail.locator(".timeline li")).to_have_count(3, timeout=LIVE_MS)
    expect(detail.locator(".timeline li").first).to_contain_text("完成预案动作")
    expect(detail.locator(".actions.open li")).to_have_count(8)
    expect(detail.locator('.actions.done li[data-code="call_119"]')).to_be_visible()


def test_the_detail_view_shows_a_correction_beside_what_it_corrects_and_marks_late_entries(
    page: Page, office: Office
) -> None:
    incident = office.old_complaint(outlet="BJ-HD-02", days=2)  # entered two days after it happened
    office._post(f"/api/v1/complaints/{incident}/add_note", {"text": "客户18点离开"})
    correction = {"corrects_version": 2, "reason": "笔误", "correction": "客户19点离开"}
    office._post(f"/api/v1/complaints/{incident}/correct_entry", correction)
    sign_in(page, office)

    row(page, incident).click()
    entries = page.locator("#detail .timeline li")
    expect(entries).to_have_count(3)
    expect(entries.locator(".mark.late")).to_have_count(1)
    expect(page.locator('#detail li[data-version="1"] .mark.late')).to_have_text("补录 LATE")
    expect(page.locator('#detail li[data-version="2"] .correction')).to_have_text(
        "已于 v3 更正：客户19点离开（笔误）"
    )
    expect(page.locator('#detail li[data-version="3"] .corrects')).to_contain_text("更正 v2")


def test_the_language_follows_the_browser_switches_on_demand_and_is_remembered(
    browser: Browser, office: Office
) -> None:
    context = browser.new_context(locale="en-US")
    try:
        page = context.new_page()
        incident = office.emergency(outlet="BJ-HD-01", kind="fire", level="red")
        sign_in(page, office)
        expect(page.locator("h1")).to_contain_text("Incident command")
        expect(row(page, incident).locator(".level")).to_have_text("Red")
        expect(row(page, incident)).to_contain_text("Fire")
        expect(row(page, incident)).to_contain_text("Zhongguancun Main Outlet")
        expect(page.locator("#conn")).to_contain_text("Connected")

        page.click("#lang")
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        expect(row(page, incident).locator(".level")).to_have_text("红色")
        expect(row(page, incident)).to_contain_text("火灾")
        expect(row(page, incident)).to_contain_text("中关村营业部")
        expect(page.locator("#conn")).to_contain_text("已连接")

        page.reload()  # the choice outlives the page; the token outlives a reload of the tab
        expect(row(page, incident).locator(".level")).to_have_text("红色")
        expect(page.locator("h1")).to_contain_text("网点应急指挥")
    finally:
        context.close()


def test_filters_narrow_the_rows_and_the_wall_filters_by_unit(page: Page, office: Office) -> None:
    beijing = office.emergency(outlet="BJ-HD-01", level="red")
    complaint = office.complaint(outlet="BJ-HD-02")
    shanghai = office.emergency(outlet="SH-PD-01", kind="robbery", level="orange")
    sign_in(page, office)
    expect(page.locator("tr.row")).to_have_count(3)

    page.select_option("#f-type", "complaint")
    expect(page.locator("tr.row")).to_have_count(1)
    expect(row(page, complaint)).to_be_visible()
    page.click("#f-clear")
    expect(page.locator("tr.row")).to_have_count(3)

    page.click('.count[data-level="orange"]')
    expect(page.locator("tr.row")).to_have_count(1)
    expect(row(page, shanghai)).to_be_visible()
    expect(page.locator('.count[data-level="red"] .count-value')).to_have_text("1")  # counts stay whole
    page.click('.count[data-level="orange"]')

    page.select_option("#f-unit", "BJ")  # a branch: every outlet under it
    expect(page.locator("tr.row")).to_have_count(2)
    expect(page.locator('.count[data-level="orange"] .count-value')).to_have_text("0")
    page.click('.tile[data-unit="BJ-HD-01"]')
    expect(page.locator("tr.row")).to_have_count(1)
    expect(row(page, beijing)).to_be_visible()
    expect(page.locator("#f-unit")).to_have_value("BJ-HD-01")


def test_events_posted_while_the_network_is_down_arrive_after_reconnecting_with_none_missed(
    page: Page, context: BrowserContext, office: Office, tmp_path: Path
) -> None:
    first = office.emergency(outlet="BJ-HD-01", level="yellow")
    sign_in(page, office)
    mark_page(page)

    context.set_offline(True)
    expect(page.locator("#conn")).to_have_attribute("data-state", re.compile("offline|reconnecting"))
    expect(page.locator("#stale")).to_be_visible()
    missed = [
        office.emergency(outlet="SH-PD-01", kind="robbery", level="red"),
        office.complaint(outlet="BJ-HD-02"),
    ]
    office.change_level(first, "orange")
    page.screenshot(path=str(tmp_path / "offline.png"))
    expect(page.locator("tr.row")).to_have_count(1)  # nothing can arrive while down

    context.set_offline(False)
    expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=RECONNECT_MS)
    expect(page.locator("#catch-up")).to_contain_text("重连后补收 3 条事件", timeout=LIVE_MS)
    expect(page.locator("#catch-up li")).to_have_count(3)
    expect(page.locator("tr.row")).to_have_count(3)
    for incident in missed:
        expect(row(page, incident)).to_be_visible()
    expect(row(page, first).locator(".level")).to_have_text("橙色")
    expect(page.locator("#stale")).to_be_hidden()
    page.screenshot(path=str(tmp_path / "reconnected.png"))

    page.click("#catch-up-close")
    expect(page.locator("#catch-up")).to_be_hidden()
    late = office.emergency(outlet="GD-TH-02", kind="customer_surge", level="blue")  # and live again
    expect(row(page, late)).to_be_visible(timeout=LIVE_MS)
    assert_not_reloaded(page)


def test_the_board_resumes_from_its_last_position_when_the_server_restarts(
    page: Page, tmp_path: Path
) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/restart.db")
    port = free_port()
    with running_server(settings, port=port) as url:
        office = Office(settings, url, issue_token(settings, Role.OFFICE, "HQ", "王主任"))
        before = office.emergency(outlet="BJ-HD-01", level="yellow")
        sign_in(page, office)
        expect(row(page, before)).to_be_visible()
        mark_page(page)
    expect(page.locator("#conn")).not_to_have_attribute("data-state", "live", timeout=RECONNECT_MS)
    with running_server(settings, port=port):
        after = [office.emergency(outlet="SH-PD-01", kind="robbery", level="red"), office.complaint()]
        expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=RECONNECT_MS)
        expect(page.locator("tr.row")).to_have_count(3, timeout=LIVE_MS)
        for incident in after:
            expect(row(page, incident)).to_be_visible()
        assert_not_reloaded(page)


@pytest.fixture
def strict_office(tmp_path: Path) -> Iterator[Office]:
    """One feed per token, and revocations noticed within half a second."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/strict.db", feed=FeedLimits(per_token=1, token_check_seconds=0.5)
    )
    with running_server(settings) as url:
        yield Office(settings, url, issue_token(settings, Role.OFFICE, "HQ", "王主任"))


def test_a_board_refused_for_too_many_feeds_says_so_and_waits_for_the_user(
    page: Page, strict_office: Office
) -> None:
    attempts: list[str] = []
    page.on("websocket", lambda ws: attempts.append(ws.url))
    feed = strict_office.url.replace("http://", "ws://") + "/api/v1/feed"
    with connect(feed, additional_headers={"Authorization": f"Bearer {strict_office.token}"}) as held:
        held.recv(timeout=10)  # this token's one feed, open elsewhere
        page.goto(strict_office.url)
        page.fill("#token", strict_office.token)
        page.click("#sign-in-form button[type=submit]")
        expect(page.locator("#conn")).to_have_attribute("data-state", "refused", timeout=LIVE_MS)
        expect(page.locator("#conn-text")).to_contain_text("实时推送连接已达上限")
        expect(page.locator("#conn-reconnect")).to_have_text("重新连接")
        page.click("#lang")
        expect(page.locator("#conn-text")).to_contain_text("Too many live feeds are open with this token")
        page.wait_for_timeout(3000)  # a reconnect loop would have tried again several times by now
        assert len(attempts) == 1
    page.click("#conn-reconnect")  # the other feed is closed: the user's reconnect now succeeds
    expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=LIVE_MS)
    assert len(attempts) == 2


def test_a_board_whose_token_is_revoked_signs_out_and_says_why(page: Page, strict_office: Office) -> None:
    sign_in(page, strict_office)
    registry = token_registry(strict_office.settings)
    record = next(r for r in registry.records() if r.name == "王主任")
    registry.revoke(record.id, now=datetime.now(UTC))
    expect(page.locator("#sign-in")).to_be_visible(timeout=RECONNECT_MS)
    expect(page.locator("#sign-in-error")).to_have_text(
        "此令牌已被吊销，实时推送已断开。请使用新的令牌登录。"
    )
    expect(page.locator("#board")).to_be_hidden()


STALE_MS = 15000  # the runner's next attempt, then the page's next look (every 5 s while stale)


def test_the_board_says_in_both_languages_that_it_is_stale_when_the_boards_cannot_take_an_event(
    page: Page, tmp_path: Path
) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/stale.db", run_policies=False)
    with running_server(settings) as url:
        office = Office(settings, url, issue_token(settings, Role.OFFICE, "HQ", "王主任"))
        before = office.emergency(outlet="BJ-HD-01", level="yellow")
        sign_in(page, office)
        expect(row(page, before)).to_be_visible()
        expect(page.locator("#boards-stale")).to_be_hidden()

        writer = IncidentDesk({**store_env(settings.database_url), "CREATE_TABLE": "n"})
        try:
            poison = record_unprojectable_report(writer, occurred_at=YEAR_ONE)
        finally:
            writer.close()
        red_fire = office.emergency(outlet="SH-PD-01", kind="robbery", level="red")

        banner = page.locator("#boards-stale")
        expect(banner).to_be_visible(timeout=STALE_MS)
        expect(banner).to_contain_text("看板自")
        expect(banner).to_contain_text(f"日志位置 {poison} 的事件无法处理")
        expect(banner).to_contain_text("OverflowError")
        expect(row(page, before)).to_be_visible()  # what the boards hold is still shown
        expect(row(page, red_fire)).to_have_count(0)
        page.screenshot(path=str(tmp_path / "boards-stale-zh.png"))

        page.click("#lang")
        expect(banner).to_contain_text("Boards stale since")
        expect(banner).to_contain_text(f"the event at log position {poison} cannot be processed")
        page.screenshot(path=str(tmp_path / "boards-stale-en.png"))


def test_the_stale_banner_goes_away_by_itself_when_the_boards_recover(page: Page, tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/recover.db", run_boards=False, run_policies=False)
    desk = IncidentDesk(store_env(settings.database_url))
    engine = engine_for(settings.database_url)
    refusing = RefusingBoard()
    worker = BoardRunner(
        desk,
        engine,
        [*make_boards(desk), refusing],
        LeaderLock(engine, settings.database_url),
        backoff=Backoff(0.05, 0.4),
    )
    worker.start()
    try:
        with running_server(settings) as url:
            office = Office(settings, url, issue_token(settings, Role.OFFICE, "HQ", "王主任"))
            first = office.emergency(outlet="BJ-HD-01", level="yellow")
            sign_in(page, office)
            expect(row(page, first)).to_be_visible()
            mark_page(page)

            refusing.refuse_from = int(desk.recorder.max_notification_id() or 0) + 1
            red_fire = office.emergency(outlet="SH-PD-01", kind="robbery", level="red")
            banner = page.locator("#boards-stale")
            expect(banner).to_be_visible(timeout=STALE_MS)
            expect(banner).to_contain_text("refusing board cannot show the event")
            expect(row(page, red_fire)).to_have_count(0)

            refusing.refuse_from = None  # fixed: nobody touches the page
            expect(banner).to_be_hidden(timeout=STALE_MS)
            expect(row(page, red_fire).locator(".level")).to_have_text("红色")
            assert_not_reloaded(page)
    finally:
        worker.stop()
        desk.close()
        engine.dispose()
