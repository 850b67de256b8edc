"""The words for every code a screen prints, served once so that the web pages hold no copy of them."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from pydantic import BaseModel

from domain.complaint_terms import Category
from domain.emergency_terms import EmergencyKind
from domain.incident_type import IncidentType
from domain.labelled import Labelled
from domain.level import Level
from domain.status import IncidentStatus
from domain.vocabulary import COMMANDS, ERRORS, EVENTS, FIELD_VALUES, FIELDS, Words
from interfaces.http.board_labels import bilingual
from interfaces.http.board_reads import App
from interfaces.http.command_forms import Words2

router = APIRouter(prefix="/api/v1", tags=["vocabulary"])
KINDS_OF: dict[IncidentType, list[Labelled]] = {
    IncidentType.COMPLAINT: list(Category),
    IncidentType.EMERGENCY: list(EmergencyKind),
}


class VocabularyOut(BaseModel):
    """Chinese and English words by code, the lists the pages filter by, and the bank's time zone."""

    commands: dict[str, Words2]
    events: dict[str, Words2]
    fields: dict[str, Words2]
    errors: dict[str, Words2]
    values: dict[str, dict[str, Words2]]
    # Each type with its kinds (a complaint's categories, an emergency's kinds), as {code, zh, en}.
    types: list[dict[str, Any]]
    levels: list[dict[str, Any]]  # mildest first
    statuses: list[dict[str, Any]]
    time_zone: str  # the IANA zone the bank's days and clocks are read in (INCIDENT_CALENDAR_ZONE)


def _table(table: dict[str, Words]) -> dict[str, Words2]:
    return {code: Words2(zh=zh, en=en) for code, (zh, en) in table.items()}


@router.get("/vocabulary", response_model=VocabularyOut)
def vocabulary(app: App) -> VocabularyOut:
    """The words for codes (no token needed: they are the same for everyone, and hold no data)."""
    return VocabularyOut(
        commands=_table(COMMANDS),
        events=_table(EVENTS),
        fields=_table(FIELDS),
        errors=_table(ERRORS),
        values={
            field: {m.code: Words2(zh=m.zh, en=m.en) for m in enum} for field, enum in FIELD_VALUES.items()
        },
        types=[
            {
                "code": kind.value,
                "zh": kind.zh,
                "en": kind.en,
                "kinds": [bilingual(k) for k in KINDS_OF[kind]],
            }
            for kind in IncidentType
        ],
        levels=[bilingual(level) for level in Level],
        statuses=[bilingual(status) for status in IncidentStatus],
        time_zone=app.calendar.key if isinstance(app.calendar, ZoneInfo) else "UTC",
    )
