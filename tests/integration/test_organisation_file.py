"""The organisation file: the shipped demo bank loads from anywhere, and a broken file says what is wrong."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from domain.organisation import Organisation, OrganisationError, UnitKind
from interfaces.organisation_file import DEMO_ORGANISATION_PATH, OrganisationFileError, load_organisation

CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def demo() -> Organisation:
    return load_organisation(DEMO_ORGANISATION_PATH)


def of_kind(bank: Organisation, kind: UnitKind) -> list[str]:
    return [unit.code for unit in bank.units if unit.kind is kind]


def write(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "organisation.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def refusal(path: Path) -> OrganisationFileError:
    with pytest.raises(OrganisationFileError) as caught:
        load_organisation(path)
    assert str(path) in str(caught.value)
    assert caught.value.path == path
    return caught.value


GOOD_UNITS = [
    {"code": "HQ", "kind": "head_office", "name_zh": "总行", "name_en": "Head Office", "parent": None},
    {"code": "BJ", "kind": "branch", "name_zh": "北京分行", "name_en": "Beijing Branch", "parent": "HQ"},
]


def with_units(*units: object) -> str:
    return json.dumps({"units": [*GOOD_UNITS, *units]}, ensure_ascii=False)


# The demo bank


def test_the_demo_organisation_loads_whatever_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert DEMO_ORGANISATION_PATH.is_absolute()
    assert load_organisation(DEMO_ORGANISATION_PATH).root.code == "HQ"


def test_the_demo_bank_has_one_head_office_and_four_branches(demo: Organisation) -> None:
    assert of_kind(demo, UnitKind.HEAD_OFFICE) == ["HQ"]
    assert of_kind(demo, UnitKind.BRANCH) == ["BJ", "GD", "SC", "SH"]


def test_the_demo_bank_has_about_a_dozen_sub_branches_and_about_sixty_outlets(demo: Organisation) -> None:
    assert 10 <= len(of_kind(demo, UnitKind.SUB_BRANCH)) <= 14
    assert 50 <= len(demo.outlets) <= 70


def test_every_demo_outlet_has_a_chinese_name_and_an_english_one(demo: Organisation) -> None:
    for outlet in demo.outlets:
        assert CHINESE.search(outlet.name_zh), outlet.code
        assert outlet.name_en.endswith("Outlet"), outlet.code


def test_every_demo_branch_and_sub_branch_has_outlets_below_it(demo: Organisation) -> None:
    for unit in demo.units:
        assert demo.outlets_under(unit.code), unit.code


def test_every_demo_code_extends_its_parents_code_below_the_branches(demo: Organisation) -> None:
    for unit in demo.units:
        if unit.kind in (UnitKind.SUB_BRANCH, UnitKind.OUTLET):
            assert unit.code.startswith(f"{unit.parent}-"), unit.code


def test_a_demo_outlet_is_under_its_sub_branch_and_branch_but_not_another_branch(demo: Organisation) -> None:
    assert [unit.name_zh for unit in demo.path("BJ-HD-01")][1:] == ["北京分行", "海淀支行", "中关村营业部"]
    assert demo.contains("BJ", "BJ-HD-01")
    assert not demo.contains("SH", "BJ-HD-01")


# Reading a file


def test_a_valid_file_gives_the_organisation_it_describes(tmp_path: Path) -> None:
    outlet = {
        "code": "BJ-HD-01",
        "kind": "outlet",
        "name_zh": "中关村营业部",
        "name_en": "Zhongguancun Outlet",
    }
    sub_branch = {
        "code": "BJ-HD",
        "kind": "sub_branch",
        "name_zh": "海淀支行",
        "name_en": "Haidian Sub-branch",
    }
    bank = load_organisation(
        write(tmp_path, with_units({**sub_branch, "parent": "BJ"}, {**outlet, "parent": "BJ-HD"}))
    )
    assert [unit.code for unit in bank.outlets] == ["BJ-HD-01"]
    assert bank.unit("BJ-HD-01").name_zh == "中关村营业部"
    assert bank.unit("BJ-HD").kind is UnitKind.SUB_BRANCH


def test_a_file_saved_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    path = write(tmp_path, with_units().encode("utf-8-sig"))
    assert len(load_organisation(path)) == 2


# A broken file: OrganisationFileError naming the file and the problem, never a bare KeyError or TypeError


def test_a_file_that_is_not_json_is_refused_with_the_line_of_the_mistake(tmp_path: Path) -> None:
    path = write(tmp_path, '{\n  "units": [\n    {"code": "HQ",}\n  ]\n}\n')
    error = refusal(path)
    assert "not valid JSON" in str(error)
    assert "line 3" in str(error)


def test_a_missing_file_is_refused_naming_it(tmp_path: Path) -> None:
    assert "cannot be read" in str(refusal(tmp_path / "absent.json"))


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, with_units().encode("gbk"))  # the older Chinese Windows encoding
    assert "not UTF-8" in str(refusal(path))


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("[]", 'must be a JSON object with a "units" list'),
        ('{"unit": []}', 'must be a JSON object with a "units" list'),
        ('{"units": {"HQ": {}}}', '"units" must be a list, not an object'),
        ('{"units": ["HQ"]}', "units[0] must be an object, not a string"),
    ],
)
def test_a_file_without_a_list_of_units_is_refused(tmp_path: Path, content: str, problem: str) -> None:
    assert problem in str(refusal(write(tmp_path, content)))


@pytest.mark.parametrize("key", ["kind", "name_zh", "name_en", "parent"])
def test_a_unit_missing_a_key_is_refused_naming_its_index_code_and_the_key(tmp_path: Path, key: str) -> None:
    unit = {
        "code": "BJ-HD",
        "kind": "sub_branch",
        "name_zh": "海淀支行",
        "name_en": "Haidian",
        "parent": "BJ",
    }
    del unit[key]
    assert f'units[2] (BJ-HD) has no "{key}"' in str(refusal(write(tmp_path, with_units(unit))))


def test_a_unit_missing_its_code_is_refused_naming_its_index(tmp_path: Path) -> None:
    unit = {"kind": "sub_branch", "name_zh": "海淀支行", "name_en": "Haidian Sub-branch", "parent": "BJ"}
    assert 'units[2] has no "code"' in str(refusal(write(tmp_path, with_units(unit))))


def test_a_unit_of_an_unknown_kind_is_refused_listing_the_kinds(tmp_path: Path) -> None:
    unit = {"code": "BJ-HD", "kind": "district", "name_zh": "海淀支行", "name_en": "Haidian", "parent": "BJ"}
    error = refusal(write(tmp_path, with_units(unit)))
    assert 'units[2] (BJ-HD) has unknown kind "district"' in str(error)
    assert "head_office, branch, sub_branch, outlet" in str(error)


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("code", 7, 'units[2] "code" must be a string, not a number'),
        ("name_zh", None, 'units[2] (BJ-HD) "name_zh" must be a string, not null'),
        ("kind", ["outlet"], 'units[2] (BJ-HD) "kind" must be a string, not a list'),
        ("parent", True, 'units[2] (BJ-HD) "parent" must be a unit code or null, not a boolean'),
    ],
)
def test_a_value_of_the_wrong_type_is_refused_naming_the_unit_and_the_key(
    tmp_path: Path, field: str, value: object, problem: str
) -> None:
    unit: dict[str, object] = {
        "code": "BJ-HD",
        "kind": "sub_branch",
        "name_zh": "海淀支行",
        "name_en": "Haidian",
        "parent": "BJ",
    }
    unit[field] = value
    assert problem in str(refusal(write(tmp_path, with_units(unit))))


def test_units_that_do_not_form_a_tree_are_refused_naming_the_file_and_the_unit(tmp_path: Path) -> None:
    unit = {
        "code": "BJ-HD",
        "kind": "sub_branch",
        "name_zh": "海淀支行",
        "name_en": "Haidian",
        "parent": "XX",
    }
    error = refusal(write(tmp_path, with_units(unit)))
    assert "unit BJ-HD has unknown parent XX" in str(error)
    assert isinstance(error.__cause__, OrganisationError)
    assert error.__cause__.unit == "BJ-HD"
