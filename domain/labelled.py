"""The base of every domain enumeration: a plain str value with a Chinese and an English label."""

from enum import Enum
from typing import Protocol, Self


class Bilingual(Protocol):
    """Anything read by a stable code with a Chinese and an English label: a step, an action, a kind."""

    @property
    def code(self) -> str: ...

    @property
    def zh(self) -> str: ...

    @property
    def en(self) -> str: ...


class Labelled(Enum):
    """An enumeration whose members read `VALUE = "value", "中文", "English"`."""

    # A plain Enum (not StrEnum): the store gives a registered transcoding, not a bare str, back.
    _value_: str
    zh: str
    en: str

    def __new__(cls, value: str, zh: str = "", en: str = "") -> Self:
        member = object.__new__(cls)
        member._value_ = value
        member.zh = zh
        member.en = en
        return member

    @property
    def value(self) -> str:
        """The stable stored value (snake_case English)."""
        return self._value_

    @property
    def code(self) -> str:
        """The value, by the name every `Bilingual` (a playbook action too) is read by."""
        return self._value_

    def label(self, language: str = "zh") -> str:
        """The label in "zh" or "en"."""
        return self.en if language == "en" else self.zh
