"""The complaint statistics as CSV: what the JSON says, in a file Excel opens right, in the caller's scope."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import httpx
import pytest

from domain.values import Role
from interfaces.settings import Settings
from tests.e2e.server import issue_token

CSV = "/api/v1/boards/complaint-stats.csv"


@pytest.fixture
def office(server: str, settings: Settings) -> Iterator[httpx.Client]:
    token = issue_token(settings, Role.OFFICE, "HQ")
    with httpx.Client(base_url=server, headers={"Authorization": f"Bearer {token}"}) as client:
        for outlet, category in [
            ("BJ-HD-01", "service_quality"),
            ("BJ-HD-01", "business_operation"),
            ("SH-PD-01", "business_operation"),
        ]:
            body = {"outlet": outlet, "channel": "walk_in", "category": category, "summary": "=1+1 排队"}
            assert client.post("/api/v1/complaints", json=body).status_code == 201
        yield client


def _table(answer: httpx.Response) -> list[list[str]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.content.startswith("\ufeff".encode())  # the BOM: Excel reads UTF-8 (Chinese) right
    return list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))


def test_the_csv_holds_what_the_json_says_with_bilingual_headers(office: httpx.Client) -> None:
    after = office.get("/readyz").json()["position"]
    table = _table(office.get(CSV, params={"group_by": "category", "after": after}))
    header, rows = table[0], table[1:]
    assert header[:3] == ["分组 Group", "受理 Received", "办结 Closed"]
    assert "15日内办结 Closed within 15 days" in header
    groups = office.get("/api/v1/boards/complaint-stats", params={"group_by": "category"}).json()["groups"]
    assert {row[0]: int(row[1]) for row in rows} == {g["group"]: g["received"] for g in groups}
    assert {row[0]: int(row[1]) for row in rows}["business_operation"] == 2


def test_the_csv_follows_the_scope_and_the_past(
    office: httpx.Client, settings: Settings, server: str
) -> None:
    after = office.get("/readyz").json()["position"]
    branch = issue_token(settings, Role.BRANCH, "SH-PD-01")
    headers = {"Authorization": f"Bearer {branch}"}
    with httpx.Client(base_url=server, headers=headers) as http:
        rows = _table(http.get(CSV, params={"group_by": "outlet", "after": after}))[1:]
        assert [row[0] for row in rows] == ["SH-PD-01"]
    past = _table(office.get(CSV, params={"as_of": "2020-01-01T00:00:00+08:00"}))[1:]
    assert sum(int(row[1]) for row in past) == 0
    admin = {"Authorization": f"Bearer {issue_token(settings, Role.ADMIN)}"}
    assert office.get(CSV, headers=admin).status_code == 403
    assert office.get(CSV, params={"group": "outlet"}).status_code == 422  # a misspelt parameter
