"""Checks on the free texts commands carry: required ones must say something, none may be huge."""

from uuid import UUID

from domain.errors import InvalidInputError

MAX_TEXT_LENGTH = 2000


def required_text(value: str, field: str, incident_id: UUID | None = None) -> str:
    """The text stripped of surrounding blanks; refused when empty or too long."""
    text = value.strip()
    if not text:
        raise InvalidInputError(f"{field} is required", field=field, incident_id=incident_id)
    return optional_text(text, field, incident_id)


def optional_text(value: str, field: str, incident_id: UUID | None = None) -> str:
    """The text stripped of surrounding blanks (may be empty); refused when too long."""
    text = value.strip()
    if len(text) > MAX_TEXT_LENGTH:
        raise InvalidInputError(
            f"{field} is longer than {MAX_TEXT_LENGTH} characters",
            field=field,
            incident_id=incident_id,
        )
    return text
