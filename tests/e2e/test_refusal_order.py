"""Who may send a command is answered before what was sent: 403 before 422; the system's own marks are no one's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from domain.values import Role
from interfaces.settings import Settings
from tests.e2e.server import issue_token, running_server


@pytest.fixture
def bank(tmp_path: Path) -> Iterator[tuple[httpx.Client, dict[Role, dict[str, str]], str]]:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/order.db", run_policies=False)
    with running_server(settings) as url, httpx.Client(base_url=url, timeout=10) as http:
        tokens = {
            Role.OFFICE: issue_token(settings, Role.OFFICE, "HQ", "王主任"),
            Role.BRANCH: issue_token(settings, Role.BRANCH, "BJ-HD-01", "李经理"),
            Role.AUDITOR: issue_token(settings, Role.AUDITOR, "", "审计 赵"),
        }
        headers = {role: {"Authorization": f"Bearer {token}"} for role, token in tokens.items()}
        body = {
            "outlet": "BJ-HD-01",
            "channel": "walk_in",
            "category": "service_quality",
            "summary": "态度差",
        }
        reported = http.post("/api/v1/complaints", json=body, headers=headers[Role.BRANCH])
        assert reported.status_code == 201
        yield http, headers, reported.json()["incident_id"]


@pytest.mark.parametrize("body", [{}, {"outcome": 7, "extra": True}, {"summary": ""}])
def test_a_branch_closing_hears_403_whatever_it_sent(
    bank: tuple[httpx.Client, dict[Role, dict[str, str]], str], body: dict[str, object]
) -> None:
    http, headers, incident = bank
    for path in (f"/api/v1/complaints/{incident}/close", f"/api/v1/incidents/{incident}/commands/close"):
        refused = http.post(path, json=body, headers=headers[Role.BRANCH])
        assert refused.status_code == 403, (path, refused.text)
        assert "the office's decision" in refused.json()["error"]["message"]
    # The office may close: its faulty body is a 422 naming the field.
    wrong = http.post(f"/api/v1/complaints/{incident}/close", json={}, headers=headers[Role.OFFICE])
    assert wrong.status_code == 422
    assert wrong.json()["error"]["field"]


def test_an_auditor_hears_403_before_any_field_is_read(
    bank: tuple[httpx.Client, dict[Role, dict[str, str]], str],
) -> None:
    http, headers, incident = bank
    refused = http.post(f"/api/v1/complaints/{incident}/add_note", json={}, headers=headers[Role.AUDITOR])
    assert refused.status_code == 403


@pytest.mark.parametrize("command", ["flag_idle", "warn_deadline"])
def test_the_systems_own_marks_are_refused_to_every_role_and_absent_from_the_docs(
    bank: tuple[httpx.Client, dict[Role, dict[str, str]], str], command: str
) -> None:
    http, headers, incident = bank
    before = http.get("/readyz").json()["position"]
    for role in (Role.OFFICE, Role.BRANCH):
        refused = http.post(
            f"/api/v1/complaints/{incident}/{command}",
            json={"idle_since": "2026-12-01T00:00:00+08:00", "due_at": "2026-12-01T00:00:00+08:00"},
            headers=headers[role],
        )
        assert refused.status_code == 403, refused.text
        assert "the system's own mark" in refused.json()["error"]["message"]
    assert http.get("/readyz").json()["position"] == before
    paths = http.get("/openapi.json").json()["paths"]
    assert not [path for path in paths if path.endswith(f"/{command}")]
    assert "/api/v1/complaints/{incident_id}/close" in paths
