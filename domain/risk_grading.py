"""Risk grading (舆情分级) as the bank's rule: which related incidents a new report raises, and to what.

The seeds' "simple model with thresholds that can be adjusted" (RiskThresholds):

    关联性 yellow   related complaints (one category) at one outlet, N within the window
    广泛性 orange   related incidents (one complaint category, or one emergency kind) at N distinct
                    outlets of one sub-branch within the window: each of them
    舆情   orange   a complaint through the media, or a media-report emergency, at once
    全面性 red      only when the office sets `red_when_outlets_at_least`: related incidents at that many
                    outlets of one branch (分行) within the window

An incident deserves a level when some window of `window` holding it meets the rule. When a report
arrives at moment t, the incidents it makes deserving are those in the windows that hold t and meet the
rule; those windows' union is one stretch of time, returned as a Span. Whoever keeps the incidents
(the policy) raises the ones in the span. The rules look only at a few neighbours of t — the N-1
related reports either side at the outlet, and each outlet's nearest related report either side — so
grading costs the same at the tenth report of a storm and at the hundred-thousandth.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.level import Level


@dataclass(frozen=True)
class RiskThresholds:
    """The adjustable thresholds of the grading, with the defaults the seeds argue."""

    # "Within a day", by when things happened at the branches (occurred_at), so a replay decides alike.
    window: timedelta = timedelta(hours=24)
    # 关联性 → yellow: this many complaints of one category at one outlet ("the magic number 3").
    related_complaints_for_yellow: int = 3
    # 广泛性 → orange: related incidents at this many distinct outlets of one sub-branch.
    related_outlets_for_orange: int = 3
    # 全面性 → red stays the office's decision (None); a number makes it automatic at that many
    # distinct outlets of one branch (分行).
    red_when_outlets_at_least: int | None = None

    def __post_init__(self) -> None:
        if self.window <= timedelta(0):
            raise ValueError("related_window must be a positive duration")
        for name in ("related_complaints_for_yellow", "related_outlets_for_orange"):
            if getattr(self, name) < 2:
                raise ValueError(f"{name} must be 2 or more: one incident alone is not related to others")
        if self.red_when_outlets_at_least is not None and self.red_when_outlets_at_least < 2:
            raise ValueError("red_when_outlets_at_least must be 2 or more, or None (red stays the office's)")

    @property
    def hours(self) -> str:
        """The window in hours, as the reasons say it."""
        return f"{self.window / timedelta(hours=1):g}"


@dataclass(frozen=True)
class Span:
    """A stretch of time [start, end]: the related incidents in it deserve the level."""

    start: datetime
    end: datetime

    def holds(self, moment: datetime) -> bool:
        return self.start <= moment <= self.end


@dataclass(frozen=True)
class Nearest:
    """One outlet's related reports nearest to the new one: the latest at or before it, the earliest after."""

    before: datetime | None = None
    after: datetime | None = None


def related_at_outlet(
    new: datetime, neighbours: Sequence[datetime], needed: int, window: timedelta
) -> Span | None:
    """关联性: the span of windows holding `new` with `needed` related complaints at its outlet, if any.

    `neighbours` are the outlet's related reports in time order, `new` among them, with at least the
    `needed - 1` either side of it (more are harmless). A window holding `needed` of them holds a run
    of `needed` consecutive ones; the runs that hold `new` lie within `needed - 1` places of it.
    """
    times = sorted(neighbours)
    at = times.index(new)
    starts: list[datetime] = []
    ends: list[datetime] = []
    for first in range(max(0, at - needed + 1), at + 1):
        last = first + needed - 1
        if last < len(times) and times[last] - times[first] <= window:
            # The windows holding this run start between its last report's moment less the window,
            # and its first report's moment.
            starts.append(max(times[last] - window, new - window))
            ends.append(min(times[first], new) + window)
    if not starts:
        return None
    return Span(min(starts), max(ends))


def widespread(
    new: datetime, own_outlet: str, nearest: Mapping[str, Nearest], needed: int, window: timedelta
) -> tuple[Span, list[str]] | None:
    """广泛性 / 全面性: the span of windows holding `new` with related reports at `needed` distinct outlets.

    `nearest` gives the unit's other outlets their related reports nearest to `new`. A window
    [s, s + window] holds `new` when s lies in [new - window, new]; it holds outlet o for s up to o's
    latest report before `new`, and for s from o's earliest report after `new` less the window. The
    outlets held can only grow where such a stretch begins, so those are the starts to look at.
    Returns the span and the outlets of the window holding the most of them (for the reason).
    """
    lowest = new - window
    stretches: dict[str, list[tuple[datetime, datetime]]] = {}
    for outlet, near in nearest.items():
        held = stretches.setdefault(outlet, [])
        if outlet != own_outlet and near.before is not None and near.before >= lowest:
            held.append((lowest, near.before))
        if outlet != own_outlet and near.after is not None and near.after - window <= new:
            held.append((max(lowest, near.after - window), new))
    begins = sorted({lowest} | {begin for held in stretches.values() for begin, _ in held})
    first: datetime | None = None
    last_end: datetime | None = None
    widest: list[str] = []
    for start in begins:
        ends = {o: end for o, held in stretches.items() if (end := _held_until(held, start)) is not None}
        if len(ends) + 1 < needed:
            continue
        first = start if first is None else first
        # This start's windows stay good until all but `needed - 1` of the other outlets are left behind.
        good_until = sorted(ends.values(), reverse=True)[needed - 2]
        last_end = good_until if last_end is None else max(last_end, good_until)
        if len(ends) + 1 > len(widest):
            widest = sorted([*ends, own_outlet])
    if first is None or last_end is None:
        return None
    return Span(first, last_end + window), widest


def _held_until(held: Sequence[tuple[datetime, datetime]], start: datetime) -> datetime | None:
    """Until when an outlet's stretches hold a window start from `start` on, if they hold `start` at all."""
    until: datetime | None = None
    for begin, end in sorted(held):
        if begin <= start <= end or (until is not None and begin <= until):
            until = end if until is None else max(until, end)
    return until


def media_floor(is_complaint: bool) -> tuple[Level, str]:
    """舆情: a complaint through the media, or a media-report emergency, is at least orange."""
    if is_complaint:
        return Level.ORANGE, (
            "舆情(橙色): 媒体投诉至少为橙色 / public opinion (orange): a complaint through the media is at least orange"
        )
    return Level.ORANGE, (
        "舆情(橙色): 重大、失实媒体报道至少为橙色 / public opinion (orange): a media-report emergency is at least orange"
    )
