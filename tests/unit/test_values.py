"""Value types: bilingual enums, levels, the masked contact, and what the store must transcode."""

import dataclasses
import types
import typing
from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate

from domain.complaint import Complaint
from domain.emergency import Emergency
from domain.labelled import Labelled
from domain.steps import ComplaintStep
from domain.values import (
    ENUM_TYPES,
    VALUE_TYPES,
    Audience,
    Authority,
    Category,
    Channel,
    ComplaintOutcome,
    CustomerContact,
    IncidentStatus,
    Level,
    Role,
    Stamp,
    Subcategory,
)

from .builders import CONTACT, DAY, closed_emergency, resolved_complaint, stamp

SCALARS: set[type] = {str, int, float, bool, type(None), datetime, UUID}
ALL_ENUMS = [*ENUM_TYPES, ComplaintStep]


@pytest.mark.parametrize("enum", ALL_ENUMS, ids=lambda e: e.__name__)
def test_every_member_has_a_chinese_and_an_english_label(enum: type[Labelled]) -> None:
    for member in enum:
        assert member.zh
        assert member.en
        assert member.label("zh") == member.zh
        assert member.label("en") == member.en


@pytest.mark.parametrize("enum", ALL_ENUMS, ids=lambda e: e.__name__)
def test_every_enum_is_a_plain_enum_of_snake_case_strings(enum: type[Enum]) -> None:
    assert not issubclass(enum, str)
    for member in enum:
        assert isinstance(member.value, str)
        assert member.value == member.value.lower()
        assert enum(member.value) is member


def test_the_contracts_role_and_authority_values() -> None:
    assert [r.value for r in Role] == [
        "branch",
        "call_centre",
        "office",
        "auditor",
        "admin",
        "system",
    ]
    assert Authority.POLICE_110.value == "police_110"
    assert [o.value for o in ComplaintOutcome] == ["resolved", "unfounded", "withdrawn"]
    assert [s.value for s in IncidentStatus] == ["open", "stood_down", "closed"]
    assert {a.value for a in Audience} == {"customers", "media", "public", "staff"}
    assert len(Channel) == 8
    assert len(Category) == 4


def test_levels_rank_blue_to_red_with_their_meaning_and_handling() -> None:
    assert [level.rank for level in Level] == [1, 2, 3, 4]
    assert [level.value for level in Level] == ["blue", "yellow", "orange", "red"]
    assert [level.zh for level in Level] == ["蓝色", "黄色", "橙色", "红色"]
    assert [level.meaning_zh for level in Level] == ["单一性", "关联性", "广泛性", "全面性"]
    assert [level.handling_zh for level in Level] == ["冷处理", "准处理", "快处理", "急处理"]
    assert Level.RED.is_higher_than(Level.ORANGE)
    assert not Level.BLUE.is_higher_than(Level.BLUE)
    assert Level.YELLOW.is_lower_than(Level.ORANGE)
    assert Level.BLUE.handling_en.startswith("cold")


def test_subcategories_belong_to_their_categories() -> None:
    assert Subcategory.ATTITUDE.category is Category.SERVICE_QUALITY
    assert Subcategory.RULE_VIOLATION.category is Category.BUSINESS_OPERATION


def test_a_customer_contact_never_shows_its_values() -> None:
    for text in (repr(CONTACT), str(CONTACT), f"{CONTACT}", repr([CONTACT])):
        assert "13800138000" not in text
        assert "张三" not in text
        assert "example.com" not in text
    assert CustomerContact.personal is True
    assert not CONTACT.is_empty
    assert CustomerContact().is_empty


def test_a_complaint_and_its_report_event_do_not_leak_the_phone_number() -> None:
    complaint = resolved_complaint()
    assert "13800138000" not in repr(complaint)
    for event in complaint.collect_events():
        assert "13800138000" not in repr(event)


def _classes_in(hint: Any) -> set[type]:
    """Every class a type hint mentions (through unions, lists and dicts)."""
    origin = typing.get_origin(hint)
    if origin is typing.ClassVar:
        return set()
    if origin in (typing.Union, types.UnionType, list, dict):
        found: set[type] = set()
        for arg in typing.get_args(hint):
            found |= _classes_in(arg)
        if origin is dict:
            assert typing.get_args(hint)[0] is str, f"dict keys must be str: {hint}"
        return found
    assert origin is None, f"unsupported type in stored data: {hint}"
    if isinstance(hint, typing.TypeVar):
        return set()
    assert isinstance(hint, type), hint
    return {hint}


def _event_classes() -> list[type]:
    return [
        value
        for aggregate in (Complaint, Emergency)
        for name, value in vars(aggregate).items()
        if isinstance(value, type) and issubclass(value, Aggregate.Event) and name != "Event"
    ]


def _reachable_from_events() -> set[type]:
    found: set[type] = set()
    for event_class in _event_classes():
        for hint in typing.get_type_hints(event_class).values():
            found |= _classes_in(hint)
    for value_type in VALUE_TYPES:
        for hint in typing.get_type_hints(value_type).values():
            found |= _classes_in(hint)
    return found


def test_every_enum_and_value_type_in_an_event_is_exported_for_transcoding() -> None:
    reachable = _reachable_from_events()
    enums = {c for c in reachable if issubclass(c, Enum)}
    values = {c for c in reachable if dataclasses.is_dataclass(c)}
    assert enums <= set(ENUM_TYPES)
    assert values <= set(VALUE_TYPES)
    assert reachable - enums - values <= SCALARS
    assert Stamp not in reachable


def test_value_types_are_frozen_dataclasses_of_scalars_enums_and_other_value_types() -> None:
    # A value type may hold another (a handover holds the Actor who gave it): the store's
    # transcoder encodes nested values by their own transcoding; tests/integration reloads them.
    for value_type in VALUE_TYPES:
        assert dataclasses.is_dataclass(value_type)
        assert getattr(value_type, "__dataclass_params__").frozen  # noqa: B009
        for hint in typing.get_type_hints(value_type).values():
            for cls in _classes_in(hint):
                assert cls in SCALARS or cls in ENUM_TYPES or cls in VALUE_TYPES, (value_type, cls)


def _stored_types(value: object) -> set[type]:
    """Every type in a stored value, checking collections have str keys and datetimes a zone."""
    if isinstance(value, list):
        return {list}.union(*(_stored_types(item) for item in value))
    if isinstance(value, dict):
        assert all(isinstance(key, str) for key in value)
        return {dict}.union(*(_stored_types(item) for item in value.values()))
    if isinstance(value, datetime):
        assert value.utcoffset() is not None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        nested = [_stored_types(getattr(value, f.name)) for f in dataclasses.fields(value)]
        return {type(value)}.union(*nested)
    return {type(value)}


def test_aggregate_state_holds_only_transcodable_types() -> None:
    stored: set[type] = set()
    for aggregate in (resolved_complaint(), closed_emergency()):
        aggregate.add_note(stamp(2 * DAY), text="备注")
        aggregate.correct_entry(stamp(2 * DAY), corrects_version=1, reason="r", correction="c")
        state = {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}
        stored |= _stored_types(state)
    allowed = SCALARS | {list, dict} | set(ENUM_TYPES) | set(VALUE_TYPES)
    assert stored <= allowed, stored - allowed
