"""Risk grading's rules against a brute force over every window: same incidents raised, at any storm size."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.risk_grading import Nearest, RiskThresholds, related_at_outlet, widespread

T0 = datetime(2026, 3, 1, tzinfo=UTC)
WINDOW = timedelta(hours=24)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def candidate_starts(new: datetime, times: list[datetime]) -> list[datetime]:
    """Window starts where what a window holds can change: enough to find every good window."""
    points = {new - WINDOW, new, *times, *(t - WINDOW for t in times)}
    return [s for s in points if new - WINDOW <= s <= new]


def brute_related(new: datetime, times: list[datetime], needed: int) -> set[datetime]:
    deserving: set[datetime] = set()
    for s in candidate_starts(new, times):
        held = [t for t in times if s <= t <= s + WINDOW]
        if len(held) >= needed:
            deserving.update(held)
    return deserving


def brute_widespread(new: datetime, reports: list[tuple[datetime, str]], needed: int) -> set[datetime]:
    deserving: set[datetime] = set()
    for s in candidate_starts(new, [t for t, _ in reports]):
        held = [(t, o) for t, o in reports if s <= t <= s + WINDOW]
        if len({o for _, o in held}) >= needed:
            deserving.update(t for t, _ in held)
    return deserving


minutes = st.integers(min_value=0, max_value=4 * 24 * 60)


@given(others=st.lists(minutes, max_size=30), new=minutes, needed=st.integers(min_value=2, max_value=5))
def test_related_at_an_outlet_raises_exactly_the_reports_of_good_windows_holding_the_new_one(
    others: list[int], new: int, needed: int
) -> None:
    times = sorted([at(m) for m in others] + [at(new)])
    span = related_at_outlet(at(new), times, needed, WINDOW)
    expected = brute_related(at(new), times, needed)
    raised = {t for t in times if span is not None and span.holds(t)}
    assert raised == expected


@given(others=st.lists(minutes, max_size=30), new=minutes, needed=st.integers(min_value=2, max_value=5))
def test_related_at_an_outlet_needs_only_the_neighbours_either_side(
    others: list[int], new: int, needed: int
) -> None:
    times = sorted([at(m) for m in others] + [at(new)])
    place = times.index(at(new))
    near = times[max(0, place - needed + 1) : place + needed]
    assert related_at_outlet(at(new), near, needed, WINDOW) == related_at_outlet(
        at(new), times, needed, WINDOW
    )


reports = st.lists(st.tuples(minutes, st.sampled_from(["A", "B", "C", "D", "E"])), max_size=30)


def nearest(new: datetime, reports: list[tuple[datetime, str]]) -> dict[str, Nearest]:
    found: dict[str, Nearest] = {}
    for outlet in {o for _, o in reports}:
        times = sorted(t for t, o in reports if o == outlet)
        before = [t for t in times if t <= new]
        after = [t for t in times if t > new]
        found[outlet] = Nearest(before[-1] if before else None, after[0] if after else None)
    return found


@given(
    others=reports,
    new=minutes,
    outlet=st.sampled_from(["A", "B", "C"]),
    needed=st.integers(min_value=2, max_value=4),
)
def test_widespread_raises_exactly_the_reports_of_good_windows_holding_the_new_one(
    others: list[tuple[int, str]], new: int, outlet: str, needed: int
) -> None:
    everything = [(at(m), o) for m, o in others] + [(at(new), outlet)]
    found = widespread(at(new), outlet, nearest(at(new), everything), needed, WINDOW)
    expected = brute_widespread(at(new), everything, needed)
    raised = {t for t, _ in everything if found is not None and found[0].holds(t)}
    assert raised == expected
    if found is not None:
        assert len(found[1]) >= needed
        assert outlet in found[1]


def test_three_complaints_in_a_day_at_one_outlet_are_related() -> None:
    times = [at(0), at(60), at(23 * 60)]
    span = related_at_outlet(times[-1], times, 3, WINDOW)
    assert span is not None
    assert all(span.holds(t) for t in times)
    assert related_at_outlet(at(25 * 60), [at(0), at(60), at(25 * 60)], 3, WINDOW) is None


def test_thresholds_below_two_are_refused() -> None:
    with pytest.raises(ValueError, match="related_complaints_for_yellow"):
        RiskThresholds(related_complaints_for_yellow=1)
    with pytest.raises(ValueError, match="red_when_outlets_at_least"):
        RiskThresholds(red_when_outlets_at_least=1)
