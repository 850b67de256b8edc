"""The log's export: NDJSON evidence that verifies offline, that names the line someone changed, and that
no one gets outside their scope."""

from __future__ import annotations

import base64
import dataclasses
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from application.audit.signed_note import open_checkpoint
from domain.values import Role
from interfaces.settings import Settings
from tests.e2e.server import issue_token, running_server

VERIFIER = Path(__file__).parents[2] / "interfaces" / "offline" / "verify_export.py"
HERE, THERE = "BJ-HD-01", "SH-PD-01"


@pytest.fixture
def keyed(settings: Settings, tmp_path: Path) -> Settings:
    return dataclasses.replace(settings, signing_key_file=tmp_path / "signing.key")


@dataclasses.dataclass
class World:
    url: str
    settings: Settings
    vkey: str
    here: list[str]  # incident ids at HERE
    there: list[str]  # and at THERE

    def client(self, role: Role, unit: str = "") -> httpx.Client:
        token = issue_token(self.settings, role, unit)
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def _report(http: httpx.Client, outlet: str, summary: str) -> str:
    body = {"outlet": outlet, "kind": "fire", "level": "orange", "summary": summary}
    answer = http.post("/api/v1/emergencies", json=body)
    assert answer.status_code == 201, answer.text
    incident_id = str(answer.json()["incident_id"])
    note = http.post(f"/api/v1/emergencies/{incident_id}/add_note", json={"text": f"{summary}: 已到场"})
    assert note.status_code == 200, note.text
    return incident_id


@pytest.fixture
def world(keyed: Settings) -> Iterator[World]:
    with running_server(keyed) as url:
        office = httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {issue_token(keyed, Role.OFFICE, 'HQ')}"}
        )
        with office:
            here = [_report(office, HERE, f"海淀{i}号 fire") for i in range(3)]
            there = [_report(office, THERE, f"浦东{i}号 fire") for i in range(2)]
            head = office.get("/readyz").json()["position"]
            vkey = office.get("/api/v1/log/key").text.strip()
            deadline = time.monotonic() + 20
            # The tree is signed every 2 s while the log grows: wait until it covers every report.
            while not _signed_up_to(office, vkey, head):
                assert time.monotonic() < deadline, "no checkpoint covered the reports"
                time.sleep(0.2)
        yield World(url, keyed, vkey, here, there)


def _signed_up_to(http: httpx.Client, vkey: str, head: int) -> bool:
    note = http.get("/api/v1/log/checkpoint")
    return note.status_code == 200 and open_checkpoint(note.text, vkey).size >= head


def _export(http: httpx.Client, path: Path, **params: Any) -> httpx.Response:
    with http.stream("GET", "/api/v1/log/export", params=params) as answer:
        if answer.status_code == 200:
            with path.open("wb") as file:
                for chunk in answer.iter_bytes():
                    file.write(chunk)
        else:
            answer.read()
    return answer


def _verify(path: Path, vkey: str) -> subprocess.CompletedProcess[str]:
    # Isolated (-I): no project on the path, no site customisation; it runs from another folder.
    return subprocess.run(
        [sys.executable, "-I", str(VERIFIER), str(path), "--vkey", vkey],
        capture_output=True,
        text=True,
        cwd=path.parent,
        check=False,
    )


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_one_incident_s_export_verifies_offline_and_holds_its_events_only(
    world: World, tmp_path: Path
) -> None:
    path = tmp_path / "one.ndjson"
    with world.client(Role.AUDITOR) as auditor:
        assert _export(auditor, path, incident=world.here[0]).status_code == 200
    header, *events, trailer = _lines(path)
    assert header["format"] == "incident-log-export"
    assert header["scope"] == {"incident": world.here[0]}
    assert [e["originator_id"] for e in events] == [world.here[0]] * 2
    assert [e["originator_version"] for e in events] == [1, 2]
    assert trailer == {"trailer": True, "events": 2}
    verified = _verify(path, world.vkey)
    assert verified.returncode == 0, verified.stderr
    assert "2 events" in verified.stdout


def test_a_unit_s_export_holds_its_incidents_and_no_other_unit_s(world: World, tmp_path: Path) -> None:
    path = tmp_path / "unit.ndjson"
    with world.client(Role.OFFICE, "BJ") as office:
        assert _export(office, path, unit="BJ-HD").status_code == 200
    events = _lines(path)[1:-1]
    assert {e["originator_id"] for e in events} == set(world.here)
    assert _verify(path, world.vkey).returncode == 0


