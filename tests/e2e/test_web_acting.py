"""Acting from the web board's detail view, its words and times, and loud incidents, in headless Chromium."""

# The board's fixtures (browser, context, page, office) are imported from its test module and
# requested by name, which pyflakes reads as redefinitions.
# ruff: noqa: F811

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from domain.values import Role
from interfaces.settings import Settings
from tests.e2e.server import issue_token, running_server
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

SNAKE_CASE_CODE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")  # superior_office, completes_x: a code left raw


def open_detail(page: Page, incident: str) -> None:
    row(page, incident).click()
    expect(page.locator("#detail-act .act-commands")).to_be_visible(timeout=LIVE_MS)


def feed_frames(page: Page) -> list[dict[str, object]]:
    """Every message the page's WebSocket feed receives, as the page receives it."""
    frames: list[dict[str, object]] = []
    page.on(
        "websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(json.loads(payload)))
    )
    return frames


def offered(office: Office, incident: str, token: str | None = None) -> list[str]:
    answer = httpx.get(
        f"{office.url}/api/v1/incidents/{incident}/commands",
        headers={"Authorization": f"Bearer {token or office.token}"},
        timeout=10,
    )
    return [c["name"] for c in answer.json()["commands"]]


def test_the_office_raises_a_level_and_ticks_an_action_from_the_page_and_both_come_back_over_the_feed(
    context: BrowserContext, page: Page, office: Office
) -> None:
    incident = office.emergency(level="yellow")
    frames = feed_frames(page)
    sign_in(page, office)
    watcher = context.new_page()
    sign_in(watcher, office)
    open_detail(page, incident)
    buttons = page.locator("#detail-act .act-command")
    assert buttons.evaluate_all("(all) => all.map((b) => b.dataset.command)") == offered(office, incident)

    page.click('#detail-act [data-command="change_level"]')
    page.select_option("#act-level", "red")
    page.fill("#act-reason", "火势蔓延")
    page.click(".act-submit")
    confirm = page.locator(".act-confirm")
    expect(confirm).to_contain_text("调整预警级别")  # consequential: asked before anything is sent
    assert not any(f.get("event") == "LevelChanged" for f in frames)
    confirm.locator(".act-confirm-yes").click()

    expect(page.locator("#detail-title .level")).to_have_text("红色", timeout=LIVE_MS)
    expect(page.locator(".act-status")).to_contain_text("已记录", timeout=LIVE_MS)
    assert any(f.get("event") == "LevelChanged" and f.get("level") == "red" for f in frames)
    expect(row(watcher, incident).locator(".level")).to_have_text("红色", timeout=LIVE_MS)
    assert watcher.title().startswith("(1) ")  # raised to red: noticed on the other page
    assert not page.title().startswith("(")  # not on the page it was raised from, which shows it

    page.click('#detail .actions.open li[data-code="fight_fire"] .tick')
    expect(page.locator("#act-action")).to_have_value("fight_fire")
    page.click(".act-submit")  # not consequential: sent at once
    expect(page.locator('#detail .actions.done li[data-code="fight_fire"]')).to_be_visible(timeout=LIVE_MS)
    assert any(f.get("event") == "PlaybookActionDone" for f in frames)
    expect(row(watcher, incident)).to_contain_text("待办动作：8", timeout=LIVE_MS)
    history = httpx.get(
        f"{office.url}/api/v1/incidents/{incident}/history",
        headers={"Authorization": f"Bearer {office.token}"},
        timeout=10,
    ).json()["events"]
    assert [(e["event"], e["actor"]["name"]) for e in history[1:]] == [
        ("LevelChanged", "王主任"),
        ("PlaybookActionDone", "王主任"),
    ]


def test_a_conflicting_edit_from_another_client_says_so_and_shows_what_changed_keeping_the_form(
    page: Page, office: Office
) -> None:
    incident = office.emergency(level="yellow")
    sign_in(page, office)
    open_detail(page, incident)
    page.click('#detail-act [data-command="add_note"]')
    page.fill("#act-text", "现场已控制")
    expect(page.locator(".act-version")).to_have_text("针对版本 v1")

    office.change_level(incident, "orange")  # someone else, while the form is being filled in
    expect(page.locator(".act-version.moved")).to_contain_text("v2", timeout=LIVE_MS)
    page.click(".act-submit")
    conflict = page.locator(".act-conflict")
    expect(conflict).to_contain_text("别人已先处理了此事件 Someone else acted on this incident first")
    expect(conflict.locator('li[data-version="2"]')).to_contain_text("调整预警级别")
    expect(conflict.locator('li[data-version="2"]')).to_contain_text("火势蔓延")
    expect(conflict.locator('li[data-version="2"]')).to_contain_text("橙色")
    expect(page.locator("#act-text")).to_have_value("现场已控制")  # nothing typed is lost

    page.click(".act-submit")  # now for the version just shown
    expect(page.locator("#detail .timeline li").first).to_contain_text("现场已控制", timeout=LIVE_MS)


