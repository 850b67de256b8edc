"""The office board's rows for people: each code with its Chinese and English label, the outlet's names."""

from __future__ import annotations

from typing import Any

from domain.complaint_terms import Category
from domain.emergency_terms import EmergencyKind
from domain.level import Level
from domain.organisation import Organisation
from domain.playbooks import PLAYBOOKS
from domain.status import IncidentStatus
from domain.steps import ComplaintStep
from interfaces.http.views import EMERGENCY_STEPS

# Per kind: the same code (report_superior, call_police, ...) reads differently in each playbook.
ACTION_LABELS = {(kind.value, a.code): (a.zh, a.en) for kind, actions in PLAYBOOKS.items() for a in actions}


def _label(code: str | None, zh: str, en: str) -> dict[str, str] | None:
    return None if code is None else {"code": code, "zh": zh, "en": en}


def _step_label(row: dict[str, Any], code: str) -> dict[str, str] | None:
    if row["type"] == "complaint":
        step = ComplaintStep(code)
        return _label(code, step.zh, step.en)
    zh, en = EMERGENCY_STEPS.get(code) or _action_label(row, code)
    return _label(code, zh, en)


def _action_label(row: dict[str, Any], code: str) -> tuple[str, str]:
    return ACTION_LABELS.get((row["kind"], code), (code, code))


def labelled_office_row(row: dict[str, Any], organisation: Organisation) -> dict[str, Any]:
    """A row of projections/open_incidents.py with its codes labelled and its outlet named."""
    level = Level(row["level"])
    kind = Category(row["kind"]) if row["type"] == "complaint" else EmergencyKind(row["kind"])
    status = IncidentStatus(row["status"])
    outlet = organisation.get(row["outlet"])
    return {
        **row,
        "level": _label(level.value, level.zh, level.en),
        "kind": _label(kind.value, kind.zh, kind.en),
        "status": _label(status.value, status.zh, status.en),
        "current_step": _step_label(row, row["current_step"]) if row["current_step"] else None,
        "next_step": _step_label(row, row["next_step"]),
        "open_actions": [_label(code, *_action_label(row, code)) for code in row["open_actions"]],
        "outlet_name": {"zh": outlet.name_zh, "en": outlet.name_en} if outlet else None,
        "outlet_path": [u.code for u in organisation.path(row["outlet"])] if outlet else [],
    }
