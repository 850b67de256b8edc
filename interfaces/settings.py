"""One frozen settings object, read from the environment by the entry points, never at import."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from application.access.tokens import TOKEN_CACHE_SECONDS
from interfaces.feed.limits import FeedLimits
from interfaces.log_setup import LogFormat, log_format_named, log_level_named
from interfaces.organisation_file import DEMO_ORGANISATION_PATH

DEFAULT_DATABASE_URL = "sqlite:///var/incident.db"
# The bank's calendar: statistics by day count Beijing days, whatever offset a branch's client sent.
DEFAULT_CALENDAR = ZoneInfo("Asia/Shanghai")
DEFAULT_LOG_ORIGIN = "incident.bank.example/log"  # a schema-less URL, as c2sp.org/tlog-checkpoint advises


@dataclass(frozen=True)
class Settings:
    """Where the store and the organisation are, and where the server listens."""

    database_url: str = DEFAULT_DATABASE_URL
    organisation_file: Path = DEMO_ORGANISATION_PATH
    # The bank's thresholds (interfaces/thresholds_file.py): the starting values; None: the defaults.
    thresholds_file: Path | None = None
    # Who is told of what, and through which channels (interfaces/notify/settings_file.py); None: nobody.
    notifications_file: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    # The embedded default projects its boards in the server; scaled out, `incident project` does.
    run_boards: bool = True
    # The policies (complaint clock, passive waiting, risk grading, customer surge) run beside the boards.
    run_policies: bool = True
    # How often the time-based policies (complaint clock, passive waiting) look at the clock.
    policy_tick_seconds: float = 30.0
    # How long a verified token is served from memory (application/access/tokens.py): the longest a
    # token revoked by another process can still pass if that process's news of it is lost. 0: off.
    token_cache_seconds: float = TOKEN_CACHE_SECONDS
    # Feeds open per token and per process, and the feed's deadlines (interfaces/feed/limits.py).
    feed: FeedLimits = field(default_factory=FeedLimits)
    # The bank's calendar days (INCIDENT_CALENDAR_ZONE, an IANA zone name).
    calendar: ZoneInfo = DEFAULT_CALENDAR
    # The Ed25519 key that signs the log's checkpoints (INCIDENT_SIGNING_KEY_FILE), made on first start
    # if absent (mode 0600); None: beside the SQLite file, or var/ on PostgreSQL. Keep it, and back it up.
    signing_key_file: Path | None = None
    # The personal-data key ring (INCIDENT_PERSONAL_KEYS_FILE, interfaces/personal_keys.py), made on
    # first start if absent (mode 0600); None: beside the signing key. Shared by every process.
    personal_keys_file: Path | None = None
    # The log's name in its checkpoints and the key's name in their signatures (INCIDENT_LOG_ORIGIN).
    log_origin: str = DEFAULT_LOG_ORIGIN
    # The server's own log lines (INCIDENT_LOG_FORMAT text|json, INCIDENT_LOG_LEVEL): one a request and
    # one a command, on stderr, never a token (interfaces/log_setup.py).
    log_format: LogFormat = "text"
    log_level: str = "info"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        organisation = environ.get("INCIDENT_ORGANISATION_FILE")
        thresholds = environ.get("INCIDENT_THRESHOLDS_FILE")
        notifications = environ.get("INCIDENT_NOTIFICATIONS_FILE")
        return cls(
            database_url=environ.get("INCIDENT_DATABASE_URL") or DEFAULT_DATABASE_URL,
            organisation_file=Path(organisation) if organisation else DEMO_ORGANISATION_PATH,
            thresholds_file=Path(thresholds) if thresholds else None,
            notifications_file=Path(notifications) if notifications else None,
            host=environ.get("INCIDENT_HOST") or cls.host,
            port=int(environ.get("INCIDENT_PORT") or cls.port),
            run_boards=(environ.get("INCIDENT_RUN_BOARDS") or "yes").lower() not in ("0", "no", "false", "n"),
            run_policies=(environ.get("INCIDENT_RUN_POLICIES") or "yes").lower()
            not in ("0", "no", "false", "n"),
            policy_tick_seconds=float(environ.get("INCIDENT_POLICY_TICK_SECONDS") or cls.policy_tick_seconds),
            token_cache_seconds=float(environ.get("INCIDENT_TOKEN_CACHE_SECONDS") or cls.token_cache_seconds),
            feed=FeedLimits.from_env(environ),
            calendar=_zone(environ.get("INCIDENT_CALENDAR_ZONE") or DEFAULT_CALENDAR.key),
            signing_key_file=Path(key_file)
            if (key_file := environ.get("INCIDENT_SIGNING_KEY_FILE"))
            else None,
            personal_keys_file=Path(keys_file)
            if (keys_file := environ.get("INCIDENT_PERSONAL_KEYS_FILE"))
            else None,
            log_origin=environ.get("INCIDENT_LOG_ORIGIN") or DEFAULT_LOG_ORIGIN,
            log_format=log_format_named(environ.get("INCIDENT_LOG_FORMAT") or cls.log_format),
            log_level=log_level_named(environ.get("INCIDENT_LOG_LEVEL") or cls.log_level),
        )

    def data_folder(self) -> Path:
        """Where the deployment's own files are kept: beside the SQLite file, or var/ on PostgreSQL."""
        parts = urlsplit(self.database_url)
        return Path(parts.path.removeprefix("/")).parent if parts.scheme == "sqlite" else Path("var")

    def signing_key_path(self) -> Path:
        """Where the checkpoints' signing key is kept."""
        if self.signing_key_file is not None:
            return self.signing_key_file
        return self.data_folder() / "incident-signing.key"

    def personal_keys_path(self) -> Path:
        """Where the personal-data key ring is kept."""
        if self.personal_keys_file is not None:
            return self.personal_keys_file
        return self.data_folder() / "incident-personal-keys.json"

    def prepare_storage(self) -> None:
        """Create the folder of an embedded SQLite file (e.g. ./var/) so a fresh checkout just runs."""
        parts = urlsplit(self.database_url)
        if parts.scheme == "sqlite":
            Path(parts.path.removeprefix("/")).parent.mkdir(parents=True, exist_ok=True)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"INCIDENT_CALENDAR_ZONE: {name!r} is not an IANA time zone (e.g. Asia/Shanghai)"
        ) from None
