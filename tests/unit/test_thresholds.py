"""The bank's thresholds: their bounds, one change recorded with who, when, old → new and why, and the file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from application.policies.settings import PolicySettings
from domain.errors import InvalidInputError
from domain.thresholds import BY_KEY, THRESHOLDS, Thresholds, ThresholdsUnchangedError, ThresholdValues
from domain.values import Actor, Role, Stamp

T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
ADMIN = Actor(id="token:admin", role=Role.ADMIN, unit="HQ", name="系统管理员")
FILE = Actor(id="settings-file", role=Role.SYSTEM, unit="HQ", name="settings file")


def stamp(actor: Actor = ADMIN, at: datetime = T0) -> Stamp:
    return Stamp(actor=actor, occurred_at=at, recorded_at=at)


def loaded(values: ThresholdValues | None = None) -> Thresholds:
    return Thresholds.load(stamp(FILE), values=values or ThresholdValues(), source="thresholds.toml")


def test_the_defaults_are_the_values_the_policies_used_before_they_were_settings() -> None:
    assert PolicySettings().with_values(ThresholdValues()) == PolicySettings()
    assert [t.key for t in THRESHOLDS] == list(ThresholdValues().as_dict())


def test_every_threshold_says_what_it_means_in_both_languages_and_its_unit() -> None:
    for threshold in THRESHOLDS:
        assert threshold.zh
        assert threshold.en
        assert threshold.unit
        assert 0 < threshold.minimum < threshold.maximum


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("related_window_hours", 0),
        ("related_window_hours", 169),
        ("related_complaints_for_yellow", 1),  # one complaint alone is not related to others
        ("related_outlets_for_orange", -3),
        ("emergency_idle_minutes", 4),
        ("deadline_warning_days", 15),  # a warning after the 15-day limit warns of nothing
        ("surge_wait_minutes", 2.5),  # whole numbers only
        ("surge_waiting_customers", True),
        ("complaint_idle_hours", "24"),
        ("complaint_idle_hours", None),  # only red may be off
        ("no_such_threshold", 3),
    ],
)
def test_a_value_out_of_bounds_or_not_a_whole_number_is_refused_naming_the_key(
    key: str, value: object
) -> None:
    with pytest.raises(InvalidInputError) as refused:
        ThresholdValues.checked({key: value})
    assert refused.value.field == key


def test_red_may_be_off_but_when_on_asks_for_more_outlets_than_orange() -> None:
    assert ThresholdValues.checked({"red_when_outlets_at_least": None}).red_when_outlets_at_least is None
    assert ThresholdValues.checked({"red_when_outlets_at_least": 4}).red_when_outlets_at_least == 4
    with pytest.raises(InvalidInputError) as refused:
        ThresholdValues.checked({"red_when_outlets_at_least": 3, "related_outlets_for_orange": 3})
    assert refused.value.field == "red_when_outlets_at_least"


def test_a_change_records_who_when_the_old_and_new_values_of_the_changed_keys_and_why() -> None:
    thresholds = loaded()
    thresholds.change(
        stamp(at=T0 + timedelta(hours=1)),
        values={"related_complaints_for_yellow": 2, "related_window_hours": 24},
        reason="试点: 两起即关联 / pilot",
    )
    loaded_event, changed = thresholds.collect_events()
    assert isinstance(loaded_event, Thresholds.Loaded)
    assert isinstance(changed, Thresholds.Changed)
    assert changed.actor == ADMIN
    assert changed.occurred_at == T0 + timedelta(hours=1)
    assert changed.before == {"related_complaints_for_yellow": 3}  # the window did not change
    assert changed.after == {"related_complaints_for_yellow": 2}
    assert changed.reason == "试点: 两起即关联 / pilot"
    assert thresholds.values.related_complaints_for_yellow == 2
    assert thresholds.file_values == ThresholdValues()  # the file still says what it said


@pytest.mark.parametrize(
    ("values", "reason", "error"),
    [
        ({"related_complaints_for_yellow": 3}, "no change", ThresholdsUnchangedError),
        ({}, "nothing", ThresholdsUnchangedError),
        ({"related_complaints_for_yellow": 2}, "   ", InvalidInputError),
        ({"related_complaints_for_yellow": 2, "emergency_idle_minutes": 0}, "half good", InvalidInputError),
    ],
)
def test_a_refused_change_records_nothing(
    values: dict[str, int], reason: str, error: type[Exception]
) -> None:
    thresholds = loaded()
    thresholds.collect_events()
    with pytest.raises(error):
        thresholds.change(stamp(), values=values, reason=reason)
    assert thresholds.collect_events() == []
    assert thresholds.values == ThresholdValues()


def test_the_same_file_again_changes_nothing_even_after_an_admin_changed_the_values() -> None:
    thresholds = loaded()
    thresholds.change(stamp(), values={"emergency_idle_minutes": 15}, reason="夜间网点 / night outlets")
    thresholds.collect_events()
    assert not thresholds.follow_file(stamp(FILE), values=ThresholdValues(), source="thresholds.toml")
    assert thresholds.collect_events() == []
    assert thresholds.values.emergency_idle_minutes == 15  # the admin's change stands


def test_a_changed_file_changes_only_the_keys_it_changed_recorded_as_the_files_change() -> None:
    thresholds = loaded()
    thresholds.change(stamp(), values={"emergency_idle_minutes": 15}, reason="夜间网点 / night outlets")
    thresholds.collect_events()
    edited = ThresholdValues(deadline_warning_days=5)  # the operator edited one line of the file
    assert thresholds.follow_file(stamp(FILE), values=edited, source="thresholds.toml")
    [changed] = thresholds.collect_events()
    assert isinstance(changed, Thresholds.Changed)
    assert changed.actor == FILE
    assert changed.before == {"deadline_warning_days": 3}
    assert changed.after == {"deadline_warning_days": 5}
    assert "thresholds.toml" in changed.reason
    assert thresholds.values.deadline_warning_days == 5
    assert thresholds.values.emergency_idle_minutes == 15  # the unrelated API change is not undone
    assert not thresholds.follow_file(stamp(FILE), values=edited, source="thresholds.toml")


def test_a_file_edit_back_to_what_an_admin_set_is_remembered_without_changing_the_values() -> None:
    thresholds = loaded()
    thresholds.change(stamp(), values={"emergency_idle_minutes": 15}, reason="夜间网点 / night outlets")
    thresholds.collect_events()
    assert thresholds.follow_file(stamp(FILE), values=ThresholdValues(emergency_idle_minutes=15), source="f")
    [changed] = thresholds.collect_events()
    assert isinstance(changed, Thresholds.Changed)
    assert changed.before == changed.after == {}
    assert thresholds.file_values.emergency_idle_minutes == 15


def test_the_values_come_back_from_the_events_alone() -> None:
    thresholds = loaded(ThresholdValues(related_window_hours=12))
    thresholds.change(stamp(), values={"red_when_outlets_at_least": 6}, reason="全面性自动 / automatic red")
    events = thresholds.collect_events()
    replayed = None
    for recorded in events:
        replayed = recorded.mutate(replayed)
    assert isinstance(replayed, Thresholds)
    assert replayed.values == ThresholdValues(related_window_hours=12, red_when_outlets_at_least=6)
    assert replayed.changed_by == ADMIN


def test_each_key_has_its_threshold() -> None:
    assert set(BY_KEY) == set(ThresholdValues().as_dict())
