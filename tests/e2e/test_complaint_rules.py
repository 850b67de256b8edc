"""The complaint rules of issue 11 through the HTTP API: the clock, reopening, the second extension,
withdrawal and retention, each refused or recorded as a compliance officer would expect."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from domain.values import Role
from interfaces.settings import Settings
from tests.e2e.server import issue_token, running_server

OUTLET = "BJ-HD-01"
COMPLAINT = {
    "outlet": OUTLET,
    "channel": "walk_in",
    "category": "service_quality",
    "summary": "客户称ATM吐出假币 customer says the ATM gave out a counterfeit note",
}


class Desk:
    """One token's view of the API: post a command, read an incident or its history."""

    def __init__(self, http: httpx.Client, token: str) -> None:
        self.http, self.headers = http, {"Authorization": f"Bearer {token}"}

    def report(self, received: datetime) -> str:
        answer = self.post("/api/v1/complaints", {**COMPLAINT, "occurred_at": received.isoformat()})
        assert answer.status_code == 201, answer.text
        return str(answer.json()["incident_id"])

    def act(
        self, incident_id: str, command: str, at: datetime | None = None, **fields: Any
    ) -> httpx.Response:
        body = {**fields, **({"occurred_at": at.isoformat()} if at else {})}
        return self.post(f"/api/v1/complaints/{incident_id}/{command}", body)

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return self.http.post(path, json=body, headers=self.headers)

    def view(self, incident_id: str) -> dict[str, Any]:
        return dict(self.http.get(f"/api/v1/incidents/{incident_id}", headers=self.headers).json())

    def history(self, incident_id: str) -> list[dict[str, Any]]:
        answer = self.http.get(f"/api/v1/incidents/{incident_id}/history", headers=self.headers)
        return list(answer.json()["events"])


@pytest.fixture(scope="module")
def desks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Desk]]:
    settings = Settings(database_url=f"sqlite:///{tmp_path_factory.mktemp('rules')}/r.db", run_policies=False)
    units = {
        "branch": (Role.BRANCH, OUTLET, "王丽 大堂经理"),
        "office": (Role.OFFICE, "BJ", "赵处长 北京分行"),
        "outlet_office": (Role.OFFICE, OUTLET, "网点内勤"),  # an office token of the outlet itself
        "call_centre": (Role.CALL_CENTRE, "", "95566 坐席"),
        "auditor": (Role.AUDITOR, "", "审计"),
    }
    with running_server(settings) as url, httpx.Client(base_url=url) as http:
        yield {
            name: Desk(http, issue_token(settings, role, unit, person))
            for name, (role, unit, person) in units.items()
        }


def refused(answer: httpx.Response, status: int, **error: str) -> None:
    assert answer.status_code == status, answer.text
    body = answer.json()["error"]
    assert {k: body[k] for k in error} == error, body