def test_the_whole_log_and_a_range_export_for_a_whole_bank_reader(world: World, tmp_path: Path) -> None:
    whole, part = tmp_path / "whole.ndjson", tmp_path / "part.ndjson"
    with world.client(Role.OFFICE, "HQ") as office:
        assert _export(office, whole).status_code == 200
        assert _export(office, part, **{"from": 3, "to": 6}).status_code == 200
    positions = [e["position"] for e in _lines(whole)[1:-1]]
    assert positions == sorted(positions)
    assert len(positions) >= 10
    assert [e["position"] for e in _lines(part)[1:-1]] == [3, 4, 5, 6]
    for path in (whole, part):
        assert _verify(path, world.vkey).returncode == 0


@pytest.mark.parametrize(
    ("role", "unit", "params", "status"),
    [
        (Role.BRANCH, HERE, {}, 403),  # the whole log holds every unit's events
        (Role.OFFICE, "BJ", {}, 403),  # an office below the root: not the whole log
        (Role.OFFICE, "BJ", {"from": 1, "to": 3}, 403),  # nor a range (it holds other units' events)
        (Role.OFFICE, "BJ", {"unit": "SH"}, 403),  # nor another office's unit
        (Role.OFFICE, "BJ", {"unit": "NOWHERE"}, 422),
        (Role.ADMIN, "", {"unit": "BJ"}, 403),
        (Role.OFFICE, "HQ", {"from": 5, "to": 2}, 422),
        (Role.OFFICE, "HQ", {"unit": "BJ", "from": 2}, 422),
    ],
)
def test_exports_outside_the_caller_s_scope_are_refused(
    world: World, tmp_path: Path, role: Role, unit: str, params: dict[str, Any], status: int
) -> None:
    with world.client(role, unit) as http:
        answer = _export(http, tmp_path / "refused.ndjson", **params)
    assert answer.status_code == status, answer.text
    assert not (tmp_path / "refused.ndjson").exists()


def test_an_incident_elsewhere_is_refused_to_an_office_and_a_branch(world: World, tmp_path: Path) -> None:
    for role, unit in [(Role.OFFICE, "BJ"), (Role.BRANCH, HERE)]:
        with world.client(role, unit) as http:
            assert _export(http, tmp_path / "x.ndjson", incident=world.there[0]).status_code == 403
    with world.client(Role.BRANCH, HERE) as branch:  # its own incident: it may read it, so export it
        assert _export(branch, tmp_path / "own.ndjson", incident=world.here[1]).status_code == 200


def _rewritten(path: Path, change: Any) -> Path:
    lines = path.read_text().splitlines(keepends=True)
    changed = path.with_name("changed.ndjson")
    changed.write_text("".join(change(lines)))
    return changed


def test_the_offline_verifier_names_the_line_that_was_changed_dropped_or_cut(
    world: World, tmp_path: Path
) -> None:
    path = tmp_path / "whole.ndjson"
    with world.client(Role.AUDITOR) as auditor:
        assert _export(auditor, path).status_code == 200

    def edit_state(lines: list[str]) -> list[str]:
        event = json.loads(lines[3])
        state = bytearray(base64.b64decode(event["state"]))
        state[len(state) // 2] ^= 1
        event["state"] = base64.b64encode(bytes(state)).decode()
        return [*lines[:3], json.dumps(event) + "\n", *lines[4:]]

    def edit_and_rehash(lines: list[str]) -> list[str]:
        # A forger who also recomputes the leaf hash: the proof no longer leads to the signed root.
        sys.path.insert(0, str(VERIFIER.parent))
        from verify_export import encode_leaf, leaf_hash

        event = json.loads(lines[2])
        event["topic"] += "Forged"
        event["leaf_hash"] = base64.b64encode(leaf_hash(encode_leaf(event))).decode()
        return [*lines[:2], json.dumps(event) + "\n", *lines[3:]]

    cases = {
        "edit_state": (edit_state, "line 4: position"),
        "edit_and_rehash": (edit_and_rehash, "line 3: position"),
        "drop_line": (lambda lines: [*lines[:2], *lines[3:]], "trailer counts"),
        "cut_short": (lambda lines: lines[:-3], "no trailer"),
        "swap_lines": (lambda lines: [lines[0], lines[2], lines[1], *lines[3:]], "line 3: position"),
    }
    for name, (change, expected) in cases.items():
        verified = _verify(_rewritten(path, change), world.vkey)
        assert verified.returncode == 1, name
        assert expected in verified.stderr, (name, verified.stderr)


def test_a_key_other_than_the_signer_s_is_refused(world: World, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from application.audit.signed_note import verifier_key

    path = tmp_path / "one.ndjson"
    with world.client(Role.AUDITOR) as auditor:
        assert _export(auditor, path, incident=world.here[0]).status_code == 200
    other = verifier_key(world.settings.log_origin, Ed25519PrivateKey.generate().public_key())
    verified = _verify(path, other)
    assert verified.returncode == 1
    assert "no signature by" in verified.stderr
