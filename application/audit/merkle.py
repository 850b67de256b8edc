"""The RFC 9162 §2.1 Merkle tree hash, inclusion and consistency proofs, and their verification.

Written here rather than taken from a library: pymerkle is GPL-3.0 and its proofs are not the RFC's
audit paths, and the transparency-dev implementations are Go. RFC 9162 §2.1 is short; these are pure
functions over leaf hashes (32 bytes each) and pass every case in ../shared/vectors/rfc6962/.
Leaf indices are 0-based; sizes count leaves.
"""

import hashlib
from collections.abc import Callable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof that does not verify, or arguments for which no proof exists."""


def leaf_hash(leaf: bytes) -> bytes:
    """SHA-256(0x00 ‖ leaf): the prefix keeps a leaf from passing for an interior node."""
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 ‖ left ‖ right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1): the size of the left subtree."""
    return 1 << ((n - 1).bit_length() - 1)


# A source of perfect subtree hashes: nodes(level, index) is the root of leaves
# [index * 2**level, (index + 1) * 2**level). Level 0 is the leaf hashes. Proofs ask only for these,
# so a store that keeps them (see FrontierTree.completed) answers a proof in O(log² n) look-ups.
Nodes = Callable[[int, int], bytes]


def nodes_of(leaves: Sequence[bytes]) -> Nodes:
    """Perfect subtree hashes computed from a list of leaf hashes (for tests and small trees)."""

    def nodes(level: int, index: int) -> bytes:
        width = 1 << level
        return root_hash(leaves[index * width : (index + 1) * width])

    return nodes


def root_hash(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) over leaf hashes; the empty tree's root is SHA-256 of nothing."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return node_hash(root_hash(leaves[:k]), root_hash(leaves[k:]))


def range_hash(lo: int, hi: int, nodes: Nodes) -> bytes:
    """MTH of leaves [lo, hi) where lo is aligned as the RFC's splits align it."""
    n = hi - lo
    if n & (n - 1) == 0:
        level = n.bit_length() - 1
        return nodes(level, lo >> level)
    k = _split(n)
    return node_hash(range_hash(lo, lo + k, nodes), range_hash(lo + k, hi, nodes))


def inclusion_proof(index: int, size: int, nodes: Nodes) -> list[bytes]:
    """PATH(m, D[n]): the audit path for leaf `index` in the tree of `size`, nearest sibling first."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size}")
    return _path(index, 0, size, nodes)


def _path(m: int, lo: int, hi: int, nodes: Nodes) -> list[bytes]:
    if hi - lo == 1:
        return []
    k = _split(hi - lo)
    if m < lo + k:
        return [*_path(m, lo, lo + k, nodes), range_hash(lo + k, hi, nodes)]
    return [*_path(m, lo + k, hi, nodes), range_hash(lo, lo + k, nodes)]


def consistency_proof(old_size: int, size: int, nodes: Nodes) -> list[bytes]:
    """PROOF(m, D[n]): proves the tree of the first `old_size` leaves is a prefix of the tree of `size`."""
    if not 0 < old_size <= size:
        raise ProofError(f"no consistency proof from size {old_size} to {size}")
    return _subproof(old_size, 0, size, nodes, complete=True)


def _subproof(m: int, lo: int, hi: int, nodes: Nodes, complete: bool) -> list[bytes]:
    if m == hi:
        return [] if complete else [range_hash(lo, hi, nodes)]
    k = _split(hi - lo)
    if m <= lo + k:
        return [*_subproof(m, lo, lo + k, nodes, complete), range_hash(lo + k, hi, nodes)]
    return [*_subproof(m, lo + k, hi, nodes, False), range_hash(lo, lo + k, nodes)]


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> None:
    """Raise ProofError unless `proof` shows leaf hash `leaf` at `index` in the tree of `size` with `root`."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size}")
    if _root_from_path(index, size, leaf, proof) != root:
        raise ProofError(f"inclusion proof for leaf {index} in a tree of {size} does not match the root")


def _root_from_path(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    # RFC 9162 §2.1.3.2: walk up from the leaf; fn is the node's index, sn the last index at its level.
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        _check_hash(p)
        if sn == 0:
            raise ProofError("inclusion proof is longer than the path")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("inclusion proof is shorter than the path")
    return r


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Raise ProofError unless `proof` shows the tree (old_size, old_root) is a prefix of (new_size, new_root)."""
    if not 0 < old_size <= new_size:
        raise ProofError(f"no consistency proof from size {old_size} to {new_size}")
    if old_size == new_size:
        if proof:
            raise ProofError("trees of equal size need an empty consistency proof")
        if old_root != new_root:
            raise ProofError("trees of equal size have different roots")
        return
    # RFC 9162 §2.1.4.2: a power-of-two old tree is itself the first node of the path.
    path = [old_root, *proof] if old_size & (old_size - 1) == 0 else list(proof)
    if not path:
        raise ProofError("consistency proof is empty")
    for p in path:
        _check_hash(p)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is longer than the path")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("consistency proof is shorter than the path")
    if fr != old_root or sr != new_root:
        raise ProofError(f"consistency proof from size {old_size} to {new_size} does not match the roots")


def _check_hash(h: bytes) -> None:
    if len(h) != HASH_SIZE:
        raise ProofError(f"a proof hash has {len(h)} bytes, not {HASH_SIZE}")
