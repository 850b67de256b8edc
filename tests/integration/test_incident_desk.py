"""The command API on both real stores: ids, idempotency, versions, refusals, concurrency."""

from __future__ import annotations

import threading
import uuid

import pytest

from application.errors import (
    AccessDeniedError,
    CommandIdReusedError,
    IncidentKindError,
    IncidentNotFoundError,
    VersionConflictError,
)
from application.incident_desk import IncidentDesk
from application.store.database_url import store_env
from domain.commands import Command
from domain.complaint import Complaint
from domain.emergency import Emergency
from domain.errors import RuleBrokenError
from domain.incident import Incident
from domain.values import ComplaintOutcome
from tests.integration.desk_fixtures import (
    OFFICE,
    T0,
    TELLER,
    SteppingClock,
    complaint_fields,
    emergency_fields,
    fresh_desk,
    log_length,
    report_complaint,
)


def test_a_complaint_is_stored_under_the_id_the_branch_chose(desk: IncidentDesk, database_url: str) -> None:
    chosen = uuid.uuid4()
    result = desk.report_complaint(actor=TELLER, occurred_at=T0, incident_id=chosen, **complaint_fields())
    assert result.incident_id == chosen
    assert result.version == 1
    complaint = fresh_desk(database_url).get_incident(chosen)
    assert isinstance(complaint, Complaint)
    assert complaint.outlet == "OUT-0101"


def test_an_event_keeps_who_did_it_when_it_happened_and_when_it_was_recorded(
    desk: IncidentDesk, clock: SteppingClock, database_url: str
) -> None:
    incident_id = report_complaint(desk)
    clock.advance(hours=3)  # the branch reports late: it happened at T0, is recorded three hours on
    desk.act(incident_id, Complaint.apologise(note="当面道歉"), actor=TELLER, occurred_at=T0)
    event = fresh_desk(database_url).history(incident_id)[-1]
    assert type(event).__name__ == "Apologised"
    assert event.actor == TELLER  # type: ignore[attr-defined]
    assert event.occurred_at == T0  # type: ignore[attr-defined]
    assert event.timestamp == clock.now


def test_a_command_returns_the_new_version_and_the_log_position_of_its_event(
    desk: IncidentDesk,
) -> None:
    incident_id = report_complaint(desk)
    result = desk.act(incident_id, Complaint.acknowledge(), actor=TELLER, occurred_at=T0)
    assert result.version == 2
    assert result.position == log_length(desk)
    assert not result.replayed


def test_replaying_a_command_id_returns_the_original_result_and_records_nothing(
    desk: IncidentDesk,
) -> None:
    incident_id = report_complaint(desk)
    first = desk.act(
        incident_id, Complaint.acknowledge(), actor=TELLER, occurred_at=T0, command_id="cmd-ack-1"
    )
    length = log_length(desk)
    again = desk.act(
        incident_id, Complaint.acknowledge(), actor=TELLER, occurred_at=T0, command_id="cmd-ack-1"
    )
    assert (again.incident_id, again.version, again.position) == (
        first.incident_id,
        first.version,
        first.position,
    )
    assert again.replayed
    assert log_length(desk) == length


def test_a_command_id_reused_with_a_different_payload_is_refused(desk: IncidentDesk) -> None:
    incident_id = report_complaint(desk)
    desk.act(
        incident_id,
        Complaint.add_note(text="a"),
        actor=TELLER,
        occurred_at=T0,
        command_id="c-1",
    )
    length = log_length(desk)
    with pytest.raises(CommandIdReusedError) as refused:
        desk.act(
            incident_id,
            Complaint.add_note(text="b"),
            actor=TELLER,
            occurred_at=T0,
            command_id="c-1",
        )
    assert refused.value.code == "command_id_reused"
    assert log_length(desk) == length


def test_reporting_the_same_incident_again_is_a_no_op_but_a_different_report_is_refused(
    desk: IncidentDesk,
) -> None:
    chosen = uuid.uuid4()
    first = desk.report_complaint(actor=TELLER, occurred_at=T0, incident_id=chosen, **complaint_fields())
    again = desk.report_complaint(actor=TELLER, occurred_at=T0, incident_id=chosen, **complaint_fields())
    assert again.replayed
    assert again.position == first.position
    length = log_length(desk)
    with pytest.raises(RuleBrokenError):
        desk.report_complaint(
            actor=TELLER, occurred_at=T0, incident_id=chosen, **complaint_fields(summary="other")
        )
    assert log_length(desk) == length


def test_a_stale_expected_version_is_a_conflict_and_records_nothing(desk: IncidentDesk) -> None:
    incident_id = report_complaint(desk)
    desk.act(incident_id, Complaint.acknowledge(), actor=TELLER, occurred_at=T0, expected_version=1)
    length = log_length(desk)
    with pytest.raises(VersionConflictError) as conflict:
        desk.act(incident_id, Complaint.apologise(), actor=TELLER, occurred_at=T0, expected_version=1)
    assert conflict.value.code == "version_conflict"
    assert log_length(desk) == length


def test_a_refused_command_records_nothing(desk: IncidentDesk) -> None:
    incident_id = report_complaint(desk)
    length = log_length(desk)
    with pytest.raises(RuleBrokenError):  # nothing was proposed, so nothing can be carried out
        desk.act(incident_id, Complaint.carry_out_solution(), actor=TELLER, occurred_at=T0)
    assert log_length(desk) == length
    assert desk.get_incident(incident_id).version == 1


