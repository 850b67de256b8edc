"""首问责任制: a complaint is owned until handed over, an emergency has a person in charge; staff have posts."""

from dataclasses import replace
from uuid import uuid4

from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    UUIDAsHex,
)

from application.transcodings import domain_transcodings
from domain.complaint import Complaint
from domain.emergency import Emergency
from domain.errors import (
    AlreadyDoneError,
    AlreadyInChargeError,
    AlreadyOwnedError,
    IncidentClosedError,
    InvalidInputError,
    NotResponsibleError,
    NotTheReceiverError,
)
from domain.playbooks import find_action
from domain.values import Actor, EmergencyKind, Level, Position, Role

from .builders import (
    BRANCH_HEAD,
    CALL_CENTRE,
    OFFICE,
    POSTED_BRANCH_HEAD,
    POSTED_GUARD,
    POSTED_LOBBY_MANAGER,
    closed_emergency,
    minutes,
    refused,
    reported_complaint,
    resolved_complaint,
    stamp,
)

OTHER_OUTLETS_HEAD = replace(POSTED_BRANCH_HEAD, id="token:head0202", unit="0202", name="陈主任 网点负责人")


def owned_by_lobby_manager() -> Complaint:
    complaint = reported_complaint()
    complaint.acknowledge(stamp(minutes(1), actor=POSTED_LOBBY_MANAGER))
    return complaint


def handed_to_branch_head(complaint: Complaint) -> Complaint:
    complaint.hand_over(
        stamp(minutes(5), actor=POSTED_LOBBY_MANAGER),
        to="王主任",
        reason="客户问题属特殊处理，移地由网点负责人解释",
        to_position=Position.BRANCH_HEAD,
    )
    return complaint


# -- positions ----------------------------------------------------------------------------


def test_the_five_branch_posts_have_chinese_and_english_labels() -> None:
    labels = {p.value: (p.zh, p.en) for p in Position}
    assert labels == {
        "branch_head": ("网点负责人", "Branch head"),
        "lobby_manager": ("大堂经理", "Lobby manager"),
        "teller": ("柜员", "Teller"),
        "customer_manager": ("客户经理", "Customer manager"),
        "security_guard": ("保安", "Security guard"),
    }


def test_every_event_records_the_actors_post() -> None:
    complaint = owned_by_lobby_manager()
    acknowledged = complaint.collect_events()[-1]
    assert acknowledged.actor.position is Position.LOBBY_MANAGER  # type: ignore[attr-defined]


def test_the_playbook_actions_the_seed_gives_to_a_post_name_it() -> None:
    explains = find_action(EmergencyKind.BANK_RUN, "branch_head_explains")
    keeps_order = find_action(EmergencyKind.BANK_RUN, "security_keeps_order")
    evacuates = find_action(EmergencyKind.ROBBERY, "evacuate_customers")
    diverts = find_action(EmergencyKind.CUSTOMER_SURGE, "divert_customers")
    calls_police = find_action(EmergencyKind.ROBBERY, "call_police")
    assert explains is not None
    assert explains.by_position is Position.BRANCH_HEAD
    assert keeps_order is not None
    assert keeps_order.by_position is Position.SECURITY_GUARD
    assert evacuates is not None
    assert evacuates.by_position is Position.SECURITY_GUARD
    assert diverts is not None
    assert diverts.by_position is Position.LOBBY_MANAGER
    assert calls_police is not None
    assert calls_police.by_position is None


def _store_mapper() -> Mapper:
    transcoder = JSONTranscoder()
    for transcoding in [UUIDAsHex(), DatetimeAsISO(), DecimalAsStr(), *domain_transcodings()]:
        transcoder.register(transcoding)
    return Mapper(transcoder=transcoder)


def test_an_event_stored_before_positions_existed_decodes_with_no_position() -> None:
    complaint = reported_complaint()
    # An Acknowledged exactly as the release before positions stored it: its actor has no position.
    state = (
        '{"timestamp":{"_type_":"datetime_iso","_data_":"2024-03-01T09:01:00+00:00"},'
        '"actor":{"_type_":"domain.actors:Actor","_data_":{"id":"u-0101-lobby",'
        '"role":{"_type_":"domain.actors:Role","_data_":"branch"},"unit":"0101","name":"李经理"}},'
        '"occurred_at":{"_type_":"datetime_iso","_data_":"2024-03-01T09:01:00+00:00"}}'
    )
    stored = StoredEvent(
        originator_id=complaint.id,
        originator_version=2,
        topic="domain.complaint:Complaint.Acknowledged",
        state=state.encode(),
    )
    event = _store_mapper().to_domain_event(stored)
    assert event.actor == Actor(id="u-0101-lobby", role=Role.BRANCH, unit="0101", name="李经理")  # type: ignore[attr-defined]
    assert event.actor.position is None  # type: ignore[attr-defined]
    event.mutate(complaint)
    assert complaint.owner is not None
    assert complaint.owner.name == "李经理"


