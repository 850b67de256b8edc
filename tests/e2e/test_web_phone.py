"""The web pages on a phone (390×844, touch) in headless Chromium: nothing wider than the screen, the
detail dialog whole inside it, every control on the screen and tappable; and at 1440×900 as before."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_web_board import LIVE_MS, Office, browser, office, row, sign_in  # noqa: F401

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
MIN_TARGET_PX = 24  # WCAG 2.2 target size (minimum): a finger can hit it without hitting its neighbour

# Every visible control under `scope`: inside the screen's width, not covered by anything at its centre
# (scrolled into view first, as a person would scroll to it), and big enough to tap.
REACHABLE = """scope => {
  const root = document.querySelector(scope);
  const selector = "a[href], button, select, input, textarea, [tabindex]:not([tabindex='-1'])";
  const controls = [...root.querySelectorAll(selector)].filter((el) => el.checkVisibility({ visibilityProperty: true }));
  const problems = [];
  for (const el of controls) {
    el.scrollIntoView({ block: "center", inline: "nearest" });
    const r = el.getBoundingClientRect();
    const name = `${el.tagName.toLowerCase()}#${el.id}.${el.className} "${el.textContent.trim().slice(0, 30)}"`;
    if (r.left < 0 || r.right > innerWidth) problems.push(`${name}: x ${r.left}..${r.right} of ${innerWidth}`);
    if (r.width < MIN || r.height < MIN) problems.push(`${name}: ${r.width}×${r.height} px`);
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    if (!hit || !(el === hit || el.contains(hit) || hit.contains(el))) problems.push(`${name}: covered by ${hit?.tagName}`);
  }
  window.scrollTo(0, 0);
  return { problems, count: controls.length };
}""".replace("MIN", str(MIN_TARGET_PX))
WIDTHS = "() => ({ inner: innerWidth, scroll: document.scrollingElement.scrollWidth })"
DIALOG_BOX = """() => {
  const d = document.getElementById("detail");
  const r = d.getBoundingClientRect();
  return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, vw: innerWidth, vh: innerHeight,
           scroll: d.scrollWidth, client: d.clientWidth };
}"""


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:  # noqa: F811
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"the page raised: {errors}"


def assert_fits_the_screen(page: Page, scope: str = "body") -> None:
    """No horizontal scroll, at the phone's own width (a mobile browser zooms out a page that is wider)."""
    widths = page.evaluate(WIDTHS)
    assert widths == {"inner": PHONE["width"], "scroll": PHONE["width"]}, widths
    reachable: dict[str, Any] = page.evaluate(REACHABLE, scope)
    assert reachable["count"] > 0
    assert reachable["problems"] == [], "\n".join(reachable["problems"])


def assert_dialog_inside_the_screen(page: Page) -> None:
    box = page.evaluate(DIALOG_BOX)
    assert box["left"] >= 0, box
    assert box["right"] <= box["vw"], box
    assert box["top"] >= 0, box
    assert box["bottom"] <= box["vh"], box
    assert box["scroll"] <= box["client"], f"the dialog scrolls sideways: {box}"


def busy_bank(office: Office) -> dict[str, str]:  # noqa: F811
    """Incidents of every look the board has: levels, a drill, an overdue complaint, long words."""
    fire = office.emergency(outlet="BJ-HD-01", kind="fire", level="red")
    office.change_level(fire, "orange")
    office.complete_action(fire, "call_119")
    long_word = "https://intranet.example/incidents/" + "x" * 120  # no place to break it
    note = {"text": f"客户留下的链接 {long_word}，请核实"}
    office._post(f"/api/v1/emergencies/{fire}/add_note", note)
    return {
        "fire": fire,
        "drill": office.emergency(outlet="SH-PD-03", kind="robbery", level="orange", exercise=True),
        "overdue": office.old_complaint(outlet="BJ-HD-02", days=20),
        "surge": office.emergency(outlet="GD-TH-01", kind="customer_surge", level="blue"),
    }


def test_the_board_and_its_wall_fit_a_phone_and_every_control_is_reachable(
    phone: Page,
    office: Office,  # noqa: F811
) -> None:
    incidents = busy_bank(office)
    phone.goto(office.url)
    expect(phone.locator("#sign-in")).to_be_visible()
    assert_fits_the_screen(phone, "#sign-in")
    sign_in(phone, office)
    expect(phone.locator("#rows tr.row")).to_have_count(4)
    assert_fits_the_screen(phone)
    # The rows are cards: each value says what it is, as the table's heading did.
    expect(row(phone, incidents["overdue"]).locator("td").nth(5)).to_have_attribute("data-label", "期限")

    phone.tap('.tile[data-unit="BJ-HD-01"]')  # the wall filters by a tap
    expect(phone.locator("#rows tr.row")).to_have_count(1)
    expect(phone.locator("#f-unit")).to_have_value("BJ-HD-01")
    phone.tap('.group-head:has-text("上海分行")')
    expect(phone.locator("#rows tr.row")).to_have_count(1)
    expect(row(phone, incidents["drill"])).to_be_visible()
    phone.tap("#f-clear")
    phone.tap('.count[data-level="overdue"]')
    expect(phone.locator("#rows tr.row")).to_have_count(1)
    assert_fits_the_screen(phone)
    phone.tap("#lang")  # English words are longer
    expect(phone.locator("h1")).to_contain_text("Incident command")
    phone.tap('.count[data-level="overdue"]')
    expect(phone.locator("#rows tr.row")).to_have_count(4)
    assert_fits_the_screen(phone)


