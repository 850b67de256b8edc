"""The outlet-scope rule: what each role may read, one incident at a time, on a board, in a subtree."""

from __future__ import annotations

import pytest

from application.access.policy import check_queue_access, check_read, may_read
from application.access.principal import Principal
from application.access.scope import board_scope, read_scope
from application.errors import AccessDeniedError
from domain.errors import InvalidInputError
from domain.organisation import Organisation, Unit, UnitKind
from domain.values import Role

COMPLAINT, EMERGENCY = "complaint", "emergency"


def unit(code: str, kind: UnitKind, parent: str | None) -> Unit:
    return Unit(code=code, kind=kind, name_zh=code, name_en=code, parent=parent)


BANK = Organisation(
    [
        unit("HQ", UnitKind.HEAD_OFFICE, None),
        unit("BJ", UnitKind.BRANCH, "HQ"),
        unit("BJ-HD", UnitKind.SUB_BRANCH, "BJ"),
        unit("BJ-HD-01", UnitKind.OUTLET, "BJ-HD"),
        unit("BJ-HD-02", UnitKind.OUTLET, "BJ-HD"),
        unit("BJ-CY", UnitKind.SUB_BRANCH, "BJ"),
        unit("BJ-CY-01", UnitKind.OUTLET, "BJ-CY"),
        unit("SH", UnitKind.BRANCH, "HQ"),
        unit("SH-PD", UnitKind.SUB_BRANCH, "SH"),
        unit("SH-PD-01", UnitKind.OUTLET, "SH-PD"),
    ]
)
EVERY_OUTLET = {"BJ-HD-01", "BJ-HD-02", "BJ-CY-01", "SH-PD-01"}


def principal(role: Role, unit: str) -> Principal:
    return Principal(token_id=f"t-{role.value}", name=f"{role.value} desk", role=role, unit=unit)


def test_a_branch_reads_both_kinds_at_its_own_outlet_only() -> None:
    scope = read_scope(principal(Role.BRANCH, "BJ-HD-01"), BANK)
    assert scope.covers(COMPLAINT, "BJ-HD-01")
    assert scope.covers(EMERGENCY, "BJ-HD-01")
    assert not scope.covers(COMPLAINT, "BJ-HD-02")
    assert scope.outlets_in(BANK) == {"BJ-HD-01"}


def test_an_office_reads_both_kinds_at_every_outlet_under_its_unit() -> None:
    scope = read_scope(principal(Role.OFFICE, "BJ"), BANK)
    assert scope.outlets_in(BANK) == {"BJ-HD-01", "BJ-HD-02", "BJ-CY-01"}
    assert scope.covers(EMERGENCY, "BJ-CY-01")
    assert not scope.covers(COMPLAINT, "SH-PD-01")


def test_the_call_centre_reads_complaints_everywhere_and_no_emergency() -> None:
    scope = read_scope(principal(Role.CALL_CENTRE, "95566"), BANK)
    assert scope.types == {COMPLAINT}
    assert scope.covers(COMPLAINT, "SH-PD-01")
    assert scope.covers(COMPLAINT, "GONE-01"), "an outlet the tree no longer lists is still read"
    assert not scope.covers(EMERGENCY, "SH-PD-01")
    assert scope.outlets_in(BANK) == EVERY_OUTLET


def test_an_auditor_reads_everything() -> None:
    scope = read_scope(principal(Role.AUDITOR, "HQ"), BANK)
    assert scope.covers(EMERGENCY, "SH-PD-01")
    assert scope.covers(COMPLAINT, "GONE-01")
    assert scope.outlets_in(BANK) == EVERY_OUTLET


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SYSTEM])
def test_a_role_that_reads_no_incident_reads_none_and_may_not_open_a_board(role: Role) -> None:
    who = principal(role, "HQ")
    assert not read_scope(who, BANK).covers(COMPLAINT, "BJ-HD-01")
    with pytest.raises(AccessDeniedError, match="may not read boards"):
        board_scope(who, BANK)


def test_a_board_narrowed_to_a_unit_shows_only_its_subtree_within_the_callers_scope() -> None:
    office = principal(Role.OFFICE, "BJ")
    assert board_scope(office, BANK, "BJ-HD").outlets_in(BANK) == {"BJ-HD-01", "BJ-HD-02"}
    assert board_scope(office, BANK, "SH").outlets_in(BANK) == set(), "outside its own scope: nothing"
    call_centre = principal(Role.CALL_CENTRE, "95566")
    assert board_scope(call_centre, BANK, "SH").outlets_in(BANK) == {"SH-PD-01"}
    assert board_scope(call_centre, BANK, "SH").types == {COMPLAINT}


def test_a_board_narrowed_to_a_unit_the_tree_lacks_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInputError, match="'NOWHERE' is not in the organisation") as refused:
        board_scope(principal(Role.AUDITOR, "HQ"), BANK, "NOWHERE")
    assert refused.value.field == "unit"


def test_reading_one_incident_follows_the_same_scope() -> None:
    branch = principal(Role.BRANCH, "BJ-HD-01")
    assert may_read(branch, EMERGENCY, "BJ-HD-01", BANK)
    assert not may_read(branch, EMERGENCY, "BJ-HD-02", BANK)
    assert not may_read(principal(Role.CALL_CENTRE, "95566"), EMERGENCY, "BJ-HD-01", BANK)
    with pytest.raises(AccessDeniedError, match="may not read a emergency at outlet BJ-HD-02"):
        check_read(branch, EMERGENCY, "BJ-HD-02", BANK)


@pytest.mark.parametrize(
    ("role", "unit", "may_post", "may_see"),
    [
        (Role.BRANCH, "BJ-HD-01", True, True),
        (Role.BRANCH, "BJ-HD-02", False, False),
        (Role.OFFICE, "BJ", True, True),
        (Role.OFFICE, "SH", False, False),
        (Role.AUDITOR, "HQ", False, True),
        (Role.CALL_CENTRE, "95566", False, False),
        (Role.ADMIN, "HQ", False, False),
    ],
)
def test_queue_readings_are_posted_as_emergencies_are_reported_and_read_as_they_are_read(
    role: Role, unit: str, may_post: bool, may_see: bool
) -> None:
    who = principal(role, unit)
    for post, allowed in ((True, may_post), (False, may_see)):
        if allowed:
            check_queue_access(who, "BJ-HD-01", BANK, post=post)
        else:
            with pytest.raises(AccessDeniedError, match="queue readings of BJ-HD-01"):
                check_queue_access(who, "BJ-HD-01", BANK, post=post)