def test_a_pending_handover_survives_the_stores_encoding() -> None:
    complaint = handed_to_branch_head(owned_by_lobby_manager())
    mapper = _store_mapper()
    snapshot = Complaint.Snapshot.take(complaint)
    reloaded = mapper.to_domain_event(mapper.to_stored_event(snapshot)).mutate(None)  # type: ignore[attr-defined]
    assert reloaded.pending_handover == complaint.pending_handover
    assert reloaded.pending_handover.by.position is Position.LOBBY_MANAGER


# -- a complaint is owned until handed over -------------------------------------------------


def test_without_a_handover_a_second_person_still_cannot_take_an_owned_complaint() -> None:
    complaint = owned_by_lobby_manager()
    refused(
        complaint,
        AlreadyOwnedError,
        lambda: complaint.acknowledge(stamp(minutes(2), actor=POSTED_BRANCH_HEAD)),
    )


def test_the_owner_hands_over_and_stays_the_owner_until_the_receiver_acknowledges() -> None:
    complaint = handed_to_branch_head(owned_by_lobby_manager())
    [handed] = complaint.collect_events()[-1:]
    assert isinstance(handed, Complaint.HandedOver)
    assert handed.from_person == POSTED_LOBBY_MANAGER
    assert (handed.to, handed.to_position, handed.to_office) == ("王主任", Position.BRANCH_HEAD, False)
    assert complaint.owner == POSTED_LOBBY_MANAGER
    assert complaint.responsible == POSTED_LOBBY_MANAGER
    assert complaint.pending_handover is not None
    assert complaint.pending_handover.receiver == "王主任 (网点负责人)"


def test_the_receivers_acknowledgment_makes_them_the_owner() -> None:
    complaint = handed_to_branch_head(owned_by_lobby_manager())
    first_acknowledged_at = complaint.acknowledged_at
    complaint.acknowledge(stamp(minutes(8), actor=POSTED_BRANCH_HEAD))
    accepted = complaint.collect_events()[-1]
    assert isinstance(accepted, Complaint.HandoverAccepted)
    assert accepted.from_owner == POSTED_LOBBY_MANAGER
    assert complaint.owner == POSTED_BRANCH_HEAD
    assert complaint.pending_handover is None
    # The statistics' "hours to acknowledge" count the first person asked, not the handover.
    assert complaint.acknowledged_at == first_acknowledged_at
    # Taken up once: the former owner cannot take it back without a new handover.
    refused(
        complaint,
        AlreadyOwnedError,
        lambda: complaint.acknowledge(stamp(minutes(9), actor=POSTED_LOBBY_MANAGER)),
    )


def test_only_the_owner_hands_over() -> None:
    complaint = owned_by_lobby_manager()
    error = refused(
        complaint,
        NotResponsibleError,
        lambda: complaint.hand_over(stamp(minutes(2), actor=POSTED_GUARD), to="王主任", reason="x"),
    )
    assert error.code == "not_responsible"
    assert "李经理 大堂经理" in error.message


def test_an_unowned_complaint_has_nothing_to_hand_over() -> None:
    complaint = reported_complaint()
    refused(
        complaint,
        NotResponsibleError,
        lambda: complaint.hand_over(stamp(minutes(2)), to="王主任", reason="x"),
    )


def test_the_owner_under_a_rotated_token_is_still_the_owner() -> None:
    complaint = owned_by_lobby_manager()
    rotated = replace(POSTED_LOBBY_MANAGER, id="token:lobby0101-new")
    complaint.hand_over(stamp(minutes(2), actor=rotated), to="王主任", reason="换班")
    assert complaint.pending_handover is not None


def test_a_closed_complaint_cannot_be_handed_over() -> None:
    complaint = resolved_complaint()
    owner = complaint.owner
    assert owner is not None
    error = refused(
        complaint,
        IncidentClosedError,
        lambda: complaint.hand_over(stamp(minutes(60 * 24 * 2), actor=owner), to="王主任", reason="x"),
    )
    assert "hand_over" in error.message


