"""The log's checkpoint, key and proofs through the API: auditors and the office read them, and they verify."""

from __future__ import annotations

import base64
import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from application.audit.leaf import encode_leaf, stored_rows
from application.audit.merkle import leaf_hash, verify_consistency, verify_inclusion
from application.audit.signed_note import Checkpoint, open_checkpoint
from domain.values import Role
from interfaces.settings import Settings
from tests.e2e.server import issue_token, running_server
from tests.integration.desk_fixtures import fresh_desk, log_length, report_emergency

UNITS = {Role.BRANCH: "BJ-HD-01", Role.OFFICE: "BJ", Role.CALL_CENTRE: "", Role.AUDITOR: "", Role.ADMIN: ""}


@pytest.fixture
def keyed(settings: Settings, tmp_path: Path) -> Settings:
    return dataclasses.replace(settings, signing_key_file=tmp_path / "signing.key")


@pytest.fixture
def server(keyed: Settings) -> Iterator[str]:
    with running_server(keyed) as url:
        yield url


def _headers(settings: Settings, role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(settings, role, UNITS[role])}"}


def _checkpoint_of(client: httpx.Client, vkey: str, size: int) -> tuple[str, Checkpoint]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        response = client.get("/api/v1/log/checkpoint")
        if response.status_code == 200 and (checkpoint := open_checkpoint(response.text, vkey)).size >= size:
            return response.text, checkpoint
        time.sleep(0.2)
    raise AssertionError(f"no checkpoint of size {size} within 20 s")


def test_auditors_get_checkpoints_that_prove_each_event_and_the_logs_growth(
    keyed: Settings, server: str
) -> None:
    desk = fresh_desk(keyed.database_url)
    try:
        for _ in range(3):
            report_emergency(desk)
        first_size = log_length(desk)
        with httpx.Client(base_url=server, headers=_headers(keyed, Role.AUDITOR), timeout=30) as client:
            key = client.get("/api/v1/log/key")
            assert key.headers["content-type"].startswith("text/plain")
            vkey = key.text.strip()
            note, first = _checkpoint_of(client, vkey, first_size)
            assert note.startswith(f"{keyed.log_origin}\n{first.size}\n")
            for _ in range(4):
                report_emergency(desk)
            _, latest = _checkpoint_of(client, vkey, log_length(desk))
            leaves = [leaf_hash(encode_leaf(row)) for row in stored_rows(desk.recorder)]
            for position, leaf in zip(range(1, latest.size + 1), leaves, strict=False):
                body = client.get(
                    "/api/v1/log/proofs/inclusion", params={"position": position, "size": latest.size}
                )
                proof = [base64.b64decode(h) for h in body.json()["proof"]]
                assert base64.b64decode(body.json()["leaf_hash"]) == leaf
                verify_inclusion(body.json()["leaf_index"], latest.size, leaf, proof, latest.root)
            body = client.get(
                "/api/v1/log/proofs/consistency", params={"from": first.size, "to": latest.size}
            )
            proof = [base64.b64decode(h) for h in body.json()["proof"]]
            verify_consistency(first.size, latest.size, first.root, latest.root, proof)
            too_big = client.get(
                "/api/v1/log/proofs/consistency", params={"from": 1, "to": latest.size + 1000}
            )
            assert too_big.status_code == 422
    finally:
        desk.close()


@pytest.mark.parametrize("role", list(UNITS))
def test_only_the_auditor_and_the_office_read_the_logs_evidence(
    keyed: Settings, server: str, role: Role
) -> None:
    with httpx.Client(base_url=server, headers=_headers(keyed, role), timeout=30) as client:
        status = client.get("/api/v1/log/key").status_code
    assert status == (200 if role in (Role.AUDITOR, Role.OFFICE) else 403)


def test_an_unknown_query_parameter_is_refused_not_ignored(keyed: Settings, server: str) -> None:
    with httpx.Client(base_url=server, headers=_headers(keyed, Role.AUDITOR), timeout=30) as client:
        response = client.get("/api/v1/log/proofs/consistency", params={"from": 1, "to": 2, "form": 1})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "form"
