"""The organisation tree: what a valid tree is, and "unit X and all below it" at every level."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from domain.errors import InvalidInputError
from domain.organisation import Organisation, OrganisationError, Unit, UnitKind, UnknownUnitError

HEAD_OFFICE, BRANCH, SUB_BRANCH, OUTLET = (
    UnitKind.HEAD_OFFICE,
    UnitKind.BRANCH,
    UnitKind.SUB_BRANCH,
    UnitKind.OUTLET,
)


def unit(code: str, kind: UnitKind, parent: str | None) -> Unit:
    return Unit(code=code, kind=kind, name_zh=f"{code}{kind.zh}", name_en=f"{code} {kind.en}", parent=parent)


def small_bank() -> list[Unit]:
    """Two branches, three sub-branches, four outlets; listed out of code order on purpose."""
    return [
        unit("HQ", HEAD_OFFICE, None),
        unit("SH", BRANCH, "HQ"),
        unit("BJ", BRANCH, "HQ"),
        unit("BJ-HD", SUB_BRANCH, "BJ"),
        unit("BJ-HD-02", OUTLET, "BJ-HD"),
        unit("BJ-HD-01", OUTLET, "BJ-HD"),
        unit("BJ-CY", SUB_BRANCH, "BJ"),
        unit("BJ-CY-01", OUTLET, "BJ-CY"),
        unit("SH-PD", SUB_BRANCH, "SH"),
        unit("SH-PD-01", OUTLET, "SH-PD"),
    ]


@pytest.fixture
def bank() -> Organisation:
    return Organisation(small_bank())


def codes(units: list[Unit] | tuple[Unit, ...]) -> list[str]:
    return [unit.code for unit in units]


def refused(units: list[Unit]) -> OrganisationError:
    with pytest.raises(OrganisationError) as caught:
        Organisation(units)
    return caught.value


# The kinds and the unit value


def test_each_kind_has_its_chinese_and_english_label() -> None:
    assert [(kind.value, kind.zh, kind.en) for kind in UnitKind] == [
        ("head_office", "总行", "Head office"),
        ("branch", "分行", "Branch"),
        ("sub_branch", "支行", "Sub-branch"),
        ("outlet", "网点", "Outlet"),
    ]


def test_each_kind_sits_directly_under_the_kind_above_it() -> None:
    assert HEAD_OFFICE.parent_kind is None
    assert BRANCH.parent_kind is HEAD_OFFICE
    assert SUB_BRANCH.parent_kind is BRANCH
    assert OUTLET.parent_kind is SUB_BRANCH


def test_a_kind_is_read_back_from_its_stored_value_as_the_member_not_a_string() -> None:
    assert UnitKind("outlet") is OUTLET
    assert not isinstance(OUTLET, str)


def test_a_unit_cannot_be_changed() -> None:
    outlet = unit("BJ-HD-01", OUTLET, "BJ-HD")
    with pytest.raises(dataclasses.FrozenInstanceError):
        outlet.parent = "BJ-CY"  # type: ignore[misc]


def test_a_unit_is_labelled_in_chinese_by_default_and_in_english_on_request() -> None:
    outlet = Unit(
        code="BJ-HD-01", kind=OUTLET, name_zh="中关村营业部", name_en="Zhongguancun Outlet", parent="BJ-HD"
    )
    assert outlet.label() == "中关村营业部"
    assert outlet.label("en") == "Zhongguancun Outlet"


# What a valid tree is: every refusal names the unit it is about


def test_a_code_used_twice_is_refused_naming_the_code() -> None:
    error = refused([*small_bank(), unit("BJ-HD-01", OUTLET, "BJ-CY")])
    assert error.unit == "BJ-HD-01"
    assert "BJ-HD-01" in str(error)
    assert "twice" in str(error)


def test_a_parent_that_is_not_in_the_organisation_is_refused_naming_the_child_and_the_parent() -> None:
    error = refused([*small_bank(), unit("GD", BRANCH, "XX")])
    assert error.unit == "GD"
    assert "GD" in str(error)
    assert "XX" in str(error)


def test_an_organisation_without_a_head_office_is_refused() -> None:
    error = refused([unit("BJ", BRANCH, None)])
    assert "no head office" in str(error)


def test_an_empty_organisation_is_refused() -> None:
    assert "no head office" in str(refused([]))


def test_a_second_head_office_is_refused_naming_both() -> None:
    error = refused([*small_bank(), unit("HQ2", HEAD_OFFICE, None)])
    assert error.unit == "HQ2"
    assert "HQ, HQ2" in str(error)


def test_a_head_office_with_a_parent_is_refused() -> None:
    units = [unit("HQ", HEAD_OFFICE, "BJ"), unit("BJ", BRANCH, "HQ")]
    error = refused(units)
    assert error.unit == "HQ"
    assert "head office HQ cannot have a parent" in str(error)


def test_a_unit_other_than_the_head_office_without_a_parent_is_refused() -> None:
    error = refused([*small_bank(), unit("GD-TH", SUB_BRANCH, None)])
    assert error.unit == "GD-TH"
    assert "sub-branch GD-TH has no parent" in str(error)


@pytest.mark.parametrize(
    ("child", "message"),
    [
        (unit("GD", BRANCH, "BJ"), "branch GD must sit directly under a head office, not under branch BJ"),
        (unit("GD-TH", SUB_BRANCH, "HQ"), "sub-branch GD-TH must sit directly under a branch"),
        (unit("BJ-HD-09", OUTLET, "BJ"), "outlet BJ-HD-09 must sit directly under a sub-branch"),
        (unit("BJ-XC", SUB_BRANCH, "BJ-HD"), "not under sub-branch BJ-HD"),
        (unit("BJ-HD-01-A", OUTLET, "BJ-HD-01"), "not under outlet BJ-HD-01"),
    ],
)
def test_a_unit_must_sit_directly_under_the_kind_above_its_own(child: Unit, message: str) -> None:
    error = refused([*small_bank(), child])
    assert error.unit == child.code
    assert message in str(error)


def test_a_cycle_is_refused_naming_a_unit_in_it() -> None:
    units = [*small_bank(), unit("GD", BRANCH, "SC"), unit("SC", BRANCH, "GD")]
    error = refused(units)
    assert error.unit == "GD"
    assert "GD is its own ancestor: GD → SC → GD" in str(error)


def test_a_unit_that_is_its_own_parent_is_refused() -> None:
    error = refused([*small_bank(), unit("BJ-XC", SUB_BRANCH, "BJ-XC")])
    assert error.unit == "BJ-XC"
    assert "own ancestor" in str(error)


@pytest.mark.parametrize(
    ("name_zh", "name_en"), [("", "Xicheng Sub-branch"), ("西城支行", ""), ("  ", "Xicheng"), ("西城", "\t")]
)
def test_a_unit_without_a_chinese_or_an_english_name_is_refused(name_zh: str, name_en: str) -> None:
    nameless = Unit(code="BJ-XC", kind=SUB_BRANCH, name_zh=name_zh, name_en=name_en, parent="BJ")
    error = refused([*small_bank(), nameless])
    assert error.unit == "BJ-XC"
    assert "BJ-XC" in str(error)


@pytest.mark.parametrize("code", ["bj-xc", "BJ_XC", "BJ XC", "", "西城", "BJ-XC\n", "X" * 33])
def test_a_code_outside_capitals_digits_and_hyphens_or_over_32_long_is_refused(code: str) -> None:
    error = refused([*small_bank(), unit(code, SUB_BRANCH, "BJ")])
    assert error.unit == code
    assert repr(code) in str(error)


def test_a_code_of_32_characters_is_accepted() -> None:
    code = "BJ-" + "9" * 29
    assert code in Organisation([*small_bank(), unit(code, SUB_BRANCH, "BJ")])


def test_the_refusals_are_input_errors_of_the_domain_with_their_own_codes() -> None:
    assert issubclass(OrganisationError, InvalidInputError)
    assert issubclass(UnknownUnitError, InvalidInputError)
    assert (OrganisationError.code, UnknownUnitError.code) == ("invalid_organisation", "unknown_unit")
    assert UnknownUnitError("GD-TH").field == "unit"


def test_an_organisation_can_be_built_from_any_iterable_of_units() -> None:
    assert len(Organisation(unit_ for unit_ in small_bank())) == len(small_bank())


# Looking units up


def test_a_unit_is_found_by_its_code(bank: Organisation) -> None:
    assert bank.unit("BJ-HD-01") == unit("BJ-HD-01", OUTLET, "BJ-HD")
    assert bank.get("BJ-HD-01") == unit("BJ-HD-01", OUTLET, "BJ-HD")


def test_an_unknown_code_raises_an_error_carrying_the_code(bank: Organisation) -> None:
    with pytest.raises(UnknownUnitError, match="GD-TH-01") as caught:
        bank.unit("GD-TH-01")
    assert caught.value.unit == "GD-TH-01"


def test_get_gives_none_for_an_unknown_code(bank: Organisation) -> None:
    assert bank.get("GD-TH-01") is None


def test_membership_is_by_code(bank: Organisation) -> None:
    assert "SH-PD-01" in bank
    assert "SH-PD-02" not in bank
    assert 42 not in bank


def test_the_root_is_the_head_office(bank: Organisation) -> None:
    assert bank.root == unit("HQ", HEAD_OFFICE, None)


def test_the_units_run_depth_first_from_the_head_office_with_siblings_by_code(bank: Organisation) -> None:
    assert codes(bank.units) == [
        "HQ",
        "BJ",
        "BJ-CY",
        "BJ-CY-01",
        "BJ-HD",
        "BJ-HD-01",
        "BJ-HD-02",
        "SH",
        "SH-PD",
        "SH-PD-01",
    ]
    assert len(bank) == 10


def test_the_outlets_are_every_outlet_by_code(bank: Organisation) -> None:
    assert codes(bank.outlets) == ["BJ-CY-01", "BJ-HD-01", "BJ-HD-02", "SH-PD-01"]


@pytest.mark.parametrize(
    ("code", "children"),
    [
        ("HQ", ["BJ", "SH"]),
        ("BJ", ["BJ-CY", "BJ-HD"]),
        ("BJ-HD", ["BJ-HD-01", "BJ-HD-02"]),
        ("BJ-HD-01", []),
    ],
)
def test_the_children_are_the_units_directly_below_by_code(
    bank: Organisation, code: str, children: list[str]
) -> None:
    assert codes(bank.children(code)) == children


# Above a unit: ancestors and path


@pytest.mark.parametrize(
    ("code", "ancestors"),
    [
        ("HQ", []),
        ("SH", ["HQ"]),
        ("SH-PD", ["HQ", "SH"]),
        ("SH-PD-01", ["HQ", "SH", "SH-PD"]),
    ],
)
def test_the_ancestors_run_from_the_head_office_down_without_the_unit_itself(
    bank: Organisation, code: str, ancestors: list[str]
) -> None:
    assert codes(bank.ancestors(code)) == ancestors


@pytest.mark.parametrize(
    ("code", "path"),
    [
        ("HQ", ["HQ"]),
        ("BJ", ["HQ", "BJ"]),
        ("BJ-CY", ["HQ", "BJ", "BJ-CY"]),
        ("BJ-CY-01", ["HQ", "BJ", "BJ-CY", "BJ-CY-01"]),
    ],
)
def test_the_path_runs_from_the_head_office_down_to_the_unit_itself(
    bank: Organisation, code: str, path: list[str]
) -> None:
    assert codes(bank.path(code)) == path


# Below a unit: "unit X and all below it"


@pytest.mark.parametrize(
    ("code", "subtree"),
    [
        ("HQ", {unit.code for unit in small_bank()}),
        ("BJ", {"BJ", "BJ-HD", "BJ-HD-01", "BJ-HD-02", "BJ-CY", "BJ-CY-01"}),
        ("BJ-HD", {"BJ-HD", "BJ-HD-01", "BJ-HD-02"}),
        ("BJ-HD-01", {"BJ-HD-01"}),
    ],
)
def test_the_subtree_is_the_unit_and_everything_below_it(
    bank: Organisation, code: str, subtree: set[str]
) -> None:
    assert bank.subtree(code) == frozenset(subtree)


def test_the_subtree_of_a_unit_is_exactly_the_units_whose_path_passes_through_it(bank: Organisation) -> None:
    for above in bank.units:
        expected = {below.code for below in bank.units if above in bank.path(below.code)}
        assert bank.subtree(above.code) == expected


def test_an_outlet_belongs_to_every_unit_above_it(bank: Organisation) -> None:
    for outlet in bank.outlets:
        for above in bank.ancestors(outlet.code):
            assert bank.contains(above.code, outlet.code)


@pytest.mark.parametrize(
    ("ancestor", "code", "contained"),
    [
        ("HQ", "HQ", True),
        ("HQ", "SH", True),
        ("HQ", "SH-PD-01", True),
        ("BJ", "BJ", True),
        ("BJ", "BJ-CY", True),
        ("BJ", "BJ-HD-02", True),
        ("BJ", "SH", False),
        ("BJ", "SH-PD-01", False),
        ("BJ", "HQ", False),
        ("BJ-HD", "BJ-HD", True),
        ("BJ-HD", "BJ-HD-01", True),
        ("BJ-HD", "BJ-CY-01", False),
        ("BJ-HD", "BJ", False),
        ("BJ-HD-01", "BJ-HD-01", True),
        ("BJ-HD-01", "BJ-HD-02", False),
        ("BJ-HD-01", "BJ-HD", False),
    ],
)
def test_a_unit_contains_itself_and_what_is_below_it_but_not_its_siblings_or_superiors(
    bank: Organisation, ancestor: str, code: str, contained: bool
) -> None:
    assert bank.contains(ancestor, code) is contained


@pytest.mark.parametrize(
    ("code", "outlets"),
    [
        ("HQ", ["BJ-CY-01", "BJ-HD-01", "BJ-HD-02", "SH-PD-01"]),
        ("BJ", ["BJ-CY-01", "BJ-HD-01", "BJ-HD-02"]),
        ("BJ-HD", ["BJ-HD-01", "BJ-HD-02"]),
        ("BJ-HD-02", ["BJ-HD-02"]),
    ],
)
def test_the_outlets_under_a_unit_are_those_of_its_subtree_by_code(
    bank: Organisation, code: str, outlets: list[str]
) -> None:
    assert codes(bank.outlets_under(code)) == outlets


def test_a_unit_with_no_outlets_below_has_none_under_it() -> None:
    bank = Organisation([*small_bank(), unit("GD", BRANCH, "HQ")])
    assert bank.outlets_under("GD") == []


QUERIES: dict[str, Callable[[Organisation, str], object]] = {
    "unit": Organisation.unit,
    "children": Organisation.children,
    "ancestors": Organisation.ancestors,
    "path": Organisation.path,
    "subtree": Organisation.subtree,
    "outlets_under": Organisation.outlets_under,
    "contains below": lambda bank, code: bank.contains("HQ", code),
    "contains above": lambda bank, code: bank.contains(code, "BJ-HD-01"),
}


@pytest.mark.parametrize("query", QUERIES.values(), ids=QUERIES.keys())
def test_every_query_refuses_an_unknown_code_by_name(
    bank: Organisation, query: Callable[[Organisation, str], object]
) -> None:
    with pytest.raises(UnknownUnitError, match="GD-TH") as caught:
        query(bank, "GD-TH")
    assert caught.value.unit == "GD-TH"


def test_changing_a_list_the_organisation_gave_out_does_not_change_the_organisation(
    bank: Organisation,
) -> None:
    bank.ancestors("BJ-HD-01").clear()
    bank.path("BJ-HD-01").clear()
    bank.children("BJ-HD").clear()
    bank.outlets_under("BJ").clear()
    assert codes(bank.path("BJ-HD-01")) == ["HQ", "BJ", "BJ-HD", "BJ-HD-01"]
    assert codes(bank.children("BJ-HD")) == ["BJ-HD-01", "BJ-HD-02"]
    assert len(bank.outlets_under("BJ")) == 3
    assert isinstance(bank.subtree("BJ"), frozenset)
    assert isinstance(bank.units, tuple)


@pytest.mark.parametrize("name", ["总行\u202e", "Head\x00office"])
def test_a_unit_name_with_an_invisible_or_control_character_is_refused(name: str) -> None:
    with pytest.raises(OrganisationError, match="HQ"):
        Organisation(
            [Unit(code="HQ", kind=UnitKind.HEAD_OFFICE, name_zh=name, name_en="Head office", parent=None)]
        )