def test_someone_the_handover_did_not_name_cannot_take_it_up() -> None:
    complaint = handed_to_branch_head(owned_by_lobby_manager())
    for outsider in (POSTED_GUARD, OTHER_OUTLETS_HEAD, BRANCH_HEAD, OFFICE, CALL_CENTRE):
        s = stamp(minutes(8), actor=outsider)
        error = refused(complaint, NotTheReceiverError, lambda s=s: complaint.acknowledge(s))
        assert "王主任 (网点负责人)" in error.message
    assert complaint.owner == POSTED_LOBBY_MANAGER


def test_the_giver_acknowledging_again_is_told_it_waits_for_the_receiver() -> None:
    complaint = handed_to_branch_head(owned_by_lobby_manager())
    error = refused(
        complaint,
        AlreadyOwnedError,
        lambda: complaint.acknowledge(stamp(minutes(8), actor=POSTED_LOBBY_MANAGER)),
    )
    assert "王主任" in error.message


def test_a_branch_hands_a_complaint_over_to_the_office_and_only_the_office_takes_it() -> None:
    complaint = owned_by_lobby_manager()
    complaint.hand_over(
        stamp(minutes(5), actor=POSTED_LOBBY_MANAGER), to="赵处长", reason="媒体关注", to_office=True
    )
    refused(
        complaint,
        NotTheReceiverError,
        lambda: complaint.acknowledge(stamp(minutes(6), actor=POSTED_BRANCH_HEAD)),
    )
    complaint.acknowledge(stamp(minutes(7), actor=OFFICE))
    assert complaint.owner == OFFICE


def test_a_handover_without_a_post_may_be_taken_by_any_staff_of_the_outlet() -> None:
    complaint = owned_by_lobby_manager()
    complaint.hand_over(stamp(minutes(5), actor=POSTED_LOBBY_MANAGER), to="当班柜员", reason="下班交接")
    refused(
        complaint,
        NotTheReceiverError,
        lambda: complaint.acknowledge(stamp(minutes(6), actor=OTHER_OUTLETS_HEAD)),
    )
    complaint.acknowledge(stamp(minutes(6), actor=POSTED_GUARD))
    assert complaint.owner == POSTED_GUARD


def test_a_handover_to_the_office_names_no_branch_post_and_needs_a_receiver_and_a_reason() -> None:
    complaint = owned_by_lobby_manager()
    s = stamp(minutes(5), actor=POSTED_LOBBY_MANAGER)
    error = refused(
        complaint,
        InvalidInputError,
        lambda: complaint.hand_over(s, to="赵处长", reason="x", to_office=True, to_position=Position.TELLER),
    )
    assert error.field == "to_position"
    assert (
        refused(complaint, InvalidInputError, lambda: complaint.hand_over(s, to=" ", reason="x")).field
        == "to"
    )
    assert (
        refused(complaint, InvalidInputError, lambda: complaint.hand_over(s, to="王主任", reason="")).field
        == "reason"
    )


def test_a_new_handover_replaces_one_not_yet_taken_up() -> None:
    complaint = handed_to_branch_head(owned_by_lobby_manager())
    complaint.hand_over(
        stamp(minutes(6), actor=POSTED_LOBBY_MANAGER), to="赵处长", reason="行长不在", to_office=True
    )
    refused(
        complaint,
        NotTheReceiverError,
        lambda: complaint.acknowledge(stamp(minutes(7), actor=POSTED_BRANCH_HEAD)),
    )
    complaint.acknowledge(stamp(minutes(7), actor=OFFICE))
    assert complaint.owner == OFFICE


# -- an emergency has a person in charge ----------------------------------------------------


def reported_emergency() -> Emergency:
    return Emergency.report(
        incident_id=uuid4(),
        stamp=stamp(actor=POSTED_LOBBY_MANAGER),
        outlet="0101",
        kind=EmergencyKind.BANK_RUN,
        level=Level.ORANGE,
        summary="储户聚集要求取款",
    )


def test_nobody_is_in_charge_until_someone_takes_charge() -> None:
    emergency = reported_emergency()
    assert emergency.in_charge is None
    assert not emergency.branch_head_took_charge
    emergency.take_charge(stamp(minutes(1), actor=POSTED_LOBBY_MANAGER))
    taken = emergency.collect_events()[-1]
    assert isinstance(taken, Emergency.ChargeTaken)
    assert taken.took_over_from is None
    assert emergency.in_charge == POSTED_LOBBY_MANAGER
    assert not emergency.branch_head_took_charge


def test_the_branch_head_takes_charge_from_whoever_stood_in() -> None:
    emergency = reported_emergency()
    emergency.take_charge(stamp(minutes(1), actor=POSTED_LOBBY_MANAGER))
    emergency.take_charge(stamp(minutes(3), actor=POSTED_BRANCH_HEAD))
    taken = emergency.collect_events()[-1]
    assert isinstance(taken, Emergency.ChargeTaken)
    assert taken.took_over_from == POSTED_LOBBY_MANAGER
    assert emergency.in_charge == POSTED_BRANCH_HEAD
    assert emergency.branch_head_took_charge


