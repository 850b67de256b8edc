"""The tree's right edge: the roots of its perfect subtrees, so appending a leaf costs O(log n)."""

from dataclasses import dataclass, field

from application.audit.merkle import EMPTY_ROOT, node_hash


@dataclass
class FrontierTree:
    """A Merkle tree kept as its frontier: one perfect subtree root per set bit of `size`, largest first."""

    size: int = 0
    frontier: list[bytes] = field(default_factory=list)

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf hash; return the perfect subtrees it completes as (level, index, hash), leaf first."""
        completed = [(0, self.size, leaf)]
        h, s, level = leaf, self.size, 0
        while s & 1:
            h = node_hash(self.frontier.pop(), h)
            s, level = s >> 1, level + 1
            completed.append((level, s, h))
        self.frontier.append(h)
        self.size += 1
        return completed

    def root(self) -> bytes:
        """The RFC 9162 tree hash of the leaves so far: the frontier folded from the right."""
        if not self.frontier:
            return EMPTY_ROOT
        r = self.frontier[-1]
        for h in reversed(self.frontier[:-1]):
            r = node_hash(h, r)
        return r
