"""`GET /api/v1/incidents` end to end on both stores: scope, filters, closed incidents, the cursor."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from domain.values import Role
from interfaces.cli.main import cli
from interfaces.settings import Settings
from tests.e2e.server import issue_token

T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


class Bank:
    """The server as staff of each role reach it, and the incidents reported through it."""

    def __init__(self, server: str, settings: Settings) -> None:
        self.server = server
        self.tokens = {
            "office": issue_token(settings, Role.OFFICE, "HQ", "应急办"),
            "beijing": issue_token(settings, Role.OFFICE, "BJ", "北京分行"),
            "branch": issue_token(settings, Role.BRANCH, "BJ-HD-01", "大堂经理"),
            "call_centre": issue_token(settings, Role.CALL_CENTRE, "", "95566"),
            "auditor": issue_token(settings, Role.AUDITOR, "", "审计"),
            "admin": issue_token(settings, Role.ADMIN, "", "管理员"),
        }
        self.position = 0

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = httpx.post(f"{self.server}{path}", json=body, headers=self.headers("office"))
        assert answer.status_code in (200, 201), answer.text
        found: dict[str, Any] = answer.json()
        self.position = max(self.position, found["position"])
        return found

    def complaint(self, outlet: str, minutes: int, summary: str = "排队太久", **extra: Any) -> str:
        body = {
            "outlet": outlet,
            "channel": "walk_in",
            "category": "service_quality",
            "summary": summary,
            "occurred_at": (T0 + timedelta(minutes=minutes)).isoformat(),
            **extra,
        }
        return str(self.post("/api/v1/complaints", body)["incident_id"])

    def emergency(self, outlet: str, minutes: int, kind: str = "fire", **extra: Any) -> str:
        body = {
            "outlet": outlet,
            "kind": kind,
            "level": "orange",
            "summary": "营业厅冒烟 smoke",
            "occurred_at": (T0 + timedelta(minutes=minutes)).isoformat(),
            **extra,
        }
        return str(self.post("/api/v1/emergencies", body)["incident_id"])

    def close_complaint(self, incident_id: str, minutes: int) -> None:
        at = (T0 + timedelta(minutes=minutes - 1)).isoformat()
        withdrawn = {"confirmed_by": "in_person", "occurred_at": at}
        self.post(f"/api/v1/incidents/{incident_id}/commands/record_withdrawal", withdrawn)
        body = {
            "outcome": "withdrawn",
            "summary": "客户撤回",
            "occurred_at": (T0 + timedelta(minutes=minutes)).isoformat(),
        }
        self.post(f"/api/v1/incidents/{incident_id}/commands/close", body)

    def find(self, who: str = "auditor", **params: Any) -> httpx.Response:
        return httpx.get(
            f"{self.server}/api/v1/incidents",
            params={"after": self.position, **params},
            headers=self.headers(who),
        )

    def ids(self, who: str = "auditor", **params: Any) -> list[str]:
        answer = self.find(who, **params)
        assert answer.status_code == 200, answer.text
        return [row["incident_id"] for row in answer.json()["incidents"]]

    def every_page(self, who: str = "auditor", cursor: str | None = None, **params: Any) -> list[str]:
        found: list[str] = []
        while True:
            page = self.find(who, **params, **({"cursor": cursor} if cursor else {})).json()
            found += [row["incident_id"] for row in page["incidents"]]
            cursor = page["next"]
            if cursor is None:
                return found


@pytest.fixture
def bank(server: str, settings: Settings) -> Bank:
    return Bank(server, settings)


def test_a_closed_incident_is_found_newest_first_with_its_labels(bank: Bank) -> None:
    old = bank.complaint("BJ-HD-01", 0)
    fire = bank.emergency("BJ-HD-02", 5)
    new = bank.complaint("SH-PD-01", 10)
    bank.close_complaint(old, 20)

    answer = bank.find()

    assert answer.status_code == 200
    body = answer.json()
    assert [r["incident_id"] for r in body["incidents"]] == [new, fire, old]
    assert body["next"] is None
    closed = body["incidents"][2]
    assert closed["status"] == {"code": "closed", "zh": "已关闭", "en": "Closed"}
    assert datetime.fromisoformat(closed["closed_at"]) == T0 + timedelta(minutes=20)
    assert closed["kind"]["code"] == "service_quality"
    assert closed["kind"]["zh"]
    assert closed["level"]["code"] == "blue"
    assert closed["outlet_name"]["zh"]
    assert body["incidents"][1]["kind"]["code"] == "fire"
    assert bank.ids(status="closed") == [old]
    assert bank.ids(status="open") == [new, fire]
    office_board = httpx.get(f"{bank.server}/api/v1/boards/office", headers=bank.headers("auditor")).json()
    assert old not in [r["incident_id"] for r in office_board["incidents"]], (
        "the board drops it; the list not"
    )


def test_each_role_finds_only_what_it_may_read(bank: Bank) -> None:
    here = bank.complaint("BJ-HD-01", 0)
    fire_here = bank.emergency("BJ-HD-01", 1)
    beijing = bank.complaint("BJ-CY-01", 2)
    shanghai_fire = bank.emergency("SH-PD-01", 3)

    assert bank.ids("branch") == [fire_here, here]
    assert bank.ids("beijing") == [beijing, fire_here, here]
    assert bank.ids("call_centre") == [beijing, here]
    assert bank.ids("call_centre", type="emergency") == []
    assert bank.ids("auditor") == [shanghai_fire, beijing, fire_here, here]
    assert bank.ids("office", unit="BJ-HD") == [fire_here, here]
    assert bank.ids("branch", unit="BJ") == [fire_here, here], "a unit narrows the scope, never widens it"
    refused = bank.find("admin")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"


def test_each_filter_narrows_the_list(bank: Bank) -> None:
    quality = bank.complaint("BJ-HD-01", 0, summary="柜员态度差 rude teller")
    crime = bank.complaint("BJ-HD-02", 10, summary="账户被盗刷", category="financial_crime")
    drill = bank.emergency("BJ-HD-01", 20, kind="robbery", exercise=True)
    red = bank.emergency("SH-PD-01", 30, kind="fire", level="red")

    assert bank.ids(type="complaint") == [crime, quality]
    assert bank.ids(kind="financial_crime") == [crime]
    assert bank.ids(kind="robbery") == [drill]
    assert bank.ids(level="red") == [red]
    assert bank.ids(exercise="true") == [drill]
    assert bank.ids(exercise="false") == [red, crime, quality]
    assert bank.ids(unit="SH") == [red]
    assert bank.ids(q="RUDE") == [quality], "case does not matter"
    assert bank.ids(q="盗刷") == [crime]
    at_10 = (T0 + timedelta(minutes=10)).astimezone().isoformat()
    at_30 = (T0 + timedelta(minutes=30)).isoformat()
    assert bank.ids(reported_from=at_10, reported_to=at_30) == [drill, crime], "from ≤ opened_at < to"
    assert bank.ids(type="complaint", unit="BJ-HD", q="态度") == [quality]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "volcano"}, "kind"),
        ({"status": "stood_down"}, "status"),
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"reported_from": "2026-11-02T09:30:00"}, "reported_from"),
        ({"reported_to": "0001-01-01T00:00:00+01:00"}, "reported_to"),
        ({"q": "a\x00b"}, "q"),
        ({"unit": "NOWHERE"}, "unit"),
        ({"type": "complaint", "kinds": "fire"}, "kinds"),
    ],
)
def test_bad_input_is_refused_naming_the_parameter(bank: Bank, params: dict[str, str], field: str) -> None:
    answer = bank.find(**params)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] in ("invalid_input", "unknown_unit")
    assert answer.json()["error"]["field"] == field


def test_the_cursor_pages_through_everything_once_while_new_incidents_arrive(bank: Bank) -> None:
    reported = [bank.complaint("BJ-HD-01", minutes) for minutes in range(0, 70, 10)]
    same_moment = [bank.complaint("BJ-HD-02", 35) for _ in range(3)]  # ties broken by id

    first = bank.find(limit=4).json()
    assert len(first["incidents"]) == 4
    assert first["next"]
    newer = bank.complaint("BJ-HD-01", 100)  # after the cursor: on no later page
    late = bank.complaint("BJ-HD-01", -30)  # a late report, older than everything: on the last page
    rest = bank.every_page(limit=4, cursor=first["next"])

    listed = [r["incident_id"] for r in first["incidents"]] + rest
    assert len(listed) == len(set(listed)), "nothing listed twice"
    assert set(listed) == {*reported, *same_moment, late}
    assert newer not in listed
    assert listed == bank.ids(limit=200)[1:], "the pages together are the one listing, in its order"
    assert bank.every_page(limit=1) == bank.ids(limit=200)


def test_a_summary_with_like_wildcards_and_quotes_is_matched_literally(bank: Bank) -> None:
    percent = bank.complaint("BJ-HD-01", 0, summary="收费 100% 不合理")
    underscore = bank.complaint("BJ-HD-01", 1, summary="编号 a_b 错误")
    quoted = bank.complaint("BJ-HD-01", 2, summary='客户说 "it\'s wrong" \\ 反斜杠')
    plain = bank.complaint("BJ-HD-01", 3, summary="收费 100 元 axb")

    assert bank.ids(q="%") == [percent]
    assert bank.ids(q="0%") == [percent]
    assert bank.ids(q="_") == [underscore]
    assert bank.ids(q="a_b") == [underscore]
    assert bank.ids(q="'s wrong\"") == [quoted]
    assert bank.ids(q="\\") == [quoted]
    assert bank.ids(q="100") == [plain, percent]
    assert bank.ids(q="/") == []


def incident_cli(bank: Bank, who: str, tmp_path: Path, *args: str) -> Result:
    env = {
        "INCIDENT_URL": bank.server,
        "INCIDENT_TOKEN": bank.tokens[who],
        "INCIDENT_OUTBOX": str(tmp_path / f"{who}.outbox"),
    }
    return CliRunner().invoke(cli, ["list", *args], env=env)


def test_incident_list_in_the_cli_filters_prints_the_cursor_and_follows_it_with_all(
    bank: Bank, tmp_path: Path
) -> None:
    first = bank.complaint("BJ-HD-01", 0, summary="柜员态度差 rude teller")
    second = bank.complaint("BJ-HD-01", 10)
    fire = bank.emergency("BJ-HD-01", 20)
    bank.close_complaint(first, 30)

    page = incident_cli(bank, "branch", tmp_path, "--limit", "2")
    assert page.exit_code == 0, page.output
    assert fire in page.stdout
    assert second in page.stdout
    assert first not in page.stdout
    cursor = page.stdout.split("--cursor ")[1].split()[0]
    rest = incident_cli(bank, "branch", tmp_path, "--limit", "2", "--cursor", cursor, "--json")
    assert [r["incident_id"] for r in json.loads(rest.stdout)["incidents"]] == [first]

    every = json.loads(incident_cli(bank, "branch", tmp_path, "--limit", "1", "--all", "--json").stdout)
    assert [r["incident_id"] for r in every["incidents"]] == [fire, second, first]
    assert every["next"] is None

    closed = incident_cli(bank, "branch", tmp_path, "--status", "closed", "--text", "RUDE", "--json")
    assert [r["incident_id"] for r in json.loads(closed.stdout)["incidents"]] == [first]
    real = incident_cli(bank, "branch", tmp_path, "--type", "emergency", "--real", "--json")
    assert [r["incident_id"] for r in json.loads(real.stdout)["incidents"]] == [fire]
    since = incident_cli(bank, "branch", tmp_path, "--from", (T0 + timedelta(minutes=10)).isoformat())
    assert first not in since.stdout
    assert second in since.stdout

    refused = incident_cli(bank, "call_centre", tmp_path, "--unit", "NOWHERE")
    assert refused.exit_code != 0
    assert "unit" in refused.stderr
    naive = incident_cli(bank, "branch", tmp_path, "--from", "2026-11-02T09:30:00")
    assert naive.exit_code == 2, "a time without its offset is a usage error, never sent"
