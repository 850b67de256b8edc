"""The complaint statistics as a CSV table: one row per group, headers in Chinese and English."""

from __future__ import annotations

from collections.abc import Sequence

from interfaces.csv_cells import csv_text
from projections.complaint_facts import ComplaintStats


def stats_table(groups: Sequence[ComplaintStats]) -> str:
    """The groups as CSV (csv_cells: BOM, guarded cells); the closed-within columns as the stats give them."""
    windows = sorted({days for group in groups for days in group.closed_within}) or [15, 30, 60]
    headers = [
        "分组 Group",
        "受理 Received",
        "办结 Closed",
        *(f"{days}日内办结 Closed within {days} days" for days in windows),
        "逾期 Overdue",
        "查实率 Founded rate",
        "满意率 Satisfaction rate",
        "受理用时中位数(小时) Hours to acknowledge, median",
        "受理用时P90(小时) Hours to acknowledge, p90",
        "办结用时中位数(小时) Hours to close, median",
        "办结用时P90(小时) Hours to close, p90",
    ]
    rows = [
        [
            group.group,
            group.received,
            group.closed,
            *(group.closed_within.get(days, 0) for days in windows),
            group.overdue,
            _blank(group.founded_rate),
            _blank(group.satisfaction_rate),
            _blank(group.hours_to_acknowledge.get("median")),
            _blank(group.hours_to_acknowledge.get("p90")),
            _blank(group.hours_to_close.get("median")),
            _blank(group.hours_to_close.get("p90")),
        ]
        for group in groups
    ]
    return csv_text(headers, rows)


def _blank(value: float | None) -> object:
    return "" if value is None else value
