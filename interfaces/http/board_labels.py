"""Board rows for people: each code with its Chinese and English label, the outlet's names."""

from __future__ import annotations

from typing import Any

from domain.incident_type import IncidentType
from domain.labelled import Bilingual
from domain.level import Level
from domain.organisation import Organisation
from domain.status import IncidentStatus


def _label(member: Bilingual) -> dict[str, str]:
    return {"code": member.code, "zh": member.zh, "en": member.en}


def _step_label(row: dict[str, Any], code: str) -> dict[str, str]:
    # Per kind: the same action code (report_superior, ...) reads differently in each playbook.
    return _label(IncidentType(row["type"]).step_named(row["kind"], code))


def labelled_office_row(row: dict[str, Any], organisation: Organisation) -> dict[str, Any]:
    """A row of projections/open_incidents.py with its codes labelled and its outlet named."""
    outlet = organisation.get(row["outlet"])
    return {
        **row,
        "level": _label(Level(row["level"])),
        "kind": _label(IncidentType(row["type"]).kind_named(row["kind"])),
        "status": _label(IncidentStatus(row["status"])),
        "current_step": _step_label(row, row["current_step"]) if row["current_step"] else None,
        "next_step": _step_label(row, row["next_step"]),
        "open_actions": [_step_label(row, code) for code in row["open_actions"]],
        "outlet_name": {"zh": outlet.name_zh, "en": outlet.name_en} if outlet else None,
        "outlet_path": [u.code for u in organisation.path(row["outlet"])] if outlet else [],
    }


def labelled_catalogue_row(row: dict[str, Any], organisation: Organisation) -> dict[str, Any]:
    """A row of projections/incident_search.py with its codes labelled and its outlet named."""
    outlet = organisation.get(row["outlet"])
    kind = IncidentType(row["type"])
    return {
        **row,
        "level": _label(Level(row["level"])),
        "kind": _label(kind.kind_named(row["kind"])),
        "status": _label(IncidentStatus(row["status"])),
        "outlet_name": {"zh": outlet.name_zh, "en": outlet.name_en} if outlet else None,
    }


def bilingual(member: Bilingual) -> dict[str, str]:
    """A code with its Chinese and English label, the shape every row gives one in."""
    return _label(member)
