"""An incident at every version of a generated history, on both stores, equals its first n events replayed."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.incident_desk import IncidentDesk
from domain.complaint import Complaint
from domain.values import EmergencyKind, Level
from tests.integration.desk_fixtures import OFFICE, SteppingClock, complaint_fields, fresh_desk
from tests.integration.test_rebuild_equality import COMPLAINT_MOVES, EMERGENCY_MOVES, HANDLING, act

# Moves of the generated history: a move's index (negative: a complaint's next handling step), minutes
# the clock moves on, minutes recorded late.
Move = tuple[int, int, int]
moves = st.lists(
    st.tuples(
        st.integers(min_value=-len(COMPLAINT_MOVES), max_value=len(COMPLAINT_MOVES) - 1),
        st.sampled_from([1, 7, 60, 600]),
        st.sampled_from([0, 0, 0, 30, 24 * 60]),
    ),
    min_size=20,
    max_size=60,
)


def replayed(events: list[Any]) -> Any:
    """The aggregate rebuilt from these events alone, as the library's mutators apply them."""
    aggregate = None
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def generated(desk: IncidentDesk, clock: SteppingClock, complaint: bool, chosen: list[Move]) -> Any:
    opened = clock.advance(minutes=1)
    if complaint:
        result = desk.report_complaint(actor=OFFICE, occurred_at=opened, **complaint_fields())
    else:
        result = desk.report_emergency(
            actor=OFFICE,
            occurred_at=opened,
            outlet="OUT-0101",
            kind=EmergencyKind.FIRE,
            level=Level.ORANGE,
            summary="机房冒烟",
        )
    table = COMPLAINT_MOVES if complaint else EMERGENCY_MOVES
    for index, step, late in chosen:
        at = clock.advance(minutes=step)
        occurred: datetime = max(opened, at - timedelta(minutes=late))  # a late report, after the report
        tried = HANDLING if complaint and index < 0 else [table[index % len(table)]]
        act(desk, result.incident_id, tried, occurred)
    return result.incident_id


def assert_every_version_is_its_prefix_replayed(database_url: str, incident_id: Any) -> int:
    reader = fresh_desk(database_url)  # no cache: every state is read back from the store
    try:
        events = reader.history(incident_id)
        for version in range(1, len(events) + 1):
            at_version = reader.get_incident(incident_id, version=version)
            assert at_version.version == version
            assert vars(at_version) == vars(replayed(events[:version])), f"version {version}"
        return len(events)
    finally:
        reader.close()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(complaint=st.booleans(), chosen=moves)
def test_the_state_at_each_version_is_the_first_n_events_replayed(
    desk: IncidentDesk, clock: SteppingClock, database_url: str, complaint: bool, chosen: list[Move]
) -> None:
    incident_id = generated(desk, clock, complaint, chosen)
    assert_every_version_is_its_prefix_replayed(database_url, incident_id)


def test_a_state_past_a_snapshot_is_the_snapshot_and_the_events_after_it(
    desk: IncidentDesk, clock: SteppingClock, database_url: str
) -> None:
    chosen = [(i, 1, 30 * (i % 2)) for i in range(len(COMPLAINT_MOVES))] * 2
    incident_id = generated(desk, clock, True, chosen)
    for n in range(40):
        desk.act(incident_id, Complaint.add_note(text=f"补记 {n}"), actor=OFFICE, occurred_at=clock.now)
    snapshots = list(desk.snapshots.get(incident_id)) if desk.snapshots else []
    assert len(snapshots) >= 2, "the history is long enough to be snapshotted"
    assert assert_every_version_is_its_prefix_replayed(database_url, incident_id) >= 60
