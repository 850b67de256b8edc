"""The offline verifier (tools/verify_export.py): the RFC vectors, our own merkle.py, and exports it checks."""

import base64
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from application.audit.leaf import StoredRow, encode_leaf
from application.audit.merkle import inclusion_proof, leaf_hash, nodes_of, root_hash
from application.audit.signed_note import Checkpoint, sign_checkpoint, verifier_key

TOOL = Path(__file__).resolve().parents[2] / "tools" / "verify_export.py"
VECTORS = Path("/work/shared/vectors/rfc6962")
ORIGIN = "bank.example/incident-log"


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("verify_export", TOOL)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["verify_export"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


verifier = _tool()


def _inclusion_cases() -> list[Any]:
    return [json.loads(p.read_text()) for p in sorted((VECTORS / "inclusion").glob("*/*.json"))]


def test_the_tool_imports_nothing_from_the_project() -> None:
    source = TOOL.read_text()
    for package in ("domain", "application", "projections", "interfaces", "bench"):
        assert f"from {package}" not in source
        assert f"import {package}" not in source


@pytest.mark.parametrize("case", _inclusion_cases(), ids=lambda c: c["desc"])
def test_each_inclusion_vector_verifies_or_is_refused(case: dict[str, Any]) -> None:
    proof = [base64.b64decode(p) for p in case["proof"] or []]
    args = (case["leafIdx"], case["treeSize"], base64.b64decode(case["leafHash"]), proof)
    if case["wantErr"]:
        with pytest.raises(verifier.ExportError):
            verifier.verify_inclusion(*args, base64.b64decode(case["root"] or ""))
    else:
        verifier.verify_inclusion(*args, base64.b64decode(case["root"]))


def _row(i: int, state: bytes) -> StoredRow:
    return StoredRow(i + 1, f"0000000{i % 10}-aaaa-bbbb-cccc-dddddddddddd", i % 7, "domain.x:Event", state)


@given(st.lists(st.binary(max_size=40), min_size=1, max_size=40), st.data())
def test_its_leaf_and_proof_agree_with_merkle_py(states: list[bytes], data: st.DataObject) -> None:
    rows = [_row(i, s) for i, s in enumerate(states)]
    leaves = [leaf_hash(encode_leaf(r)) for r in rows]
    nodes, root = nodes_of(leaves), root_hash(leaves)
    i = data.draw(st.integers(0, len(rows) - 1))
    r = rows[i]
    mine = verifier.leaf_hash(
        verifier.encode_leaf(r.position, r.originator_version, r.originator_id, r.topic, r.state)
    )
    assert mine == leaves[i]
    verifier.verify_inclusion(i, len(rows), mine, inclusion_proof(i, len(rows), nodes), root)


def _export(tmp_path: Path, count: int = 5) -> tuple[Path, str]:
    """An export built from the project's own leaf, merkle and signed-note code."""
    key = Ed25519PrivateKey.generate()
    rows = [_row(i, f"state {i} 事件".encode()) for i in range(count)]
    leaves = [leaf_hash(encode_leaf(r)) for r in rows]
    nodes = nodes_of(leaves)
    note = sign_checkpoint(Checkpoint(ORIGIN, count, root_hash(leaves)), key)
    vkey = verifier_key(ORIGIN, key.public_key())
    lines = [
        {
            "type": "header",
            "format": "incident-log-export",
            "version": 1,
            "scope": {"all": True},
            "checkpoint": note,
            "vkey": vkey,
            "origin": ORIGIN,
            "generated_at": "2026-12-03T00:00:00Z",
        }
    ]
    for i, r in enumerate(rows):
        lines.append(
            {
                "type": "event",
                "index": i,
                "position": r.position,
                "originator_id": r.originator_id,
                "originator_version": r.originator_version,
                "topic": r.topic,
                "state": base64.b64encode(r.state).decode(),
                "leaf_hash": base64.b64encode(leaves[i]).decode(),
                "proof": [base64.b64encode(p).decode() for p in inclusion_proof(i, count, nodes)],
            }
        )
    lines.append({"type": "trailer", "count": count})
    path = tmp_path / "export.ndjson"
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    return path, vkey


def _run(path: Path, vkey: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(TOOL), str(path), "--vkey", vkey], capture_output=True, text=True
    )


def test_an_intact_export_verifies(tmp_path: Path) -> None:
    path, vkey = _export(tmp_path)
    result = _run(path, vkey)
    assert result.returncode == 0, result.stderr
    assert "verified: 5 events" in result.stdout


def test_one_edited_byte_names_its_line(tmp_path: Path) -> None:
    path, vkey = _export(tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    event = json.loads(lines[3])
    state = bytearray(base64.b64decode(event["state"]))
    state[0] ^= 1
    event["state"] = base64.b64encode(bytes(state)).decode()
    lines[3] = json.dumps(event, ensure_ascii=False) + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    result = _run(path, vkey)
    assert result.returncode == 1
    assert "line 4:" in result.stderr
    assert "does not hash" in result.stderr


def test_a_dropped_line_is_caught(tmp_path: Path) -> None:
    path, vkey = _export(tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:2] + lines[3:]), encoding="utf-8")
    result = _run(path, vkey)
    assert result.returncode == 1
    assert "line 6:" in result.stderr
    assert "trailer counts 5" in result.stderr


def test_a_cut_off_file_is_caught(tmp_path: Path) -> None:
    path, vkey = _export(tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-1]), encoding="utf-8")
    result = _run(path, vkey)
    assert result.returncode == 1
    assert "trailer is missing" in result.stderr


def test_a_wrong_key_is_refused(tmp_path: Path) -> None:
    path, _ = _export(tmp_path)
    other = verifier_key(ORIGIN, Ed25519PrivateKey.generate().public_key())
    result = _run(path, other)
    assert result.returncode == 1
    assert "line 1:" in result.stderr
    assert "signature" in result.stderr
