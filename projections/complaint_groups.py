"""How the call centre's statistics group complaints: by a field, or by the unit above the outlet."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import Connection

from domain.organisation import Organisation, UnitKind
from projections.complaint_facts import ComplaintStats, complaint_stats

Key = Callable[[dict[str, Any]], str]
FIELDS = ("channel", "category", "outlet")
UNIT_KINDS = {"sub_branch": UnitKind.SUB_BRANCH, "branch": UnitKind.BRANCH}
GROUPINGS = (*FIELDS, *UNIT_KINDS, "day")


def group_key(organisation: Organisation, group_by: str, calendar: tzinfo) -> Key:
    """The group of a complaint's facts row; a unit grouping names the outlet's unit of that kind.

    A day is the bank's calendar day in `calendar` (Asia/Shanghai unless set otherwise), never the
    UTC offset a client happened to send: three complaints received on one Beijing day are one day.
    """
    if group_by in FIELDS:
        return lambda row: str(row[group_by])
    if group_by == "day":
        return lambda row: row["received_at"].astimezone(calendar).date().isoformat()
    kind = UNIT_KINDS[group_by]
    return lambda row: unit_above(organisation, row["outlet"], kind)


def unit_above(organisation: Organisation, outlet: str, kind: UnitKind) -> str:
    """The code of the unit of `kind` on the outlet's path; the outlet itself if the tree has none."""
    path = organisation.path(outlet) if outlet in organisation else []
    return next((unit.code for unit in path if unit.kind is kind), outlet)


def grouped_complaint_stats(
    conn: Connection,
    organisation: Organisation,
    *,
    group_by: str,
    outlets: Iterable[str],
    now: datetime,
    calendar: tzinfo,
) -> list[ComplaintStats]:
    """The statistics of the complaints at `outlets`, one entry per group (days in `calendar`)."""
    key = group_key(organisation, group_by, calendar)
    return complaint_stats(conn, group_by=key, outlets=outlets, now=now)
