"""The words of the codes the pages filter by (`GET /api/v1/vocabulary`), and the bank's time zone."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter

from domain.complaint_terms import Category
from domain.emergency_terms import EmergencyKind
from domain.incident_type import IncidentType
from domain.labelled import Labelled
from domain.level import Level
from domain.status import IncidentStatus
from interfaces.http.auth import CurrentPrincipal
from interfaces.http.board_labels import bilingual
from interfaces.http.board_reads import App

router = APIRouter(prefix="/api/v1", tags=["incidents"])
KINDS_OF: dict[IncidentType, list[Labelled]] = {
    IncidentType.COMPLAINT: list(Category),
    IncidentType.EMERGENCY: list(EmergencyKind),
}


@router.get("/vocabulary")
def vocabulary(_: CurrentPrincipal, app: App) -> dict[str, Any]:
    """Each type with its kinds (a complaint's categories, an emergency's kinds), the levels mildest
    first, the statuses, each as `{code, zh, en}`; and `time_zone`, the IANA zone the bank's days and
    clocks are read in (INCIDENT_CALENDAR_ZONE)."""
    zone = app.calendar.key if isinstance(app.calendar, ZoneInfo) else "UTC"
    return {
        "types": [
            {
                "code": kind.value,
                "zh": kind.zh,
                "en": kind.en,
                "kinds": [bilingual(k) for k in KINDS_OF[kind]],
            }
            for kind in IncidentType
        ],
        "levels": [bilingual(level) for level in Level],
        "statuses": [bilingual(status) for status in IncidentStatus],
        "time_zone": zone,
    }