def test_a_refused_field_is_named_and_explained_in_both_languages(page: Page, office: Office) -> None:
    incident = office.emergency(level="yellow")
    sign_in(page, office)
    open_detail(page, incident)
    page.click('#detail-act [data-command="change_level"]')
    page.select_option("#act-level", "red")

    page.click(".act-submit")  # the reason left empty: said at once, nothing asked or sent
    expect(page.locator(".act-error")).to_contain_text("原因 Reason")
    expect(page.locator(".act-confirm")).to_be_hidden()

    page.fill("#act-reason", "   ")  # blank: the server refuses the field
    page.click(".act-submit")
    page.click(".act-confirm-yes")
    error = page.locator(".act-error")
    expect(error).to_contain_text("原因 Reason")
    expect(error).to_contain_text("输入有误 Invalid input")
    expect(error).to_contain_text("reason")  # the server's own words follow
    expect(page.locator("#act-reason")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#detail-title .level")).to_have_text("黄色")


def test_each_role_is_offered_exactly_what_it_may_do_now(browser: Browser, office: Office) -> None:
    incident = office.emergency(outlet="BJ-HD-01", level="yellow")
    for role, unit in ((Role.BRANCH, "BJ-HD-01"), (Role.AUDITOR, "")):
        token = issue_token(office.settings, role, unit, role.value)
        opened = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
        try:
            page = opened.new_page()
            sign_in(page, Office(office.settings, office.url, token))
            row(page, incident).click()
            expected = offered(office, incident, token)
            if expected:
                commands = page.locator("#detail-act .act-command")
                expect(commands.first).to_be_visible(timeout=LIVE_MS)
                names = commands.evaluate_all("(all) => all.map((b) => b.dataset.command)")
                assert names == expected
                assert "change_level" not in names  # the office's decision
            else:
                expect(page.locator("#detail-act")).to_contain_text("没有可执行的操作", timeout=LIVE_MS)
        finally:
            opened.close()


def test_the_detail_view_prints_no_code_in_place_of_words(page: Page, office: Office) -> None:
    incident = office.emergency(level="yellow")
    office._post(f"/api/v1/emergencies/{incident}/notify_authority", {"authority": "superior_office"})
    office._post(f"/api/v1/emergencies/{incident}/take_charge", {})
    office._post(
        f"/api/v1/emergencies/{incident}/hand_over",
        {"to": "李行长", "reason": "换班", "to_position": "branch_head"},
    )
    office.change_level(incident, "orange")
    sign_in(page, office)
    open_detail(page, incident)
    expect(page.locator("#detail .timeline li")).to_have_count(5, timeout=LIVE_MS)
    shown = page.locator("#detail-body").inner_text() + page.locator("#detail-timeline").inner_text()
    assert "上级行服务突发事件应急处理办公室" in shown
    assert "同时完成的动作" in shown  # `completes`
    assert "接收人岗位" in shown  # `to_position`
    assert SNAKE_CASE_CODE.findall(shown) == []
    page.click("#detail-close")
    page.click("#lang")
    open_detail(page, incident)
    expect(page.locator("#detail .timeline li")).to_have_count(5)
    shown = page.locator("#detail-body").inner_text() + page.locator("#detail-timeline").inner_text()
    assert "Superior office's emergency handling office" in shown
    assert SNAKE_CASE_CODE.findall(shown) == []


def test_times_show_the_date_and_the_zone_the_server_is_set_to(page: Page, tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/zone.db", calendar=ZoneInfo("America/New_York"))
    with running_server(settings) as url:
        office = Office(settings, url, issue_token(settings, Role.OFFICE, "HQ", "王主任"))
        incident = office.emergency()
        sign_in(page, office)
        opened = httpx.get(
            f"{url}/api/v1/incidents/{incident}", headers={"Authorization": f"Bearer {office.token}"}
        ).json()["opened_at"]
        open_detail(page, incident)
        local = datetime.fromisoformat(opened).astimezone(ZoneInfo("America/New_York"))
        hours = int(local.utcoffset().total_seconds() // 3600)  # type: ignore[union-attr]
        expected = f"{local.month}月{local.day}日 {local:%H:%M:%S} GMT{hours:+d}"
        expect(page.locator("#detail .facts")).to_contain_text(expected)


@pytest.fixture
def notifying(browser: Browser) -> Iterator[BrowserContext]:
    """A browser whose user has allowed notifications; each one shown is noted on the page."""
    opened = browser.new_context(
        locale="zh-CN", viewport={"width": 1400, "height": 1000}, permissions=["notifications"]
    )
    opened.add_init_script(
        "window.__shown = []; const Real = window.Notification;"
        "window.Notification = class extends Real {"
        "  constructor(title, options) { super(title, options); window.__shown.push({ title, body: options.body }); }"
        "};"
    )
    yield opened
    opened.close()


def test_a_red_or_orange_incident_is_counted_in_the_tab_title_until_seen_and_notified(
    notifying: BrowserContext, office: Office
) -> None:
    page = notifying.new_page()
    sign_in(page, office)
    base = page.title()
    quiet = office.emergency(outlet="BJ-HD-01", level="yellow")
    expect(row(page, quiet)).to_be_visible(timeout=LIVE_MS)
    assert page.title() == base  # yellow is not loud

    red = office.emergency(outlet="BJ-HD-02", level="red")
    expect(page).to_have_title(f"(1) {base}", timeout=LIVE_MS)
    office.change_level(quiet, "orange")  # raised to orange
    expect(page).to_have_title(f"(2) {base}", timeout=LIVE_MS)
    expect(page.locator("#alerts")).to_contain_text("2 起红色或橙色事件尚未查看")
    shown = page.evaluate("() => window.__shown")
    assert [s["title"].split(" · ")[0] for s in shown] == ["红色", "橙色"]

    row(page, red).click()  # seen
    expect(page).to_have_title(f"(1) {base}")
    page.click("#detail-close")
    page.click("#alerts-seen")
    expect(page).to_have_title(base)
    expect(page.locator("#alerts")).to_be_hidden()
    sound = page.locator("#sound")
    expect(sound).to_have_text("声音提示：关")  # off unless turned on
    sound.click()
    expect(sound).to_have_attribute("aria-pressed", "true")
    page.reload()  # the choice is remembered
    expect(page.locator("#sound")).to_have_text("声音提示：开", timeout=LIVE_MS)
    expect(page.locator("#notify")).to_be_hidden()  # already allowed: nothing to ask


def test_a_form_asks_with_the_right_inputs_and_reads_a_typed_time_in_the_banks_zone(
    browser: Browser, office: Office
) -> None:
    incident = office.old_complaint("BJ-HD-02", days=1)  # received yesterday: the time typed is after it
    # A browser on another zone than the bank's: what is typed is the bank's time all the same.
    with browser.new_context(locale="zh-CN", timezone_id="America/Los_Angeles") as elsewhere:
        page = elsewhere.new_page()
        sign_in(page, office)
        open_detail(page, incident)
        page.click('#detail-act [data-command="check_facts"]')
        founded = page.locator("#act-founded")
        assert founded.evaluate("(e) => e.tagName") == "SELECT"  # yes or no, never a silent unticked box
        assert founded.locator("option").evaluate_all("(all) => all.map((o) => o.value)") == [
            "",
            "true",
            "false",
        ]
        assert page.locator("#act-findings").evaluate("(e) => e.tagName") == "TEXTAREA"
        expect(page.locator("#act-occurred_at")).to_have_attribute("type", "datetime-local")
        expect(page.locator('[data-field="occurred_at"]')).to_contain_text("Asia/Shanghai")

        shanghai = ZoneInfo("Asia/Shanghai")
        typed = (datetime.now(shanghai) - timedelta(minutes=10)).replace(second=0, microsecond=0)
        founded.select_option("true")
        page.fill("#act-findings", "监控显示柜员确有不当言语")
        page.fill("#act-occurred_at", f"{typed:%Y-%m-%dT%H:%M}")
        page.click(".act-submit")
        expect(page.locator("#detail .timeline li").first).to_contain_text("核实情况", timeout=LIVE_MS)
        last = httpx.get(
            f"{office.url}/api/v1/incidents/{incident}/history",
            headers={"Authorization": f"Bearer {office.token}"},
            timeout=10,
        ).json()["events"][-1]
        assert (last["event"], last["data"]["founded"]) == ("FactsChecked", True)
        # Ten minutes ago in Shanghai, though the browser's own zone is Los Angeles.
        assert datetime.fromisoformat(last["occurred_at"]) == typed
