"""The policies fail loudly and boundedly: one bad event is passed over for the policy it breaks, logged once.

Before, a year-1 report (or an event nobody could decode) made the policy runner start again from
position 0 about once a second, forever, with a full traceback each time, and no policy acted again.
"""

from __future__ import annotations

import logging
from datetime import datetime

import pytest

from application.incident_desk import IncidentDesk
from application.log_tail import LoggedEvent
from application.policies.base import Policy
from application.policies.runner import PolicyRunner
from application.policies.settings import PolicySettings
from domain.complaint import Complaint
from domain.level import Level
from tests.failing_boards import YEAR_ONE, record_unprojectable_report, record_unreadable_event
from tests.integration.test_policies import T0, complaint, grading, level_of, settle

HOURS_LATER = [T0.replace(hour=h) for h in (10, 11, 12)]


class Broken(Policy):
    """A policy with a bug: it raises on every complaint report."""

    name = "broken"
    title = "坏的 Broken"

    def handle(self, logged: LoggedEvent) -> None:
        if isinstance(logged.event, Complaint.Reported):
            raise KeyError("a bug in a policy")

    def tick(self, now: datetime) -> None:
        raise KeyError(f"a bug in a tick at {now:%H}h")


def errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r for r in caplog.records if r.levelno >= logging.ERROR and r.name.startswith("application.policies")
    ]


def test_a_report_the_grading_cannot_take_is_passed_over_and_grading_goes_on(
    desk: IncidentDesk, caplog: pytest.LogCaptureFixture
) -> None:
    poisoned = record_unprojectable_report(desk, occurred_at=YEAR_ONE)
    runner = PolicyRunner(desk, [grading(desk)])
    with caplog.at_level(logging.ERROR):
        settle(runner)
        ids = [complaint(desk, at=at) for at in HOURS_LATER]
        settle(runner)
    assert {level_of(desk, i) for i in ids} == {Level.YELLOW}
    assert runner.restarts == 0
    status = runner.status()
    assert status["passed_over"] == 1
    assert status["recent"][0]["position"] == poisoned
    assert status["recent"][0]["policy"] == "risk-grading"
    assert len(errors(caplog)) == 1
    assert f"position {poisoned}" in errors(caplog)[0].getMessage()


def test_an_event_nobody_can_decode_is_passed_over_once(
    desk: IncidentDesk, caplog: pytest.LogCaptureFixture
) -> None:
    unreadable = record_unreadable_event(desk)
    runner = PolicyRunner(desk, [grading(desk)])
    with caplog.at_level(logging.ERROR):
        settle(runner)
        ids = [complaint(desk, at=at) for at in HOURS_LATER]
        settle(runner)
    assert {level_of(desk, i) for i in ids} == {Level.YELLOW}
    assert [p["position"] for p in runner.status()["recent"]] == [unreadable]
    assert len(errors(caplog)) == 1


def test_a_broken_policy_does_not_stop_the_others_and_its_ticks_are_logged_once(
    desk: IncidentDesk, caplog: pytest.LogCaptureFixture
) -> None:
    runner = PolicyRunner(desk, [Broken(desk, PolicySettings()), grading(desk)])
    with caplog.at_level(logging.ERROR):
        ids = [complaint(desk, at=at) for at in HOURS_LATER]
        settle(runner)
        for _ in range(5):
            runner.tick()
    assert {level_of(desk, i) for i in ids} == {Level.YELLOW}
    assert runner.status()["passed_over"] == 3  # the broken policy's three reports
    tick_errors = [r for r in errors(caplog) if "tick" in r.getMessage()]
    assert len(tick_errors) == 1  # the clock did not move: the same failure, logged once


def test_the_runner_thread_survives_a_bad_event_without_starting_over(desk: IncidentDesk) -> None:
    record_unprojectable_report(desk, occurred_at=YEAR_ONE)
    runner = PolicyRunner(desk, [grading(desk)], tick_seconds=0.05)
    runner.start()
    try:
        ids = [complaint(desk, at=at) for at in HOURS_LATER]
        last = desk.receipts.position_of(ids[-1], 1)
        assert last is not None
        assert runner.wait_for(last, timeout=15)
    finally:
        runner.stop()
    assert runner.restarts == 0
    assert runner.status()["failing"] is None
