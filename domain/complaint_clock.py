"""The regulatory complaint clock (CBIRC Order 2020 No.3): 15 days, extensible to 30 and 60."""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from domain.immutable import Immutable

# Decide and tell the complainant within 15 days of receipt (calendar days, counted to the second).
STANDARD_LIMIT_DAYS = 15
# A complex case may be extended to 30 days.
COMPLEX_LIMIT_DAYS = 30
# A particularly complex one by another 30, with a higher office's approval.
FURTHER_EXTENSION_DAYS = 30
MAX_EXTENSIONS = 2


@dataclass(frozen=True)
class ComplaintClock(Immutable):
    """How long the bank has left to decide a complaint; a pure value built from its events."""

    started_at: datetime
    limit_days: int = STANDARD_LIMIT_DAYS
    paused_since: datetime | None = None
    paused_seconds: float = 0.0
    # When the last pause since the last (re)start ended. A default, so that snapshots taken before
    # it existed still load (their next pause is then checked against the start only).
    resumed_at: datetime | None = None

    @property
    def is_paused(self) -> bool:
        """True while outside appraisal, testing or assessment stops the clock."""
        return self.paused_since is not None

    @property
    def due_at(self) -> datetime | None:
        """When the decision is due; None while paused (the due time keeps moving)."""
        if self.paused_since is not None:
            return None
        return self._due_at()

    @property
    def settled_until(self) -> datetime:
        """The last restart or the end of the last pause, whichever is later.

        The clock's past up to here is settled: a new pause begins at or after it, so that paused
        stretches never overlap and no stretch of time is counted as paused twice.
        """
        return self.started_at if self.resumed_at is None else max(self.started_at, self.resumed_at)

    def remaining_seconds(self, now: datetime) -> float:
        """Seconds left (negative when overdue); while paused, what was left when it paused."""
        until = now if self.paused_since is None else self.paused_since
        return (self._due_at() - until).total_seconds()

    def is_overdue(self, now: datetime) -> bool:
        """True once `now` is past the due time; a paused clock is never overdue."""
        return self.paused_since is None and now > self._due_at()

    def paused(self, at: datetime) -> "ComplaintClock":
        """The clock stopped at `at`."""
        return replace(self, paused_since=at)

    def resumed(self, at: datetime) -> "ComplaintClock":
        """The clock running again from `at`; the paused time does not count."""
        if self.paused_since is None:
            return self
        gap = max((at - self.paused_since).total_seconds(), 0.0)
        return replace(self, paused_since=None, paused_seconds=self.paused_seconds + gap, resumed_at=at)

    def extended(self, to_days: int) -> "ComplaintClock":
        """The clock with a new limit in days from the start."""
        return replace(self, limit_days=to_days)

    def restarted(self, at: datetime) -> "ComplaintClock":
        """New facts restart the clock from their receipt, ending any pause; the limit stays."""
        return replace(self, started_at=at, paused_since=None, paused_seconds=0.0, resumed_at=None)

    def _due_at(self) -> datetime:
        return self.started_at + timedelta(days=self.limit_days, seconds=self.paused_seconds)


def extended_limit(extensions_so_far: int) -> int:
    """The limit in days after one more extension (first to 30, second to 60)."""
    return COMPLEX_LIMIT_DAYS + FURTHER_EXTENSION_DAYS * extensions_so_far


# Every limit a complaint can have, in order: the standard one and one per allowed extension.
LIMITS_DAYS: tuple[int, ...] = (STANDARD_LIMIT_DAYS, *(extended_limit(n) for n in range(MAX_EXTENSIONS)))
