"""What a board is fed: a stored event and its position in the log."""

from __future__ import annotations

from typing import Any, Protocol


class Logged(Protocol):
    """A stored event at a log position (the application's LogTail yields these)."""

    @property
    def position(self) -> int: ...

    @property
    def event(self) -> Any: ...
