"""The complainant's contact details: personal data, kept apart and never shown in logs."""

from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID

from domain.errors import InvalidInputError
from domain.immutable import Immutable
from domain.texts import optional_text

# Longest a detail may be: a name as written, a phone with its country code and extension, an
# address as RFC 5321 bounds it.
MAX_LENGTHS = {"name": 200, "phone": 40, "email": 254}


@dataclass(frozen=True, repr=False)
class CustomerContact(Immutable):
    """How to reach the complainant (PERSONAL DATA: masked in repr and str)."""

    personal: ClassVar[bool] = True

    name: str = ""
    phone: str = ""
    email: str = ""

    def __repr__(self) -> str:
        return "CustomerContact(<personal>)"

    def __str__(self) -> str:
        return "<personal>"

    def checked(self, field: str, incident_id: UUID | None = None) -> "CustomerContact":
        """The contact with each detail readable, stripped and in NFC (the rule of every recorded text);
        InvalidInputError naming `field.detail` otherwise."""
        details = {}
        for detail, longest in MAX_LENGTHS.items():
            value = getattr(self, detail)
            if not isinstance(value, str):
                raise InvalidInputError(
                    f"{field}.{detail} must be text", field=f"{field}.{detail}", incident_id=incident_id
                )
            text = optional_text(value, f"{field}.{detail}", incident_id)
            if len(text) > longest:
                raise InvalidInputError(
                    f"{field}.{detail} is longer than {longest} characters",
                    field=f"{field}.{detail}",
                    incident_id=incident_id,
                )
            details[detail] = text
        return CustomerContact(**details)

    @property
    def is_empty(self) -> bool:
        """True when no detail was given."""
        return not (self.name or self.phone or self.email)
