"""The rule for every text the bank records: readable Unicode in NFC, of a bounded length.

Texts are shown on boards, printed in histories, compared by auditors and stored on SQLite and
PostgreSQL. So a text is refused, naming the character, when it holds what no reader can see or
what some store cannot hold:
- control characters other than newline and tab (NUL cannot be stored in PostgreSQL text; BEL,
  ESC and friends rewrite terminals);
- invisible format characters (Unicode category Cf): bidi overrides such as U+202E make a note read
  differently from what was stored, zero-width characters make two equal-looking texts differ;
- lone surrogates (not encodable in UTF-8) and the line/paragraph separators U+2028/U+2029.
Texts are stored in NFC, so that equal-looking texts are equal bytes.
"""

import unicodedata
from uuid import UUID

from domain.errors import InvalidInputError

MAX_TEXT_LENGTH = 2000
# Whitespace a free text may hold besides spaces.
ALLOWED_CONTROLS = frozenset("\n\t")
# Unicode general categories no recorded text may contain (see the module docstring).
REFUSED_CATEGORIES = {
    "Cc": "a control character",
    "Cf": "an invisible formatting character",
    "Cs": "a lone surrogate (not UTF-8)",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
}


def readable_text(value: str, field: str, incident_id: UUID | None = None) -> str:
    """The text in NFC; refused when it holds a character of REFUSED_CATEGORIES or is too long."""
    for offset, character in enumerate(value):
        category = unicodedata.category(character)
        if category in REFUSED_CATEGORIES and character not in ALLOWED_CONTROLS:
            name = unicodedata.name(character, "")
            raise InvalidInputError(
                f"{field} contains {REFUSED_CATEGORIES[category]}, U+{ord(character):04X}"
                f"{' ' + name if name else ''}, at character {offset + 1}",
                field=field,
                incident_id=incident_id,
            )
    text = unicodedata.normalize("NFC", value)
    if len(text) > MAX_TEXT_LENGTH:
        raise InvalidInputError(
            f"{field} is longer than {MAX_TEXT_LENGTH} characters",
            field=field,
            incident_id=incident_id,
        )
    return text


def required_text(value: str, field: str, incident_id: UUID | None = None) -> str:
    """The text stripped of surrounding blanks; refused when empty, unreadable or too long."""
    text = optional_text(value, field, incident_id)
    if not text:
        raise InvalidInputError(f"{field} is required", field=field, incident_id=incident_id)
    return text


def optional_text(value: str, field: str, incident_id: UUID | None = None) -> str:
    """The text stripped of surrounding blanks (may be empty); refused when unreadable or too long."""
    return readable_text(value, field, incident_id).strip()
