"""Which events stood at an instant: a prefix in version order, on the recorded or the occurred axis."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from hypothesis import given
from hypothesis import strategies as st

from domain.moments import CLOCK_SKEW_TOLERANCE, LATE_REPORT_AFTER, is_late
from domain.time_travel import Axis, versions_by
from domain.time_travel import Dated as DatedEvent

from .builders import T0, minutes, reported_complaint, stamp


@dataclass(frozen=True)
class Dated:
    occurred_at: datetime
    timestamp: datetime


def test_a_late_report_waits_on_the_occurred_axis_for_every_event_before_it() -> None:
    complaint = reported_complaint(stamp=stamp(minutes(0)))
    complaint.acknowledge(stamp(minutes(30)))
    # Written an hour after it happened, before the acknowledgement it is recorded after.
    complaint.apologise(stamp(minutes(10), recorded_after=minutes(60)))
    events = cast(list[DatedEvent], complaint.collect_events())
    assert versions_by(events, T0 + minutes(15), Axis.OCCURRED) == 1  # v3 happened, but v2 not yet
    assert versions_by(events, T0 + minutes(30), Axis.OCCURRED) == 3
    assert versions_by(events, T0 + minutes(30), Axis.RECORDED) == 2  # not yet written down
    assert versions_by(events, T0 + minutes(70), Axis.RECORDED) == 3
    assert versions_by(events, T0 - minutes(1), Axis.RECORDED) == 0


def moment(event: Dated, axis: Axis) -> datetime:
    return event.timestamp if axis is Axis.RECORDED else event.occurred_at


moments = st.integers(min_value=0, max_value=10_000).map(lambda s: T0 + timedelta(seconds=s))


@given(st.lists(st.tuples(moments, moments), max_size=30), moments, st.sampled_from(list(Axis)))
def test_the_count_is_the_longest_prefix_standing_by_the_instant(
    pairs: list[tuple[datetime, datetime]], instant: datetime, axis: Axis
) -> None:
    events = [Dated(occurred_at=o, timestamp=r) for o, r in pairs]
    count = versions_by(events, instant, axis)
    assert all(moment(e, axis) <= instant for e in events[:count])
    assert count == len(events) or moment(events[count], axis) > instant


def test_late_means_recorded_beyond_the_clock_skew_the_domain_tolerates() -> None:
    assert LATE_REPORT_AFTER == CLOCK_SKEW_TOLERANCE
    assert not is_late(T0, T0 + LATE_REPORT_AFTER)
    assert is_late(T0, T0 + LATE_REPORT_AFTER + timedelta(microseconds=1))
    assert not is_late(T0 + minutes(4), T0)  # the branch's clock ran ahead: early, not late
