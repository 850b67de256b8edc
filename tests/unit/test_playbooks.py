"""The playbooks of seed 003: complete, bilingual, and completed by notifying authorities."""

import pytest

from domain.playbooks import PLAYBOOKS, find_action, needs_second_diversion, playbook_for
from domain.values import Authority, EmergencyKind

from .builders import reported_emergency, stamp


def test_every_kind_of_emergency_has_a_playbook() -> None:
    assert set(PLAYBOOKS) == set(EmergencyKind)
    assert len(EmergencyKind) == 12
    for kind in EmergencyKind:
        assert playbook_for(kind), kind


@pytest.mark.parametrize("kind", list(EmergencyKind))
def test_every_action_has_a_unique_code_and_both_labels(kind: EmergencyKind) -> None:
    codes = [action.code for action in playbook_for(kind)]
    assert len(codes) == len(set(codes))
    for action in playbook_for(kind):
        assert action.code.isidentifier()
        assert action.code == action.code.lower()
        assert action.zh
        assert action.en
        assert find_action(kind, action.code) == action
    assert find_action(kind, "no_such_action") is None


def test_playbook_for_returns_a_copy_the_caller_cannot_use_to_change_the_table() -> None:
    playbook_for(EmergencyKind.FIRE).clear()
    assert playbook_for(EmergencyKind.FIRE)


@pytest.mark.parametrize(
    ("kind", "authority", "code"),
    [
        (EmergencyKind.FIRE, Authority.FIRE_119, "call_119"),
        (EmergencyKind.ROBBERY, Authority.POLICE_110, "call_police"),
        (EmergencyKind.BANK_RUN, Authority.POLICE_110, "call_police"),
        (EmergencyKind.GATHERING, Authority.POLICE_110, "call_police"),
        (EmergencyKind.DISRUPTIVE_PERSON, Authority.POLICE_110, "call_police"),
        (EmergencyKind.CUSTOMER_ILL, Authority.AMBULANCE_120, "call_120"),
    ],
)
def test_the_seeds_calls_to_110_119_and_120_are_in_the_playbooks(
    kind: EmergencyKind, authority: Authority, code: str
) -> None:
    action = find_action(kind, code)
    assert action is not None
    assert action.authority is authority


@pytest.mark.parametrize("kind", list(EmergencyKind))
def test_notifying_each_authority_completes_exactly_its_actions(kind: EmergencyKind) -> None:
    for authority in Authority:
        emergency = reported_emergency(kind)
        emergency.notify_authority(stamp(), authority=authority)
        expected = [a.code for a in playbook_for(kind) if a.authority is authority]
        assert [a.code for a in emergency.done_actions] == expected


def test_every_kind_but_customer_surge_and_illness_reports_to_the_superior() -> None:
    reporting = {
        kind
        for kind in EmergencyKind
        if any(a.authority is Authority.SUPERIOR_OFFICE for a in playbook_for(kind))
    }
    assert set(EmergencyKind) - reporting == {
        EmergencyKind.CUSTOMER_SURGE,
        EmergencyKind.CUSTOMER_ILL,
    }


def test_the_fire_playbook_follows_the_seed() -> None:
    assert [a.code for a in playbook_for(EmergencyKind.FIRE)] == [
        "fight_fire",
        "call_119",
        "report_superior",
        "move_cash_vouchers_ledgers",
        "guard_vault_and_counters",
        "evacuate_people",
        "guide_fire_engines",
        "notice_to_customers_and_media",
        "protect_scene",
    ]
    call = find_action(EmergencyKind.FIRE, "call_119")
    assert call is not None
    assert call.zh == "第一时间拨打119报警电话"


def test_a_second_diversion_is_due_at_10_minutes_and_15_waiting() -> None:
    assert needs_second_diversion(waiting=15, longest_wait_minutes=10)
    assert needs_second_diversion(waiting=40, longest_wait_minutes=25)
    assert not needs_second_diversion(waiting=30, longest_wait_minutes=9.5)
    assert not needs_second_diversion(waiting=14, longest_wait_minutes=30)
