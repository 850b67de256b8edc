"""The thresholds on both real stores: history reloaded, and the running policies deciding under the values in force."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from application.errors import AccessDeniedError
from application.incident_desk import IncidentDesk
from application.policies import PolicyRunner, standard_policies
from application.policies.checkpoint import PolicyCheckpoints
from application.thresholds import ThresholdsDesk
from domain.complaint import Complaint
from domain.emergency import Emergency
from domain.thresholds import Thresholds, ThresholdValues
from domain.values import Actor, Category, Level, Role
from interfaces.thresholds_file import ThresholdsFileError, load_thresholds, start_thresholds
from tests.integration.desk_fixtures import SteppingClock, fresh_desk, log_length
from tests.integration.test_policies import (
    ORGANISATION,
    T0,
    complaint,
    emergency,
    last,
    level_of,
    post,
    settle,
    surges,
    tick,
)

HOURS = timedelta(hours=1)
ADMIN = Actor(id="token:admin-1", role=Role.ADMIN, unit="HQ", name="系统管理员 张")


def change(desk: IncidentDesk, reason: str = "试点 pilot", **values: int | None) -> None:
    ThresholdsDesk(desk).change(values, reason=reason, actor=ADMIN)


def runner_of(desk: IncidentDesk, engine: Engine | None = None) -> PolicyRunner:
    checkpoints = PolicyCheckpoints(engine) if engine is not None else None
    return PolicyRunner(desk, standard_policies(desk, ORGANISATION), checkpoints=checkpoints)


def test_the_history_of_the_thresholds_is_stored_and_read_back_by_another_process(
    desk: IncidentDesk, database_url: str, tmp_path: Path
) -> None:
    file = tmp_path / "thresholds.toml"
    file.write_text("related_window_hours = 12\nsurge_waiting_customers = 20\n", encoding="utf-8")
    start_thresholds(desk, file)
    change(desk, "两起即关联 / two are related", related_complaints_for_yellow=2)

    other = fresh_desk(database_url)
    try:
        thresholds = ThresholdsDesk(other)
        assert thresholds.in_force() == ThresholdValues(
            related_window_hours=12, surge_waiting_customers=20, related_complaints_for_yellow=2
        )
        loaded, changed = thresholds.history()
        assert isinstance(loaded, Thresholds.Loaded)
        assert loaded.source == str(file)
        assert isinstance(changed, Thresholds.Changed)
        assert changed.actor == ADMIN
        assert (changed.before, changed.after) == (
            {"related_complaints_for_yellow": 3},
            {"related_complaints_for_yellow": 2},
        )
        assert changed.reason == "两起即关联 / two are related"
        # Started again with the same file: the admin's change stands, nothing is recorded.
        start_thresholds(other, file)
        assert len(thresholds.history()) == 2
        assert thresholds.in_force().related_complaints_for_yellow == 2
    finally:
        other.close()


def test_only_an_admin_changes_the_thresholds(desk: IncidentDesk) -> None:
    start_thresholds(desk, None)
    length = log_length(desk)
    for role in (Role.OFFICE, Role.AUDITOR, Role.BRANCH, Role.CALL_CENTRE, Role.SYSTEM):
        with pytest.raises(AccessDeniedError):
            ThresholdsDesk(desk).change(
                {"related_complaints_for_yellow": 2}, reason="x", actor=Actor(id="t", role=role, unit="HQ")
            )
    assert log_length(desk) == length


def test_a_change_reaches_the_running_policies_at_its_place_in_the_log(desk: IncidentDesk) -> None:
    start_thresholds(desk, None)
    runner = runner_of(desk)
    before = [complaint(desk, outlet="BJ-HD-02"), complaint(desk, outlet="BJ-HD-02", at=T0 + HOURS)]
    settle(runner)
    assert {level_of(desk, i) for i in before} == {Level.BLUE}  # two are not three

    change(desk, related_complaints_for_yellow=2)
    after = [complaint(desk, at=T0 + HOURS), complaint(desk, at=T0 + 2 * HOURS)]
    settle(runner)  # the same runner: no restart
    for incident_id in after:
        raised = last(desk, incident_id)
        assert isinstance(raised, Complaint.Escalated)
        assert raised.level is Level.YELLOW
        assert "(threshold: 2 in 24h)" in raised.reason
        assert "阈值: 24小时内 2 起" in raised.reason
    assert {level_of(desk, i) for i in before} == {Level.BLUE}  # graded when reported, under 3

    # A replay from 0 meets the change where it was made, and decides as the live runner did.
    length = log_length(desk)
    settle(runner_of(desk))
    assert log_length(desk) == length


def test_a_runner_started_from_its_checkpoint_knows_the_thresholds_in_force(
    desk: IncidentDesk, engine: Engine
) -> None:
    start_thresholds(desk, None)
    change(desk, related_complaints_for_yellow=2)
    first = runner_of(desk, engine)
    settle(first)
    first.checkpoint()
    ids = [complaint(desk, outlet="BJ-HD-03"), complaint(desk, outlet="BJ-HD-03", at=T0 + HOURS)]

    second = runner_of(desk, engine)
    settle(second)
    assert second.read < log_length(desk)  # it started from the checkpoint, after the change
    assert {level_of(desk, i) for i in ids} == {Level.YELLOW}


def test_automatic_red_switched_on_counts_the_reports_already_in_the_window(desk: IncidentDesk) -> None:
    start_thresholds(desk, None)
    runner = runner_of(desk)
    first = [
        complaint(desk, outlet="BJ-HD-01", category=Category.BUSINESS_OPERATION),
        complaint(desk, outlet="BJ-HD-02", category=Category.BUSINESS_OPERATION, at=T0 + HOURS),
    ]
    settle(runner)
    change(desk, red_when_outlets_at_least=4)
    complaint(desk, outlet="BJ-CY-01", category=Category.BUSINESS_OPERATION, at=T0 + 2 * HOURS)
    latest = complaint(desk, outlet="BJ-CY-02", category=Category.BUSINESS_OPERATION, at=T0 + 3 * HOURS)
    settle(runner)
    raised = last(desk, latest)
    assert isinstance(raised, Complaint.Escalated)
    assert raised.level is Level.RED
    assert "(threshold: 4 outlets in 24h)" in raised.reason
    assert {level_of(desk, i) for i in first} == {Level.RED}


def test_a_lower_surge_threshold_opens_a_surge_naming_it(desk: IncidentDesk) -> None:
    start_thresholds(desk, None)
    runner = runner_of(desk)
    post(desk, 8, 12.0)
    settle(runner)
    assert surges(desk) == []  # 8 waiting is under 15
    change(desk, surge_waiting_customers=5)
    post(desk, 8, 12.0, outlet="BJ-HD-02")
    settle(runner)
    [surge] = surges(desk)
    reported = desk.history(surge)[0]
    assert isinstance(reported, Emergency.Reported)
    assert "threshold: 5 waiting and 10 min" in reported.summary
    assert "阈值: 5 人以上且等候 10 分钟以上" in reported.summary


def test_a_shorter_idle_threshold_flags_an_emergency_sooner(desk: IncidentDesk, clock: SteppingClock) -> None:
    start_thresholds(desk, None)
    incident_id = emergency(desk)
    runner = runner_of(desk)
    settle(runner)
    change(desk, emergency_idle_minutes=10)
    settle(runner)
    clock.now = T0 + timedelta(minutes=11)
    tick(runner)
    assert isinstance(last(desk, incident_id), Emergency.IdleFlagged)  # the default waits 30 minutes


def test_a_bad_thresholds_file_is_refused_naming_the_key(tmp_path: Path) -> None:
    file = tmp_path / "thresholds.json"
    file.write_text('{"related_window_hours": 24, "deadline_warning_days": 30}', encoding="utf-8")
    with pytest.raises(ThresholdsFileError) as refused:
        load_thresholds(file)
    assert refused.value.key == "deadline_warning_days"
    assert "deadline_warning_days" in str(refused.value)
    assert str(file) in str(refused.value)
    bad = tmp_path / "thresholds.toml"
    bad.write_text("related_window_hours = [", encoding="utf-8")
    with pytest.raises(ThresholdsFileError, match="not valid TOML"):
        load_thresholds(bad)


def test_automatic_red_switched_off_again_leaves_red_to_the_office(desk: IncidentDesk) -> None:
    start_thresholds(desk, None)
    runner = runner_of(desk)
    change(desk, red_when_outlets_at_least=4)
    complaint(desk, outlet="BJ-HD-01", category=Category.FINANCIAL_CRIME)
    settle(runner)  # the branch groups are built
    change(desk, red_when_outlets_at_least=None)
    ids = [
        complaint(desk, outlet=outlet, category=Category.FINANCIAL_CRIME, at=T0 + n * HOURS)
        for n, outlet in enumerate(["BJ-HD-02", "BJ-CY-01", "BJ-CY-02"], start=1)
    ]
    settle(runner)
    assert Level.RED not in {level_of(desk, i) for i in ids}
