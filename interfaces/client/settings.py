"""The branch client's settings, read from the environment by each command, never at import."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_URL = "http://127.0.0.1:8000"
DEFAULT_OUTBOX = "~/.local/state/incident/outbox.sqlite3"


class MissingTokenError(Exception):
    """INCIDENT_TOKEN is not set: the server cannot be called."""

    def __init__(self) -> None:
        super().__init__(
            "INCIDENT_TOKEN is not set: ask the emergency office for a token and export it "
            "(未设置 INCIDENT_TOKEN：请向应急办申请令牌)"
        )


@dataclass(frozen=True)
class ClientSettings:
    """Where the server is, who we are to it, and where the outbox file lives."""

    url: str = DEFAULT_URL
    token: str = ""
    outbox_path: Path = field(default_factory=lambda: Path(DEFAULT_OUTBOX).expanduser())

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ClientSettings:
        return cls(
            url=(environ.get("INCIDENT_URL") or DEFAULT_URL).rstrip("/"),
            token=(environ.get("INCIDENT_TOKEN") or "").strip(),
            outbox_path=Path(environ.get("INCIDENT_OUTBOX") or DEFAULT_OUTBOX).expanduser(),
        )

    def require_token(self) -> str:
        """The token, or MissingTokenError when none is set."""
        if not self.token:
            raise MissingTokenError()
        return self.token