def due(view: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(view["due_at"])


def test_a_pause_is_never_counted_before_receipt_inside_another_or_back_dated(desks: dict[str, Desk]) -> None:
    branch = desks["branch"]
    now = datetime.now(UTC)
    received = now - timedelta(days=10)
    complaint = branch.report(received)
    # Five days before receipt, and three minutes before it (within the clocks' disagreement).
    for at in (received - timedelta(days=5), received - timedelta(minutes=3)):
        refused(branch.act(complaint, "pause_clock", at, reason="鉴定"), 422, field="occurred_at")
    assert (
        branch.act(complaint, "pause_clock", received + timedelta(days=2), reason="送鉴定").status_code == 200
    )
    refused(
        branch.act(complaint, "pause_clock", received + timedelta(days=3), reason="再次送鉴定"),
        409,
        code="clock_state",
    )
    assert branch.act(complaint, "resume_clock", received + timedelta(days=4)).status_code == 200
    refused(
        branch.act(complaint, "pause_clock", received + timedelta(days=3), reason="补记"),
        422,
        field="occurred_at",
    )
    assert due(branch.view(complaint)) == received + timedelta(days=17)  # two paused days, counted once


def test_a_complaint_reopened_on_day_20_of_15_gets_a_clock_restarted_from_the_reopening(
    desks: dict[str, Desk],
) -> None:
    branch, office = desks["branch"], desks["office"]
    received = datetime.now(UTC) - timedelta(days=20)
    complaint = branch.report(received)
    withdrawn_at = received + timedelta(days=2)
    assert branch.act(complaint, "record_withdrawal", withdrawn_at, confirmed_by="phone").status_code == 200
    closed = office.act(complaint, "close", withdrawn_at, outcome="withdrawn", summary="客户撤回")
    assert closed.status_code == 200, closed.text
    reopened_at = datetime.now(UTC) - timedelta(minutes=1)
    assert office.act(complaint, "reopen", reopened_at, reason="客户称并未撤回").status_code == 200
    view = branch.view(complaint)
    assert view["overdue"] is False
    assert due(view) == reopened_at + timedelta(days=15)


def test_a_second_extension_needs_an_approval_by_a_higher_office_s_token(desks: dict[str, Desk]) -> None:
    branch, office = desks["branch"], desks["office"]
    received = datetime.now(UTC) - timedelta(days=25)
    complaint = branch.report(received)
    assert branch.act(complaint, "extend_deadline", reason="案情复杂").status_code == 200
    second = {"reason": "特别复杂，需司法鉴定", "complainant_informed": True}
    refused(branch.act(complaint, "extend_deadline", **second), 409, code="approval_required")
    refused(branch.act(complaint, "extend_deadline", **second, approver="总行 陈某"), 422, field="approver")
    refused(branch.act(complaint, "approve_second_extension", reason="我批"), 403, code="forbidden")
    refused(
        desks["call_centre"].act(complaint, "approve_second_extension", reason="我批"), 403, code="forbidden"
    )
    refused(
        desks["outlet_office"].act(complaint, "approve_second_extension", reason="我批"),
        409,
        code="approval_required",
    )
    assert office.act(complaint, "approve_second_extension", reason="同意再延30天").status_code == 200
    assert branch.act(complaint, "extend_deadline", **second).status_code == 200
    assert due(branch.view(complaint)) == received + timedelta(days=60)
    events = {e["event"]: e for e in branch.history(complaint)}
    approver = events["SecondExtensionApproved"]["actor"]
    assert (approver["role"], approver["unit"], approver["name"]) == ("office", "BJ", "赵处长 北京分行")
    assert events["DeadlineExtended"]["data"]["approved_by"]["unit"] == "BJ"


def test_a_founded_complaint_closes_as_withdrawn_only_with_the_withdrawal_on_record(
    desks: dict[str, Desk],
) -> None:
    branch, office = desks["branch"], desks["office"]
    complaint = branch.report(datetime.now(UTC) - timedelta(hours=2))
    assert (
        branch.act(complaint, "check_facts", founded=True, findings="ATM 日志显示出钞异常").status_code == 200
    )
    closing = {"outcome": "withdrawn", "summary": "客户撤回"}
    refused(office.act(complaint, "close", **closing), 409, code="step_out_of_order")
    refused(branch.act(complaint, "record_withdrawal", confirmed_by="by_pigeon"), 422, field="confirmed_by")
    recorded = desks["call_centre"].act(
        complaint, "record_withdrawal", confirmed_by="phone", note="客户来电撤回"
    )
    assert recorded.status_code == 200, recorded.text
    assert office.act(complaint, "close", **closing).status_code == 200
    withdrawal = next(e for e in branch.history(complaint) if e["event"] == "WithdrawalRecorded")
    assert withdrawal["data"]["confirmed_by"] == "phone"
    assert withdrawal["actor"]["role"] == "call_centre"


def test_a_customer_not_retained_leaves_a_contact_shown_only_to_those_who_may_see_it(
    desks: dict[str, Desk],
) -> None:
    branch = desks["branch"]
    complaint = branch.report(datetime.now(UTC) - timedelta(hours=1))
    attempt = {"real_reason": "对处理速度不满", "offer": "专属客户经理", "retained": False}
    for contact in ({}, {"second_contact": None}, {"second_contact": {"name": "", "phone": "", "email": ""}}):
        refused(branch.act(complaint, "attempt_retention", **attempt, **contact), 422, field="second_contact")
    kept = branch.act(complaint, "attempt_retention", **attempt, second_contact={"phone": "13900139000"})
    assert kept.status_code == 200, kept.text
    [shown] = [e for e in branch.history(complaint) if e["event"] == "RetentionAttempted"]
    assert shown["data"]["second_contact"]["phone"] == "13900139000"
    [masked] = [e for e in desks["auditor"].history(complaint) if e["event"] == "RetentionAttempted"]
    assert masked["data"]["second_contact"] == "<personal>"
