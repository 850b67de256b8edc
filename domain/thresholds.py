"""The bank's adjustable thresholds (可灵活调整的阈值, seed 001) as one event-sourced aggregate.

Every threshold the policies use is here by name, with its unit, its bounds and both languages'
description: risk grading (关联性, 广泛性, 全面性), customer surge (二次分流), passive waiting (被动等待)
and the complaint clock's warning. They are whole numbers in the unit their name says (hours,
minutes, days, complaints, outlets, customers): a compliance officer reads "3 in 24 h", and a
whole number has one spelling in a file, an API body and an event.

There is one `Thresholds` aggregate (`THRESHOLDS_ID`), in the same log as the incidents: its first
event (`Loaded`) holds the starting values (the settings file's, or the defaults), every later change
is a `Changed` event with who, when, the values before and after, and why. Nothing is overwritten,
so "which thresholds were in force when this complaint was raised?" is answered by the log.

The settings file and the API (the reading a careful operator expects):
- a change through the API (an admin's, with a reason) stands until someone changes it again;
  restarting the server with the same file changes nothing;
- a change *of the file* is a change too: at start, the keys whose value in the file differs from the
  value the file gave last time are applied, recorded as a `Changed` by the settings file, with the
  file named in the reason. Keys the file did not change keep what is in force, so an admin's change
  through the API is not undone by an unrelated edit of the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, cast
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.actors import Actor, Stamp
from domain.errors import InvalidInputError, RuleBrokenError
from domain.playbooks import SECOND_DIVERSION_WAIT_MINUTES, SECOND_DIVERSION_WAITING_CUSTOMERS
from domain.stamped import Stamped
from domain.texts import required_text

# One aggregate for the whole bank: its id is fixed, so every process finds it without a lookup.
THRESHOLDS_ID = uuid5(UUID("0b6e5f0e-4c1a-5d3e-8f2a-7c9b1d4e6a20"), "thresholds")

Values = dict[str, int | None]


@dataclass(frozen=True)
class Threshold:
    """One adjustable threshold: its key, unit, bounds (inclusive) and what it means, in both languages."""

    key: str
    unit: str
    minimum: int
    maximum: int
    zh: str
    en: str
    optional: bool = False  # None is a value: "off" (the office decides instead)

    def check(self, value: Any, field: str | None = None) -> int | None:
        """The value, if it is a whole number within bounds (or None where that means off)."""
        field = field or self.key
        if value is None and self.optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            off = " or null (off)" if self.optional else ""
            raise InvalidInputError(
                f"{self.key} must be a whole number of {self.unit}{off}, not {value!r}", field=field
            )
        if not self.minimum <= value <= self.maximum:
            raise InvalidInputError(
                f"{self.key} must be from {self.minimum} to {self.maximum} {self.unit}, not {value}",
                field=field,
            )
        return value


# The bounds: at least what still makes the rule a rule (one incident alone is not "related"; a
# threshold of 0 minutes flags everything), at most what a bank could mean (a week's window; a
# warning before the 15-day limit, not after it).
THRESHOLDS: tuple[Threshold, ...] = (
    Threshold(
        "related_window_hours", "hours", 1, 168,
        "关联性/广泛性/全面性的时间窗口：在此小时数内发生的同类事件视为相关",
        "Risk grading window: related incidents within this many hours count together",
    ),
    Threshold(
        "related_complaints_for_yellow", "complaints", 2, 100,
        "关联性（黄色）：同一网点窗口内同类投诉达到此数",
        "Related (yellow): this many complaints of one category at one outlet within the window",
    ),
    Threshold(
        "related_outlets_for_orange", "outlets", 2, 100,
        "广泛性（橙色）：同一支行窗口内发生同类事件的网点达到此数",
        "Widespread (orange): related incidents at this many outlets of one sub-branch within the window",
    ),
    Threshold(
        "red_when_outlets_at_least", "outlets", 2, 1000,
        "全面性（红色）：同一分行窗口内发生同类事件的网点达到此数；为空则红色由办公室决定",
        "All-round (red): related incidents at this many outlets of one branch within the window; "
        "empty: red stays the office's decision",
        optional=True,
    ),
    Threshold(
        "surge_waiting_customers", "customers", 1, 10_000,
        "客流激增（二次分流）：等候人数达到此数",
        "Customer surge (second diversion): this many customers waiting",
    ),
    Threshold(
        "surge_wait_minutes", "minutes", 1, 480,
        "客流激增（二次分流）：最长等候达到此分钟数（与等候人数同时满足）",
        "Customer surge (second diversion): the longest wait reaches this many minutes (with the count)",
    ),
    Threshold(
        "complaint_idle_hours", "hours", 1, 360,
        "被动等待：投诉在此小时数内无任何处理记录即标记",
        "Passive waiting: a complaint with nothing recorded for this many hours is flagged",
    ),
    Threshold(
        "emergency_idle_minutes", "minutes", 5, 1440,
        "被动等待：未解除的突发事件在此分钟数内无任何记录即标记",
        "Passive waiting: an open emergency with nothing posted for this many minutes is flagged",
    ),
    Threshold(
        "deadline_warning_days", "days", 1, 14,
        "投诉时限预警：在答复期限前此天数提醒负责人",
        "Complaint clock: warn the owner this many days before the decision is due",
    ),
)  # fmt: skip
BY_KEY = {threshold.key: threshold for threshold in THRESHOLDS}


@dataclass(frozen=True)
class ThresholdValues:
    """The thresholds in force; the defaults are the seeds' (the product's values before they were settings)."""

    related_window_hours: int = 24
    related_complaints_for_yellow: int = 3
    related_outlets_for_orange: int = 3
    red_when_outlets_at_least: int | None = None
    surge_waiting_customers: int = SECOND_DIVERSION_WAITING_CUSTOMERS
    surge_wait_minutes: int = SECOND_DIVERSION_WAIT_MINUTES
    complaint_idle_hours: int = 24
    emergency_idle_minutes: int = 30
    deadline_warning_days: int = 3

    @classmethod
    def checked(cls, given: Mapping[str, Any], *, base: ThresholdValues | None = None) -> ThresholdValues:
        """`base` (the defaults if None) with the keys of `given` changed, checked; a refusal names the key.

        Beyond each key's bounds: all-round (red, a branch) must ask for more outlets than widespread
        (orange, a sub-branch), or red would come first and orange never show.
        """
        for key in given:
            if key not in BY_KEY:
                raise InvalidInputError(
                    f"unknown threshold {key!r}; the thresholds are: {', '.join(BY_KEY)}", field=key
                )
        merged = {
            **(base or cls()).as_dict(),
            **{key: BY_KEY[key].check(value) for key, value in given.items()},
        }
        red, orange = merged["red_when_outlets_at_least"], merged["related_outlets_for_orange"]
        if red is not None and orange is not None and red <= orange:
            raise InvalidInputError(
                f"red_when_outlets_at_least ({red}) must be more than related_outlets_for_orange ({orange}): "
                "all-round (a branch) is wider than widespread (a sub-branch)",
                field="red_when_outlets_at_least",
            )
        return cls.stored(merged)

    @classmethod
    def stored(cls, values: Mapping[str, int | None]) -> ThresholdValues:
        """Values as an event holds them (checked when recorded: appliers never check again)."""
        return cls(**{key: values[key] for key in BY_KEY if key in values})  # type: ignore[arg-type]

    def as_dict(self) -> Values:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def differences(self, other: ThresholdValues) -> Values:
        """The keys whose value in `other` differs from this one, with `other`'s values."""
        mine, theirs = self.as_dict(), other.as_dict()
        return {key: theirs[key] for key in BY_KEY if mine[key] != theirs[key]}


