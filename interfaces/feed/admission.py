"""Who may hold a feed open: the per-token and per-process limits, and tokens revoked meanwhile."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from application.access.tokens import TokenRegistry
from application.failure import describe
from interfaces.feed.close_codes import SERVER_FULL, TOO_MANY_FOR_TOKEN, UNAUTHORISED
from interfaces.feed.hub import Watch
from interfaces.feed.limits import FeedLimits

log = logging.getLogger(__name__)


class Admission:
    """Counts the open feeds; refuses one over a limit; closes, within seconds, a revoked token's feeds."""

    def __init__(self, limits: FeedLimits, tokens: TokenRegistry) -> None:
        self._limits, self._tokens = limits, tokens
        self._open: dict[str, set[Watch]] = {}  # by token id; touched only on the event loop
        self._count = 0
        self._checker = ThreadPoolExecutor(1, thread_name_prefix="feed-token-check")
        self._task: asyncio.Task[None] | None = None

    @property
    def open_feeds(self) -> int:
        return self._count

    def admit(self, watch: Watch) -> tuple[int, str] | None:
        """None if the watch may open (it is counted until `release`), else the close code and reason."""
        if self._count >= self._limits.per_process:
            return (
                SERVER_FULL,
                f"this server is at its limit of {self._limits.per_process} open feeds; retry later",
            )
        held = self._open.setdefault(watch.token_id, set())
        if len(held) >= self._limits.per_token:
            return (
                TOO_MANY_FOR_TOKEN,
                f"this token is at its limit of {self._limits.per_token} open feeds; close one",
            )
        held.add(watch)
        self._count += 1
        return None

    def release(self, watch: Watch) -> None:
        held = self._open.get(watch.token_id)
        if held is not None and watch in held:
            held.discard(watch)
            self._count -= 1
            if not held:
                del self._open[watch.token_id]

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._check_tokens())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        self._checker.shutdown(wait=True, cancel_futures=True)

    async def _check_tokens(self) -> None:
        """Every `token_check_seconds`, a look at the registry's count of revocations (no SQL): when it
        moved, or could not be trusted, or the registry's memory of a token would have expired, one
        query names the open feeds' revoked tokens."""
        loop = asyncio.get_running_loop()
        checked: int | None = None
        checked_at = loop.time()
        failing = False
        while True:
            await asyncio.sleep(self._limits.token_check_seconds)
            if not self._open:
                continue
            seen = self._tokens.revocations_seen()
            due = loop.time() - checked_at >= self._tokens.cache_seconds
            if seen is not None and seen == checked and not due:
                continue
            token_ids = set(self._open)
            try:
                revoked = await loop.run_in_executor(self._checker, self._tokens.revoked_among, token_ids)
            except Exception as error:  # the store is away: keep the feeds, check again next time
                if not failing:
                    log.warning("feed could not check its tokens for revocation: %s", describe(error))
                failing = True
                continue
            if failing:
                log.info("feed checks its tokens for revocation again")
            checked, checked_at, failing = seen, loop.time(), False
            for token_id in revoked:
                for watch in list(self._open.get(token_id, ())):
                    watch.end(UNAUTHORISED, "token revoked")
