"""The complainant's contact details: personal data, kept apart and never shown in logs."""

from dataclasses import dataclass
from typing import ClassVar

from domain.immutable import Immutable


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

    @property
    def is_empty(self) -> bool:
        """True when no detail was given."""
        return not (self.name or self.phone or self.email)