def test_a_command_for_the_other_kind_is_not_found_and_records_nothing(desk: IncidentDesk) -> None:
    incident_id = report_complaint(desk)
    length = log_length(desk)
    with pytest.raises(IncidentKindError) as wrong_kind:
        desk.act(incident_id, Emergency.stand_down(summary="x"), actor=OFFICE, occurred_at=T0)
    assert wrong_kind.value.code == "not_found"
    assert f"incident {incident_id} is not an emergency" == wrong_kind.value.message
    assert log_length(desk) == length


def test_a_command_of_either_kind_runs_the_incident_s_own_rules(desk: IncidentDesk) -> None:
    complaint_id = report_complaint(desk)
    emergency_id = desk.report_emergency(actor=TELLER, occurred_at=T0, **emergency_fields()).incident_id
    for incident_id in (complaint_id, emergency_id):
        result = desk.act(incident_id, Incident.add_note(text="两类共用"), actor=TELLER, occurred_at=T0)
        assert result.version == 2


def test_a_command_made_by_the_caller_for_the_loaded_kind_is_run(desk: IncidentDesk) -> None:
    incident_id = report_complaint(desk)
    kinds: list[type] = []

    def command_for(kind: type[Complaint] | type[Emergency]) -> Command[Incident]:
        kinds.append(kind)
        return kind.add_note(text="只知编号")

    assert desk.act(incident_id, command_for, actor=TELLER, occurred_at=T0).version == 2
    assert kinds == [Complaint]


def test_the_access_check_runs_on_the_loaded_incident_before_the_command(desk: IncidentDesk) -> None:
    incident_id = report_complaint(desk)
    seen: list[tuple[int, str]] = []

    def authorise(incident: Complaint | Emergency, command: Command[Incident]) -> None:
        seen.append((incident.version, command.name))
        if command.name == "close":
            raise AccessDeniedError("not yours to close")

    desk.act(incident_id, Complaint.acknowledge(), actor=TELLER, occurred_at=T0, authorise=authorise)
    length = log_length(desk)
    closing = Complaint.close(outcome=ComplaintOutcome.WITHDRAWN, summary="撤回")
    with pytest.raises(AccessDeniedError):
        desk.act(incident_id, closing, actor=TELLER, occurred_at=T0, command_id="k-1", authorise=authorise)
    assert seen == [(1, "acknowledge"), (2, "close")]
    assert log_length(desk) == length


def test_acting_on_an_unknown_incident_is_not_found(desk: IncidentDesk) -> None:
    with pytest.raises(IncidentNotFoundError):
        desk.act(uuid.uuid4(), Complaint.acknowledge(), actor=TELLER, occurred_at=T0)


def test_concurrent_commands_on_one_incident_are_all_recorded_in_sequence(
    desk: IncidentDesk, database_url: str
) -> None:
    incident_id = report_complaint(desk)
    notes = [f"note {i}" for i in range(40)]
    threads = [
        threading.Thread(
            target=desk.act,
            args=(incident_id, Complaint.add_note(text=n)),
            kwargs={"actor": TELLER, "occurred_at": T0},
        )
        for n in notes
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    history = fresh_desk(database_url).history(incident_id)
    assert [e.originator_version for e in history] == list(range(1, 42))
    assert sorted(e.text for e in history[1:]) == sorted(notes)  # type: ignore[attr-defined]


def test_loading_a_long_history_reads_no_more_than_one_snapshot_interval(
    desk: IncidentDesk, database_url: str
) -> None:
    incident_id = report_complaint(desk)
    for i in range(120):
        desk.act(incident_id, Complaint.add_note(text=f"{i}"), actor=TELLER, occurred_at=T0)
    reader = fresh_desk(database_url)
    read: list[int] = []
    select_events = reader.recorder.select_events

    def counting_select(*args, **kwargs):  # type: ignore[no-untyped-def]
        rows = select_events(*args, **kwargs)
        read.append(len(rows))
        return rows

    reader.recorder.select_events = counting_select  # type: ignore[method-assign]
    complaint = reader.get_incident(incident_id)
    assert complaint.version == 121
    assert sum(read) < 25  # events after the latest snapshot only
    reader.close()


def test_two_desks_with_their_own_caches_on_one_store_lose_nothing(
    desk: IncidentDesk, database_url: str
) -> None:
    """As two server processes would: each cache goes stale when the other writes."""
    other = IncidentDesk(store_env(database_url))
    incident_id = report_complaint(desk)
    desk.act(incident_id, Complaint.add_note(text="a1"), actor=TELLER, occurred_at=T0)
    other.act(incident_id, Complaint.add_note(text="b1"), actor=OFFICE, occurred_at=T0)
    result = desk.act(incident_id, Complaint.add_note(text="a2"), actor=TELLER, occurred_at=T0)
    assert result.version == 4  # desk's cached copy was at 2: it re-read the store instead of failing
    seen_by_client = other.act(incident_id, Complaint.add_note(text="b2"), actor=OFFICE, occurred_at=T0)
    # A client that saw version 5 through the other desk is not refused by this desk's stale cache.
    final = desk.act(
        incident_id,
        Complaint.add_note(text="a3"),
        actor=TELLER,
        occurred_at=T0,
        expected_version=seen_by_client.version,
    )
    assert final.version == 6
    texts = [e.text for e in fresh_desk(database_url).history(incident_id)[1:]]  # type: ignore[attr-defined]
    assert texts == ["a1", "b1", "a2", "b2", "a3"]
    other.close()