def test_other_staff_cannot_take_charge_from_the_branch_head_without_a_handover() -> None:
    emergency = reported_emergency()
    emergency.take_charge(stamp(minutes(1), actor=POSTED_BRANCH_HEAD))
    error = refused(
        emergency, AlreadyInChargeError, lambda: emergency.take_charge(stamp(minutes(2), actor=POSTED_GUARD))
    )
    assert error.code == "already_in_charge"
    refused(
        emergency,
        AlreadyInChargeError,
        lambda: emergency.take_charge(stamp(minutes(2), actor=OTHER_OUTLETS_HEAD)),
    )
    refused(
        emergency,
        AlreadyDoneError,
        lambda: emergency.take_charge(stamp(minutes(2), actor=POSTED_BRANCH_HEAD)),
    )


def test_the_branch_head_hands_over_to_the_office_which_takes_charge() -> None:
    emergency = reported_emergency()
    emergency.take_charge(stamp(minutes(1), actor=POSTED_BRANCH_HEAD))
    emergency.hand_over(
        stamp(minutes(4), actor=POSTED_BRANCH_HEAD), to="赵处长", reason="事态扩大", to_office=True
    )
    assert emergency.in_charge == POSTED_BRANCH_HEAD  # until the office acts
    assert emergency.pending_handover is not None
    assert emergency.pending_handover.to_office
    refused(
        emergency,
        AlreadyInChargeError,
        lambda: emergency.take_charge(stamp(minutes(5), actor=POSTED_LOBBY_MANAGER)),
    )
    emergency.take_charge(stamp(minutes(6), actor=OFFICE))
    assert emergency.in_charge == OFFICE
    assert emergency.pending_handover is None
    assert emergency.branch_head_took_charge  # it happened, and stays on the record


def test_the_person_in_charge_hands_over_to_a_named_post_at_the_outlet() -> None:
    emergency = reported_emergency()
    emergency.take_charge(stamp(minutes(1), actor=POSTED_BRANCH_HEAD))
    emergency.hand_over(
        stamp(minutes(4), actor=POSTED_BRANCH_HEAD),
        to="刘师傅",
        reason="去接警",
        to_position=Position.SECURITY_GUARD,
    )
    refused(
        emergency,
        AlreadyInChargeError,
        lambda: emergency.take_charge(stamp(minutes(5), actor=POSTED_LOBBY_MANAGER)),
    )
    emergency.take_charge(stamp(minutes(5), actor=POSTED_GUARD))
    assert emergency.in_charge == POSTED_GUARD


def test_only_the_person_in_charge_hands_an_emergency_over() -> None:
    emergency = reported_emergency()
    refused(
        emergency,
        NotResponsibleError,
        lambda: emergency.hand_over(
            stamp(minutes(1), actor=POSTED_BRANCH_HEAD), to="赵处长", reason="x", to_office=True
        ),
    )
    emergency.take_charge(stamp(minutes(1), actor=POSTED_BRANCH_HEAD))
    refused(
        emergency,
        NotResponsibleError,
        lambda: emergency.hand_over(
            stamp(minutes(2), actor=POSTED_GUARD), to="赵处长", reason="x", to_office=True
        ),
    )


def test_the_office_may_take_charge_of_a_response_at_any_time() -> None:
    emergency = reported_emergency()
    emergency.take_charge(stamp(minutes(1), actor=POSTED_BRANCH_HEAD))
    emergency.take_charge(stamp(minutes(2), actor=OFFICE))
    assert emergency.in_charge == OFFICE


def test_a_closed_emergency_cannot_change_hands() -> None:
    emergency = closed_emergency()
    refused(
        emergency, IncidentClosedError, lambda: emergency.take_charge(stamp(minutes(60 * 72), actor=OFFICE))
    )


def test_the_office_reassigns_a_complaint_whoever_holds_it_and_the_event_says_whose_it_was() -> None:
    complaint = reported_complaint()
    complaint.acknowledge(stamp(minutes(1), actor=CALL_CENTRE))
    complaint.hand_over(stamp(minutes(2), actor=OFFICE), to="王主任", reason="改派网点处理")
    handed = complaint.collect_events()[-1]
    assert isinstance(handed, Complaint.HandedOver)
    assert (handed.from_person, handed.actor) == (CALL_CENTRE, OFFICE)
    assert complaint.owner == CALL_CENTRE, "theirs until the receiver acknowledges"
