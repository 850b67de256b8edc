"""The policies' commands run in batches: stored before the runner moves on, in order per incident, failures bounded.

In a storm the policies' own commits were the lag: each command waited for its own. Now the commands a
batch of events calls for run side by side and share commits; these tests hold what must not change.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from application.incident_desk import IncidentDesk
from application.log_tail import LoggedEvent
from application.policies.base import Policy
from application.policies.runner import PolicyRunner
from application.policies.settings import PolicySettings
from domain.complaint import Complaint
from domain.incident import Incident
from tests.integration.test_policies import T0, complaint, events_of, settle


class Noter(Policy):
    """Adds two notes, in order, to every complaint reported (and a broken one to `spoilt` complaints)."""

    name = "noter"
    title = "记录员 Noter"

    def reset(self) -> None:
        self.spoilt: set[UUID] = set()

    def handle(self, logged: LoggedEvent) -> None:
        if not isinstance(logged.event, Complaint.Reported):
            return
        incident = logged.event.originator_id
        for n in (1, 2):
            self.act(incident, Incident.add_note(text=f"第{n}条 note {n}"), f"policy:noter:{incident}:{n}")
        if incident in self.spoilt:
            # Not JSON: the desk cannot even fingerprint it — a bug, not a refusal.
            bad = Incident.add_note(text=object())  # type: ignore[arg-type]
            self.act(incident, bad, f"policy:noter:{incident}:bad")


def notes(desk: IncidentDesk, incident_id: UUID) -> list[str]:
    return [e.text for e in events_of(desk, incident_id) if type(e).__name__ == "NoteAdded"]


def test_every_command_a_batch_calls_for_is_stored_in_order_before_the_position_moves_past_it(
    desk: IncidentDesk,
) -> None:
    ids = [complaint(desk, outlet=f"BJ-HD-0{1 + n % 4}", at=T0 + timedelta(minutes=n)) for n in range(60)]
    runner = PolicyRunner(desk, [Noter(desk, PolicySettings())])
    handled = runner.catch_up()
    assert handled == 60
    assert runner.position == desk.receipts.position_of(ids[-1], 1)  # its own notes came after
    for incident in ids:
        assert notes(desk, incident) == ["第1条 note 1", "第2条 note 2"]


def test_a_command_that_fails_otherwise_than_by_refusal_is_passed_over_for_its_policy_and_event(
    desk: IncidentDesk,
) -> None:
    ids = [complaint(desk, at=T0 + timedelta(minutes=n)) for n in range(5)]
    noter = Noter(desk, PolicySettings())
    noter.spoilt.add(ids[2])
    runner = PolicyRunner(desk, [noter])
    settle(runner)
    spoilt_at = desk.receipts.position_of(ids[2], 1)
    status = runner.status()
    assert status["passed_over"] == 1
    assert [(p["position"], p["policy"]) for p in status["recent"]] == [(spoilt_at, "noter")]
    assert "TypeError" in status["recent"][0]["reason"]
    for incident in ids:  # the others in the batch, and the spoilt one's good notes, are stored
        assert notes(desk, incident) == ["第1条 note 1", "第2条 note 2"]
    assert status["failing"] is None


def test_a_replayed_batch_records_nothing_again(desk: IncidentDesk) -> None:
    ids = [complaint(desk, at=T0 + timedelta(minutes=n)) for n in range(10)]
    settle(PolicyRunner(desk, [Noter(desk, PolicySettings())]))
    length = desk.recorder.max_notification_id()
    again = Noter(desk, PolicySettings())
    settle(PolicyRunner(desk, [again]))
    assert desk.recorder.max_notification_id() == length
    assert all(notes(desk, i) == ["第1条 note 1", "第2条 note 2"] for i in ids)


def test_a_policy_used_without_a_runner_acts_at_once(desk: IncidentDesk) -> None:
    incident = complaint(desk)
    noter = Noter(desk, PolicySettings())
    result = noter.act(incident, Incident.add_note(text="现在 now"), "policy:noter:now")
    assert result is not None
    assert notes(desk, incident) == ["现在 now"]


def test_a_reader_that_waited_for_a_position_sees_what_the_policies_did_about_it(desk: IncidentDesk) -> None:
    runner = PolicyRunner(desk, [Noter(desk, PolicySettings())], tick_seconds=60)
    runner.start()
    try:
        for n in range(20):
            incident = complaint(desk, at=T0 + timedelta(minutes=n))
            position = desk.receipts.position_of(incident, 1)
            assert position is not None
            assert runner.wait_for(position, timeout=15)
            assert notes(desk, incident) == ["第1条 note 1", "第2条 note 2"]
    finally:
        runner.stop()