def test_the_detail_dialog_opens_whole_inside_a_phone_screen_and_closes_by_a_tap(
    phone: Page,
    office: Office,  # noqa: F811
) -> None:
    incidents = busy_bank(office)
    sign_in(phone, office)
    row(phone, incidents["fire"]).tap()
    detail = phone.locator("#detail")
    expect(detail.locator(".timeline li")).to_have_count(4)
    assert_dialog_inside_the_screen(phone)
    assert_fits_the_screen(phone, "#detail")

    # Scrolled to its end, the dialog still offers its close button.
    detail.evaluate("d => { d.scrollTop = d.scrollHeight; }")
    expect(phone.locator("#detail-close")).to_be_in_viewport()
    assert_dialog_inside_the_screen(phone)
    phone.tap("#detail-close")
    expect(detail).not_to_be_visible()

    row(phone, incidents["overdue"]).tap()
    expect(detail.locator(".overdue-banner")).to_be_visible()
    assert_dialog_inside_the_screen(phone)


def test_the_find_page_fits_a_phone_from_sign_in_to_the_detail_view(
    phone: Page,
    office: Office,  # noqa: F811
) -> None:
    incidents = busy_bank(office)
    phone.goto(f"{office.url}/find#limit=2")
    expect(phone.locator("#sign-in")).to_be_visible()
    assert_fits_the_screen(phone, "#sign-in")
    phone.fill("#token", office.token)
    phone.tap("#sign-in-form button[type=submit]")
    expect(phone.locator("#rows tr.row")).to_have_count(2)
    assert_fits_the_screen(phone)

    phone.tap("#more")
    expect(phone.locator("#rows tr.row")).to_have_count(4)
    assert_fits_the_screen(phone)
    row(phone, incidents["fire"]).tap()
    expect(phone.locator("#detail .timeline li")).to_have_count(4)
    assert_dialog_inside_the_screen(phone)
    assert_fits_the_screen(phone, "#detail")
    phone.tap("#detail-close")
    phone.tap("#lang")
    expect(phone.locator("#search")).to_have_text("Search")
    assert_fits_the_screen(phone)

    phone.goto(f"{office.url}/find#reported_from=2026-02-30&kind=no_such_kind_{'x' * 60}")
    expect(phone.locator("#find-error")).to_contain_text("is not accepted")
    assert_fits_the_screen(phone)


def test_the_thresholds_page_fits_a_phone_in_both_languages(phone: Page, office: Office) -> None:  # noqa: F811
    phone.goto(f"{office.url}/thresholds")
    phone.fill("#token", office.token)
    phone.tap("#sign-in-form button[type=submit]")
    expect(phone.locator("#rows tr").first).to_be_visible()
    assert_fits_the_screen(phone)
    phone.tap("#lang")
    expect(phone.locator("h1")).to_contain_text("Thresholds")
    assert_fits_the_screen(phone)


def test_at_1440_the_board_keeps_its_table_with_the_wall_beside_it(browser: Browser, office: Office) -> None:  # noqa: F811
    context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
    try:
        page = context.new_page()
        incidents = busy_bank(office)
        sign_in(page, office)
        expect(page.locator("#rows tr.row")).to_have_count(4, timeout=LIVE_MS)
        widths = page.evaluate(WIDTHS)
        assert widths["scroll"] <= widths["inner"], widths
        expect(page.locator("#incidents thead")).to_have_css("display", "table-header-group")
        expect(row(page, incidents["fire"])).to_have_css("display", "table-row")
        listing = page.locator("section.incidents").bounding_box()
        wall = page.locator("section.wall").bounding_box()
        assert listing is not None
        assert wall is not None
        assert wall["x"] >= listing["x"] + listing["width"], "the wall stands beside the list"
        assert wall["y"] == listing["y"]
        row(page, incidents["fire"]).click()
        box = page.evaluate(DIALOG_BOX)
        assert box["right"] - box["left"] == 900  # 60rem
        middle = page.evaluate("() => document.documentElement.clientWidth / 2")
        assert abs((box["left"] + box["right"]) / 2 - middle) <= 1  # centred
    finally:
        context.close()
