"""The tokens a process has verified lately, by hash, each for a bounded time, forgotten at a revocation."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from application.access.principal import Principal

# Far more tokens than a bank has desks; only a token the store confirmed is ever kept.
MAX_ENTRIES = 10_000


class TokenCache:
    """Principals by token hash, each kept `seconds` after the store confirmed it.

    Every read and write names the revocation generation it saw before asking the store: a newer one
    forgets everything; a write from an older one (a lookup that raced a revocation) is dropped.
    """

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds, self._clock = seconds, clock
        self._entries: dict[str, tuple[float, Principal]] = {}
        self._generation = 0
        self._lock = threading.Lock()

    def get(self, token_hash: str, generation: int) -> Principal | None:
        if generation != self._generation:
            self._forget_before(generation)
            return None
        entry = self._entries.get(token_hash)
        if entry is None or entry[0] <= self._clock():
            return None
        return entry[1]

    def put(self, token_hash: str, principal: Principal, generation: int) -> None:
        with self._lock:
            if generation < self._generation:
                return
            if generation > self._generation:
                self._entries.clear()
                self._generation = generation
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[token_hash] = (self._clock() + self.seconds, principal)

    def forget(self) -> None:
        with self._lock:
            self._entries.clear()

    def _forget_before(self, generation: int) -> None:
        with self._lock:
            if generation > self._generation:
                self._entries.clear()
                self._generation = generation
