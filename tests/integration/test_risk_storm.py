"""Risk grading in a storm: the policy raises exactly what a brute force over every window says, in any order.

A storm is when the grading matters most; it must decide the same whether reports arrive one by one
or a thousand at once, late ones included, and at the same cost per report however long it lasts.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.incident_desk import IncidentDesk
from domain.level import Level
from tests.integration.test_policies import ORGANISATION, T0, complaint, grading, level_of, run, settle

WINDOW = timedelta(hours=24)
OUTLETS = ["BJ-HD-01", "BJ-HD-02", "BJ-HD-03", "BJ-HD-04", "BJ-CY-01"]
# Each generated storm happens in its own month, so storms of earlier examples never relate to it.
STORM_MONTHS = itertools.count(1)


def deserved(reports: list[tuple[datetime, str]]) -> list[Level]:
    """The level each report deserves, by brute force over every window that can matter."""
    levels = [Level.BLUE] * len(reports)
    starts = {t - WINDOW for t, _ in reports} | {t for t, _ in reports}
    sub_branch = {o: ORGANISATION.path(o)[-2].code for o in OUTLETS}
    for start in starts:
        held = [i for i, (t, _) in enumerate(reports) if start <= t <= start + WINDOW]
        for outlet in OUTLETS:
            here = [i for i in held if reports[i][1] == outlet]
            if len(here) >= 3:
                for i in here:
                    levels[i] = max(levels[i], Level.YELLOW, key=lambda lv: lv.rank)
        for unit in set(sub_branch.values()):
            under = [i for i in held if sub_branch[reports[i][1]] == unit]
            if len({reports[i][1] for i in under}) >= 3:
                for i in under:
                    levels[i] = max(levels[i], Level.ORANGE, key=lambda lv: lv.rank)
    return levels


storms = st.lists(
    st.tuples(st.integers(min_value=0, max_value=3 * 24 * 60), st.sampled_from(OUTLETS)),
    min_size=1,
    max_size=25,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(storm=storms, one_by_one=st.booleans())
def test_a_storm_is_graded_as_a_brute_force_over_every_window_says(
    desk: IncidentDesk, storm: list[tuple[int, str]], one_by_one: bool
) -> None:
    month = T0 + next(STORM_MONTHS) * timedelta(days=31)
    reports = [(month + timedelta(minutes=m), outlet) for m, outlet in storm]
    runner = run(desk, grading(desk))
    ids: list[UUID] = []
    for at, outlet in reports:  # in the order generated: late reports arrive after later ones
        ids.append(complaint(desk, outlet=outlet, at=at))
        if one_by_one:
            settle(runner)
    settle(runner)
    assert [level_of(desk, i) for i in ids] == deserved(reports)


def test_a_storm_of_related_complaints_raises_each_once_and_a_quiet_outlet_elsewhere_still_turns_yellow(
    desk: IncidentDesk,
) -> None:
    runner = run(desk, grading(desk))
    storm = [complaint(desk, outlet=OUTLETS[n % 4], at=T0 + timedelta(seconds=n)) for n in range(600)]
    quiet = [complaint(desk, outlet="BJ-CY-01", at=T0 + timedelta(minutes=20 + n)) for n in range(3)]
    settle(runner)
    assert {level_of(desk, i) for i in storm} == {Level.ORANGE}
    assert {level_of(desk, i) for i in quiet} == {Level.YELLOW}
    escalations = [e for i in storm for e in desk.history(i) if type(e).__name__ == "Escalated"]
    assert len(escalations) == len(storm)  # one raise each, straight to orange
