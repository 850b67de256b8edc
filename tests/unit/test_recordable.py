"""What the domain lets into an event: readable NFC texts, moments the bank records, bounded numbers."""

import re
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidInputError
from domain.moments import EARLIEST_MOMENT, LATEST_MOMENT, MAX_LATENESS, recordable_moment
from domain.recordable import recordable
from domain.texts import MAX_TEXT_LENGTH, REFUSED_CATEGORIES, readable_text, required_text
from domain.values import CustomerContact
from tests.unit.builders import T0, reported_complaint, stamp

OFFSETS = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59).map(
    lambda m: timezone(timedelta(minutes=m))
)


def _refused(character: str) -> bool:
    return unicodedata.category(character) in REFUSED_CATEGORIES and character not in "\n\t"


@given(st.text())
def test_any_text_is_either_refused_naming_a_character_or_kept_readable_in_nfc(text: str) -> None:
    if any(_refused(c) for c in text) or len(unicodedata.normalize("NFC", text)) > MAX_TEXT_LENGTH:
        with pytest.raises(InvalidInputError) as refusal:
            readable_text(text, "summary")
        assert refusal.value.field == "summary"
        return
    kept = readable_text(text, "summary")
    assert kept == unicodedata.normalize("NFC", text)
    assert not any(_refused(c) for c in kept)
    kept.encode("utf-8")  # every store can hold it


@pytest.mark.parametrize(
    ("character", "named"),
    [
        ("\x00", "U+0000"),
        ("\x07", "U+0007"),
        ("\u202e", "RIGHT-TO-LEFT OVERRIDE"),
        ("\u200b", "ZERO WIDTH SPACE"),
        ("\ufeff", "ZERO WIDTH NO-BREAK SPACE"),
        ("\ud800", "U+D800"),
        ("\u2028", "LINE SEPARATOR"),
    ],
)
def test_a_text_with_an_invisible_or_control_character_is_refused_naming_it(
    character: str, named: str
) -> None:
    with pytest.raises(InvalidInputError, match=re.escape(named)) as refusal:
        required_text(f"ATM{character}吐出假币", "summary")
    assert refusal.value.field == "summary"


def test_newlines_tabs_and_the_ideographic_space_are_kept() -> None:
    assert readable_text("第一行\n\t第二行\u3000完", "text") == "第一行\n\t第二行\u3000完"


def test_a_decomposed_text_is_stored_composed() -> None:
    assert readable_text("Cafe\u0301", "text") == "Caf\u00e9"


@given(st.datetimes(timezones=OFFSETS))
def test_any_aware_moment_is_either_within_the_bank_s_era_or_refused_without_overflow(
    moment: datetime,
) -> None:
    in_era = EARLIEST_MOMENT.replace(tzinfo=None) <= moment.replace(tzinfo=None) - moment.utcoffset()
    in_era &= moment.replace(tzinfo=None) - moment.utcoffset() < LATEST_MOMENT.replace(tzinfo=None)
    if not in_era:
        with pytest.raises(InvalidInputError, match="outside the years") as refusal:
            recordable_moment(moment, "promised_by")
        assert refusal.value.field == "promised_by"
        return
    assert recordable_moment(moment, "promised_by") is moment
    assert EARLIEST_MOMENT <= moment.astimezone(UTC) < LATEST_MOMENT


def test_the_calendar_s_first_day_east_of_greenwich_is_refused_not_overflowed() -> None:
    year_one = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14)))
    with pytest.raises(InvalidInputError, match="outside the years"):
        reported_complaint(stamp=stamp(year_one, recorded_after=T0 - year_one))


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="UTC offset"):
        recordable_moment(datetime(2026, 1, 1), "occurred_at")


def test_a_report_a_little_late_is_recorded_but_one_more_than_a_year_late_is_refused() -> None:
    late = reported_complaint(stamp=stamp(T0, recorded_after=timedelta(days=20)))
    assert late.opened_at == T0
    with pytest.raises(InvalidInputError, match="days before it was recorded") as refusal:
        reported_complaint(stamp=stamp(T0, recorded_after=MAX_LATENESS + timedelta(seconds=1)))
    assert refusal.value.field == "occurred_at"


def test_a_note_back_dated_before_the_incident_occurred_is_refused() -> None:
    complaint = reported_complaint()
    with pytest.raises(InvalidInputError, match="before this complaint occurred") as refusal:
        complaint.add_note(stamp(T0 - timedelta(days=3), recorded_after=timedelta(days=3)), text="补记")
    assert refusal.value.field == "occurred_at"
    complaint.add_note(stamp(T0 - timedelta(minutes=2), recorded_after=timedelta(minutes=2)), text="两台钟")


def test_contact_details_are_checked_like_every_other_text() -> None:
    with pytest.raises(InvalidInputError) as refusal:
        reported_complaint(contact=CustomerContact(name="张三\u202e", phone="138"))
    assert refusal.value.field == "contact.name"


def test_an_actor_name_with_a_control_character_is_refused() -> None:
    from dataclasses import replace

    bad = stamp()
    bad = replace(bad, actor=replace(bad.actor, name="王\x1b[31m主任"))
    with pytest.raises(InvalidInputError) as refusal:
        reported_complaint(stamp=bad)
    assert refusal.value.field == "actor.name"


@pytest.mark.parametrize("number", [float("nan"), float("inf"), 2**63, -(2**63) - 1])
def test_numbers_no_store_column_holds_are_refused(number: float) -> None:
    with pytest.raises(InvalidInputError) as refusal:
        recordable(number, "waiting")
    assert refusal.value.field == "waiting"


def test_nested_texts_are_normalised_and_the_value_object_rebuilt() -> None:
    contact = recordable(CustomerContact(name="Jose\u0301"), "contact")
    assert contact.name == "Jos\u00e9"


def test_a_value_of_the_wrong_type_is_refused_before_it_is_stored() -> None:
    from domain.emergency import Emergency
    from domain.values import EmergencyKind

    with pytest.raises(InvalidInputError, match="level must be Level, not str") as refusal:
        Emergency.report(
            incident_id=uuid4(),
            stamp=stamp(),
            outlet="0101",
            kind=EmergencyKind.FIRE,
            level="red",  # type: ignore[arg-type]
            summary="营业厅冒烟",
        )
    assert refusal.value.field == "level"


def test_a_boolean_is_not_taken_for_a_number_nor_a_number_for_a_boolean() -> None:
    complaint = reported_complaint()
    complaint.acknowledge(stamp(timedelta(minutes=1)))
    with pytest.raises(InvalidInputError, match="founded must be bool, not int"):
        complaint.check_facts(stamp(timedelta(minutes=2)), founded=1, findings="属实")  # type: ignore[arg-type]
