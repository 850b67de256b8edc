"""The regulatory complaint clock as a pure value: 15/30/60 days, pauses, restarts."""

import itertools
from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from domain.complaint_clock import LIMITS_DAYS, ComplaintClock, extended_limit
from domain.errors import DomainError

from .builders import DAY, T0, reported_complaint, stamp

SECOND = timedelta(seconds=1)


def test_a_new_clock_is_due_15_calendar_days_after_receipt() -> None:
    clock = ComplaintClock(started_at=T0)
    assert clock.limit_days == 15
    assert clock.due_at == T0 + 15 * DAY
    assert clock.remaining_seconds(T0) == 15 * 86400


def test_a_clock_is_overdue_only_after_the_due_time() -> None:
    clock = ComplaintClock(started_at=T0)
    assert not clock.is_overdue(T0 + 15 * DAY - SECOND)
    assert not clock.is_overdue(T0 + 15 * DAY)
    assert clock.is_overdue(T0 + 15 * DAY + SECOND)
    assert clock.remaining_seconds(T0 + 16 * DAY) == -86400


def test_extensions_take_the_limit_to_30_then_60_days() -> None:
    assert extended_limit(0) == 30
    assert extended_limit(1) == 60
    clock = ComplaintClock(started_at=T0).extended(extended_limit(0))
    assert clock.due_at == T0 + 30 * DAY
    assert clock.extended(extended_limit(1)).due_at == T0 + 60 * DAY


def test_the_limits_a_complaint_can_have_are_15_30_and_60_days() -> None:
    assert LIMITS_DAYS == (15, 30, 60)


def test_a_paused_clock_has_no_due_time_and_is_never_overdue() -> None:
    clock = ComplaintClock(started_at=T0).paused(T0 + 10 * DAY)
    assert clock.is_paused
    assert clock.due_at is None
    assert not clock.is_overdue(T0 + 100 * DAY)
    assert clock.remaining_seconds(T0 + 100 * DAY) == 5 * 86400


def test_paused_time_does_not_count() -> None:
    clock = ComplaintClock(started_at=T0).paused(T0 + 10 * DAY).resumed(T0 + 17 * DAY)
    assert not clock.is_paused
    assert clock.paused_seconds == 7 * 86400
    assert clock.due_at == T0 + 22 * DAY
    assert not clock.is_overdue(T0 + 22 * DAY)
    assert clock.is_overdue(T0 + 22 * DAY + SECOND)


def test_pauses_add_up() -> None:
    clock = (
        ComplaintClock(started_at=T0)
        .paused(T0 + 1 * DAY)
        .resumed(T0 + 3 * DAY)
        .paused(T0 + 5 * DAY)
        .resumed(T0 + 6 * DAY)
    )
    assert clock.due_at == T0 + 18 * DAY


def test_new_facts_restart_the_clock_from_their_receipt_keeping_the_limit() -> None:
    clock = ComplaintClock(started_at=T0).extended(30).paused(T0 + 2 * DAY)
    restarted = clock.restarted(T0 + 20 * DAY)
    assert restarted.limit_days == 30
    assert not restarted.is_paused
    assert restarted.paused_seconds == 0
    assert restarted.due_at == T0 + 50 * DAY


def test_the_clock_settles_at_its_last_restart_or_the_end_of_its_last_pause() -> None:
    clock = ComplaintClock(started_at=T0)
    assert clock.settled_until == T0
    clock = clock.paused(T0 + 2 * DAY).resumed(T0 + 4 * DAY)
    assert clock.settled_until == T0 + 4 * DAY
    assert clock.restarted(T0 + 3 * DAY).settled_until == T0 + 3 * DAY


def test_resuming_a_running_clock_changes_nothing() -> None:
    clock = ComplaintClock(started_at=T0)
    assert clock.resumed(T0 + DAY) == clock


def test_clock_values_are_immutable() -> None:
    clock = ComplaintClock(started_at=T0)
    clock.paused(T0 + DAY)
    assert not clock.is_paused


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["pause", "resume"]), st.integers(min_value=-3 * 24 * 60, max_value=60 * 24 * 60)
        ),
        max_size=12,
    )
)
def test_the_deadline_moves_by_exactly_the_disjoint_paused_time_never_more_than_elapsed(
    commands: list[tuple[str, int]],
) -> None:
    complaint = reported_complaint()
    paused: list[tuple[datetime, datetime]] = []
    began: datetime | None = None
    latest = T0
    for name, offset in commands:
        at = stamp(timedelta(minutes=offset))
        try:
            if name == "pause":
                complaint.pause_clock(at, reason="鉴定")
            else:
                complaint.resume_clock(at)
        except DomainError:
            continue  # refused: it must change nothing, which the sums below check
        latest = max(latest, at.occurred_at)
        if name == "pause":
            began = at.occurred_at
        else:
            assert began is not None
            paused.append((began, at.occurred_at))
            began = None
    if began is not None:
        latest += timedelta(hours=1)
        complaint.resume_clock(stamp(latest))
        paused.append((began, latest))
    total = sum((end - start for start, end in paused), timedelta())
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(sorted(paused)))
    assert all(start >= T0 for start, _ in paused)
    assert complaint.due_at is not None
    assert complaint.due_at - (T0 + 15 * DAY) == total
    assert total <= latest - T0