class ThresholdsUnchangedError(RuleBrokenError):
    """A change that changes nothing: every value asked for is already in force."""

    code = "thresholds_unchanged"


class Thresholds(Stamped, Aggregate):
    """The bank's thresholds in force, and every change of them, from the values first loaded."""

    class Event(Aggregate.Event):
        """A thresholds event: who did it and when."""

        actor: Actor
        occurred_at: datetime

    class Loaded(Event, Aggregate.Created):
        """The starting values: from the settings file (`source` names it) or the defaults."""

        values: Values
        source: str

    class Changed(Event):
        """Thresholds were changed: by an admin through the API, or by a changed settings file.

        `before` and `after` hold the changed keys only. `file_values` is set when the settings file
        made the change: what the file says now, for the next start to compare against.
        """

        before: Values
        after: Values
        reason: str
        file_values: Values | None

        def apply(self, aggregate: Any) -> None:
            thresholds = cast(Thresholds, aggregate)
            thresholds.values = ThresholdValues.stored({**thresholds.values.as_dict(), **self.after})
            if self.file_values is not None:
                thresholds.file_values = ThresholdValues.stored(self.file_values)
            thresholds.changed_by = self.actor
            thresholds.changed_at = self.occurred_at

    def __init__(self, *, values: Values, source: str, actor: Actor, occurred_at: datetime) -> None:
        self.values = ThresholdValues.stored(values)
        self.file_values = self.values  # what the settings file (or the defaults) said last
        self.source = source
        self.changed_by = actor
        self.changed_at = occurred_at

    @classmethod
    def load(cls, stamp: Stamp, *, values: ThresholdValues, source: str) -> Thresholds:
        """Start the thresholds with `values` (the settings file's, or the defaults)."""
        return cls._create_stamped(
            cls.Loaded,
            stamp,
            id=THRESHOLDS_ID,
            values=values.as_dict(),
            source=required_text(source, "source"),
        )

    def change(self, stamp: Stamp, *, values: Mapping[str, Any], reason: str) -> None:
        """Change some thresholds (`values`: key → new value), saying why; checked whole, recorded once."""
        stamp.check(self.id)
        reason = required_text(reason, "reason", self.id)
        after = ThresholdValues.checked(values, base=self.values)
        changed = self.values.differences(after)
        if not changed:
            raise ThresholdsUnchangedError(
                "every threshold asked for is already in force", incident_id=self.id
            )
        before = {key: self.values.as_dict()[key] for key in changed}
        self._record(self.Changed, stamp, before=before, after=changed, reason=reason, file_values=None)

    def follow_file(self, stamp: Stamp, *, values: ThresholdValues, source: str) -> bool:
        """Apply what the settings file changed since it was last read (see the module's docstring).

        Returns False, recording nothing, when the file says what it said last time.
        """
        edited = self.file_values.differences(values)
        if not edited:
            return False
        stamp.check(self.id)
        after = ThresholdValues.checked(edited, base=self.values)
        changed = self.values.differences(after)
        before = {key: self.values.as_dict()[key] for key in changed}
        reason = f"阈值配置文件已修改 / the settings file changed: {required_text(source, 'source')}"
        self._record(
            self.Changed, stamp, before=before, after=changed, reason=reason, file_values=values.as_dict()
        )
        return True
