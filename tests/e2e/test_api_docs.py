"""The API's own page (/docs) works with no internet: its assets come from the app, "Authorize" takes a token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect

from domain.values import Role
from interfaces.settings import Settings
from tests.e2e.server import issue_token, running_server
from tests.e2e.test_web_board import browser, context  # noqa: F401 (the board's fixtures: one Chromium)

pytestmark = pytest.mark.browser
CDN = re.compile(r"https?://(?!127\.0\.0\.1)[^\s\"']+")


@pytest.fixture
def bank(tmp_path: Path) -> Iterator[tuple[str, str]]:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/docs.db", run_policies=False)
    with running_server(settings) as url:
        yield url, issue_token(settings, Role.OFFICE, "HQ", "王主任")


def test_docs_and_redoc_name_no_asset_outside_the_app(bank: tuple[str, str]) -> None:
    url, _ = bank
    for page in ("/docs", "/redoc"):
        html = httpx.get(f"{url}{page}").text
        assets = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert assets, f"{page} loads no script or style"
        assert all(a.startswith("/") for a in assets), f"{page} loads from outside: {assets}"
        for asset in assets:
            answer = httpx.get(f"{url}{asset}")
            assert answer.status_code == 200, asset
            assert len(answer.content) > 1000, asset
        assert CDN.findall(html) == [], f"{page} names an outside address"


def test_the_openapi_document_declares_the_bearer_scheme_and_real_examples(bank: tuple[str, str]) -> None:
    url, _ = bank
    spec = httpx.get(f"{url}/openapi.json").json()
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A token from `incident token create` (or the one `make run` prints).",
    }
    report = spec["paths"]["/api/v1/emergencies"]["post"]
    assert report["summary"] == "Report an emergency (突发事件上报)"
    assert {"bearer": []} in report["security"]
    header = next(p for p in report["parameters"] if p["name"] == "idempotency-key")
    assert header["schema"]["examples"] == ["BJ-HD-001-20261202-0007"]
    body = report["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    fields = spec["components"]["schemas"][body]["properties"]
    assert fields["command_id"]["examples"] == ["BJ-HD-001-20261202-0007"]
    assert fields["occurred_at"]["examples"] == ["2026-12-02T14:05:00+08:00"]
    # The health probes are open: they must not ask for a token in the document either.
    assert "security" not in spec["paths"]["/healthz"]["get"]


@pytest.fixture
def offline_tab(context: BrowserContext) -> Iterator[tuple[Page, list[str]]]:  # noqa: F811
    """A tab on a machine with no internet: every request off loopback fails, and is listed."""
    opened = context.new_page()
    outside: list[str] = []

    def refuse(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    opened.route("**/*", refuse)
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened, outside
    assert errors == [], f"the page raised: {errors}"


def test_docs_render_offline_and_authorize_then_try_it_out(
    offline_tab: tuple[Page, list[str]], bank: tuple[str, str]
) -> None:
    page, outside = offline_tab
    url, token = bank
    page.goto(f"{url}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Incident command", timeout=15000)
    page.click("button.authorize")
    page.fill(".auth-container input", token)
    page.click(".auth-btn-wrapper button.authorize")
    page.click("button.btn-done")
    # Try one read with the token the page now holds.
    operation = page.locator("#operations-boards-office_api_v1_boards_office_get")
    operation.locator(".opblock-summary").click()
    operation.locator("button.try-out__btn").click()
    operation.locator("button.execute").click()
    expect(operation.locator(".live-responses-table tbody .response-col_status").first).to_contain_text(
        "200", timeout=10000
    )
    assert outside == [], f"the page asked the internet for {outside}"
