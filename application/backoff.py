"""Delays between attempts after a failure: doubling from a first delay to a cap, jittered if asked."""

from __future__ import annotations

import random


class Backoff:
    """`first` seconds, doubling each time, never more than `cap`; `jitter` shaves up to that share off.

    Jitter keeps many clients that failed together (branches after an outage) from retrying together.
    """

    def __init__(self, first: float = 1.0, cap: float = 60.0, jitter: float = 0.0) -> None:
        if not (0 < first <= cap and 0 <= jitter < 1):
            raise ValueError("a backoff needs 0 < first <= cap and 0 <= jitter < 1")
        self.first, self.cap, self.jitter = first, cap, jitter
        self._failures = 0

    def next(self) -> float:
        delay = min(self.cap, self.first * (1 << min(self._failures, 32)))
        self._failures += 1
        return delay * (1 - random.uniform(0, self.jitter)) if self.jitter else delay

    def reset(self) -> None:
        self._failures = 0
