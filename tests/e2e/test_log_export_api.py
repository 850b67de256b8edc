"""GET /api/v1/log/export through a real server: what it streams verifies offline; scopes are enforced."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from application.audit.signed_note import open_checkpoint
from domain.values import Role
from interfaces.settings import Settings
from tests.e2e.server import issue_token, running_server
from tests.integration.desk_fixtures import fresh_desk, log_length, report_emergency

TOOL = Path(__file__).resolve().parents[2] / "tools" / "verify_export.py"


@pytest.fixture
def keyed(settings: Settings, tmp_path: Path) -> Settings:
    return dataclasses.replace(settings, signing_key_file=tmp_path / "signing.key")


@pytest.fixture
def server(keyed: Settings) -> Iterator[str]:
    with running_server(keyed) as url:
        yield url


def _client(settings: Settings, server: str, role: Role, unit: str = "") -> httpx.Client:
    token = issue_token(settings, role, unit)
    return httpx.Client(base_url=server, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def _signed_up_to(client: httpx.Client, vkey: str, size: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        response = client.get("/api/v1/log/checkpoint")
        if response.status_code == 200 and open_checkpoint(response.text, vkey).size >= size:
            return
        time.sleep(0.2)
    raise AssertionError(f"no checkpoint of size {size} within 20 s")


def _verify(path: Path, vkey: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(TOOL), str(path), "--vkey", vkey], capture_output=True, text=True
    )


def test_exports_verify_offline_and_an_edit_is_named(keyed: Settings, server: str, tmp_path: Path) -> None:
    desk = fresh_desk(keyed.database_url)
    try:
        ids = [report_emergency(desk) for _ in range(3)]
        size = log_length(desk)
    finally:
        desk.close()
    with _client(keyed, server, Role.AUDITOR) as auditor, _client(keyed, server, Role.OFFICE, "HQ") as head:
        vkey = auditor.get("/api/v1/log/key").text.strip()
        _signed_up_to(auditor, vkey, size)
        one = auditor.get("/api/v1/log/export", params={"scope": "incident", "incident": str(ids[1])})
        assert one.status_code == 200
        assert one.headers["content-type"].startswith("application/x-ndjson")
        path = tmp_path / "one.ndjson"
        path.write_bytes(one.content)
        result = _verify(path, vkey)
        assert result.returncode == 0, result.stderr
        events = [json.loads(x) for x in one.text.splitlines()[1:-1]]
        assert events
        assert {e["originator_id"] for e in events} == {str(ids[1])}
        whole = head.get("/api/v1/log/export", params={"scope": "all"})
        assert whole.status_code == 200
        path.write_bytes(whole.content)
        assert f"verified: {size} events" in _verify(path, vkey).stdout
        ranged = auditor.get("/api/v1/log/export", params={"scope": "range", "from": 2, "to": 3})
        path.write_bytes(ranged.content)
        assert "verified: 2 events" in _verify(path, vkey).stdout
        lines = whole.text.splitlines()
        lines[2] = lines[2].replace('"originator_version":', '"originator_version":1', 1)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        edited = _verify(path, vkey)
        assert edited.returncode == 1
        assert "line 3:" in edited.stderr


@pytest.mark.parametrize(
    ("role", "unit", "params"),
    [
        (Role.BRANCH, "BJ-HD-01", {"scope": "all"}),
        (Role.OFFICE, "BJ", {"scope": "all"}),
        (Role.OFFICE, "BJ", {"scope": "range", "from": 1, "to": 5}),
        (Role.OFFICE, "BJ", {"scope": "unit", "unit": "SH"}),
        (Role.BRANCH, "BJ-HD-01", {"scope": "unit", "unit": "BJ-HD"}),
        (Role.ADMIN, "", {"scope": "all"}),
        (Role.ADMIN, "", {"scope": "unit", "unit": "HQ"}),
    ],
)
def test_scopes_outside_the_tokens_are_refused_naming_why(
    keyed: Settings, server: str, role: Role, unit: str, params: dict[str, object]
) -> None:
    with _client(keyed, server, role, unit) as client:
        response = client.get("/api/v1/log/export", params=params)  # type: ignore[arg-type]
    assert response.status_code == 403, response.text
    assert "may not export" in response.text


def test_an_office_exports_its_own_unit(keyed: Settings, server: str) -> None:
    with _client(keyed, server, Role.OFFICE, "BJ") as client:
        _signed_up_to(client, client.get("/api/v1/log/key").text.strip(), 0)
        response = client.get("/api/v1/log/export", params={"scope": "unit", "unit": "BJ-HD"})
    assert response.status_code in (200, 404), response.text  # 404 only while no checkpoint is signed


def test_a_range_needs_both_ends(keyed: Settings, server: str) -> None:
    with _client(keyed, server, Role.AUDITOR) as client:
        response = client.get("/api/v1/log/export", params={"scope": "range", "from": 3})
    assert response.status_code == 422
    assert "to" in response.text
