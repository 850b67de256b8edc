"""The Merkle tree and its proofs against every RFC 6962 vector, and properties over random trees."""

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from application.audit.frontier import FrontierTree
from application.audit.merkle import (
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    nodes_of,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

VECTORS = Path("/work/shared/vectors/rfc6962")
RFC_LEAVES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]


def _cases(kind: str) -> list[Any]:
    files = sorted((VECTORS / kind).glob("*/*.json"))
    return [pytest.param(json.loads(f.read_text()), id=f"{f.parent.name}/{f.stem}") for f in files]


def _b64(values: list[str] | None) -> list[bytes]:
    return [base64.b64decode(v) for v in values or []]


def test_the_vectors_are_all_there() -> None:
    assert len(_cases("inclusion")) + len(_cases("consistency")) == len(list(VECTORS.glob("*/*/*.json"))) > 0


@pytest.mark.parametrize("case", _cases("inclusion"))
def test_each_inclusion_vector_verifies_or_is_refused(case: dict[str, Any]) -> None:
    def verify() -> None:
        verify_inclusion(
            case["leafIdx"], case["treeSize"], base64.b64decode(case["leafHash"]), _b64(case["proof"]),
            base64.b64decode(case["root"]),
        )  # fmt: skip

    if case["wantErr"]:
        with pytest.raises(ProofError):
            verify()
    else:
        verify()


@pytest.mark.parametrize("case", _cases("consistency"))
def test_each_consistency_vector_verifies_or_is_refused(case: dict[str, Any]) -> None:
    def verify() -> None:
        verify_consistency(
            case["size1"], case["size2"], base64.b64decode(case["root1"]), base64.b64decode(case["root2"]),
            _b64(case["proof"]),
        )  # fmt: skip

    if case["wantErr"]:
        with pytest.raises(ProofError):
            verify()
    else:
        verify()


def test_the_reference_leaves_give_the_rfc_root() -> None:
    root = root_hash([leaf_hash(x) for x in RFC_LEAVES])
    assert root.hex() == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"


def test_our_proofs_of_the_reference_tree_equal_the_vectors() -> None:
    leaves, compared = [leaf_hash(x) for x in RFC_LEAVES], 0
    for case in (c.values[0] for c in _cases("inclusion")):
        if not case["wantErr"] and case["treeSize"] <= len(leaves) and case["leafHash"]:
            size = case["treeSize"]
            assert inclusion_proof(case["leafIdx"], size, nodes_of(leaves[:size])) == _b64(case["proof"])
            compared += 1
    for case in (c.values[0] for c in _cases("consistency")):
        if not case["wantErr"] and case["size1"] > 0 and case["size2"] <= len(leaves):
            size = case["size2"]
            assert consistency_proof(case["size1"], size, nodes_of(leaves[:size])) == _b64(case["proof"])
            compared += 1
    assert compared >= 6


leaf_lists = st.lists(st.binary(max_size=8), min_size=1, max_size=70)


def _flip(proof: list[bytes], at: int) -> list[bytes]:
    i = at % len(proof)
    return [*proof[:i], bytes([proof[i][0] ^ 1]) + proof[i][1:], *proof[i + 1 :]]


@given(leaf_lists, st.data())
def test_every_inclusion_proof_verifies_and_a_flipped_byte_fails(
    data: list[bytes], draw: st.DataObject
) -> None:
    leaves = [leaf_hash(x) for x in data]
    size, root, nodes = len(leaves), root_hash(leaves), nodes_of(leaves)
    index = draw.draw(st.integers(0, size - 1))
    proof = inclusion_proof(index, size, nodes)
    verify_inclusion(index, size, leaves[index], proof, root)
    with pytest.raises(ProofError):
        verify_inclusion(index, size, bytes([leaves[index][0] ^ 1]) + leaves[index][1:], proof, root)
    if proof:
        with pytest.raises(ProofError):
            verify_inclusion(index, size, leaves[index], _flip(proof, draw.draw(st.integers(0))), root)


@given(leaf_lists, st.data())
def test_every_consistency_proof_verifies_and_a_flipped_byte_fails(
    data: list[bytes], draw: st.DataObject
) -> None:
    leaves = [leaf_hash(x) for x in data]
    size, nodes = len(leaves), nodes_of(leaves)
    old = draw.draw(st.integers(1, size))
    old_root, root = root_hash(leaves[:old]), root_hash(leaves)
    proof = consistency_proof(old, size, nodes)
    verify_consistency(old, size, old_root, root, proof)
    if proof:
        with pytest.raises(ProofError):
            verify_consistency(old, size, old_root, root, _flip(proof, draw.draw(st.integers(0))))
    with pytest.raises(ProofError):
        verify_consistency(old, size, bytes([old_root[0] ^ 1]) + old_root[1:], root, proof)


@given(leaf_lists)
def test_the_frontier_root_equals_the_tree_hash_at_every_size(data: list[bytes]) -> None:
    tree, leaves = FrontierTree(), [leaf_hash(x) for x in data]
    stored: dict[tuple[int, int], bytes] = {}
    for n, leaf in enumerate(leaves, start=1):
        stored.update({(level, i): h for level, i, h in tree.append(leaf)})
        assert tree.root() == root_hash(leaves[:n])
    # The completed subtrees it reports are exactly the perfect subtrees a proof asks for.
    nodes = nodes_of(leaves)
    assert all(nodes(level, i) == h for (level, i), h in stored.items())
    assert inclusion_proof(0, len(leaves), lambda level, i: stored[level, i]) == inclusion_proof(
        0, len(leaves), nodes
    )
