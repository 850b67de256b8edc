"""The words for every code a screen prints, served once so that the web page holds no copy of them."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from domain.vocabulary import COMMANDS, ERRORS, EVENTS, FIELD_VALUES, FIELDS, Words
from interfaces.http.command_forms import Words2

router = APIRouter(prefix="/api/v1", tags=["vocabulary"])


class VocabularyOut(BaseModel):
    """Chinese and English words by code: commands, events, fields, error codes, and coded values by field."""

    commands: dict[str, Words2]
    events: dict[str, Words2]
    fields: dict[str, Words2]
    errors: dict[str, Words2]
    values: dict[str, dict[str, Words2]]


def _table(table: dict[str, Words]) -> dict[str, Words2]:
    return {code: Words2(zh=zh, en=en) for code, (zh, en) in table.items()}


@router.get("/vocabulary", response_model=VocabularyOut)
def vocabulary() -> VocabularyOut:
    """The words for codes (no token needed: they are the same for everyone, and hold no data)."""
    return VocabularyOut(
        commands=_table(COMMANDS),
        events=_table(EVENTS),
        fields=_table(FIELDS),
        errors=_table(ERRORS),
        values={
            field: {m.code: Words2(zh=m.zh, en=m.en) for m in enum} for field, enum in FIELD_VALUES.items()
        },
    )
