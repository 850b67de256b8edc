"""Value objects that are never copied: they cannot change, so a copy would only cost time."""

from typing import Any, Self


class Immutable:
    """Mixin for frozen value objects: copying (and deep-copying a cached aggregate) shares them."""

    __slots__ = ()

    def __copy__(self) -> Self:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        return self
