"""Reads the bank's notification settings (`INCIDENT_NOTIFICATIONS_FILE`, TOML or JSON): rules and channels.

A URL, secret or password is given in the file (`url = "…"`) or, better, named by the environment
variable that holds it (`url_env = "INCIDENT_WECOM_HD_URL"`): a robot's URL holds its key. What is
wrong is said with the rule or channel and the field, e.g. `rules[2] "red": min_level: "purple" is
not a level (blue, yellow, orange, red)`. For example:

    board_url = "https://incident.bank.example"   # the web board, for the links in messages
    max_age_hours = 24                           # older events are not notified

    [channels.office-hook]
    type = "webhook"                             # webhook | wecom | dingtalk | email
    url = "https://ops.bank.example/incident"
    secret_env = "INCIDENT_HOOK_SECRET"

    [channels.hd-group]
    type = "wecom"
    url_env = "INCIDENT_WECOM_HD_URL"

    [[rules]]
    name = "red-orange"
    triggers = ["raised"]                        # raised, deadline, overdue, idle, surge
    min_level = "orange"
    units = ["BJ-HD"]                            # subtrees; left out: the whole bank
    channels = ["office-hook", "hd-group"]
    window_minutes = 30                          # one message per incident and rule within it
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

from application.policies.notifier import MAX_AGE, TRIGGERS, NotificationRule
from domain.level import Level
from domain.organisation import Organisation
from interfaces.notify.mail import STARTTLS_MODES, MailChannel
from interfaces.notify.robots import DingTalkChannel, WeComChannel
from interfaces.notify.webhook import DEFAULT_TIMEOUT_SECONDS, WebhookChannel
from interfaces.settings_file import settings_document

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")
CHANNEL_TYPES = ("webhook", "wecom", "dingtalk", "email")
PREFIX = "通知设置有误 / notification settings"


class Channel(Protocol):
    """Where a message goes: `send` answers the receiver's reply or raises DeliveryError."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...

    def send(self, delivery_id: str, message: Mapping[str, Any]) -> str: ...

    def shown(self) -> dict[str, Any]: ...


class NotificationsFileError(ValueError):
    """The notifications file cannot be read or is wrong; the message names the rule or channel and field."""

    def __init__(self, path: Path, problem: str, where: str | None = None) -> None:
        super().__init__(f"{PREFIX}: {path}: {f'{where}: ' if where else ''}{problem}")
        self.path, self.where, self.problem = path, where, problem


@dataclass(frozen=True)
class NotificationSettings:
    """The rules and channels in force, where they came from, and which secrets came from where."""

    path: Path | None = None
    board_url: str = ""
    max_age: timedelta = MAX_AGE
    rules: tuple[NotificationRule, ...] = ()
    channels: Mapping[str, Channel] = field(default_factory=dict)
    # channel -> field -> "env NAME" | "file": how each secret was given (never the secret itself)
    sources: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def shown(self) -> dict[str, Any]:
        """What `GET /api/v1/settings/notifications` shows: everything but the secrets and robot keys."""
        return {
            "file": str(self.path) if self.path else None,
            "board_url": self.board_url,
            "max_age_hours": self.max_age.total_seconds() / 3600,
            "channels": [
                {"name": name, "type": channel.kind, **channel.shown(), "secrets": dict(self.sources[name])}
                for name, channel in self.channels.items()
            ],
            "rules": [
                {
                    "name": rule.name,
                    "triggers": sorted(rule.triggers),
                    "min_level": rule.min_level.value,
                    "units": list(rule.units),
                    "channels": list(rule.channels),
                    "window_minutes": rule.window.total_seconds() / 60,
                }
                for rule in self.rules
            ],
        }


def settings_lines(settings: NotificationSettings) -> list[str]:
    """The settings as lines a person reads, one per setting, channel and rule, never a secret: what
    goes on the record (domain.notification_rules), so that a change shows as lines removed and added."""
    shown = settings.shown()
    lines = [f"board_url {shown['board_url'] or '-'}; max_age_hours {shown['max_age_hours']:g}"]
    for channel in shown["channels"]:
        details = "; ".join(
            f"{key} {value}" for key, value in channel.items() if key not in ("name", "type", "secrets")
        )
        secrets = "; ".join(f"{key} from {source}" for key, source in channel["secrets"].items())
        lines.append(f"channel {channel['name']}: {channel['type']}; {details}; {secrets}".rstrip("; "))
    for rule in shown["rules"]:
        lines.append(
            f"rule {rule['name']}: triggers {', '.join(rule['triggers'])}; min_level {rule['min_level']}; "
            f"units {', '.join(rule['units']) or 'all'}; channels {', '.join(rule['channels'])}; "
            f"window_minutes {rule['window_minutes']:g}"
        )
    return lines


def load_notifications(
    path: Path | None, environ: Mapping[str, str], organisation: Organisation | None = None
) -> NotificationSettings:
    """The settings in the file at `path` (none: no notifications); raises NotificationsFileError."""
    if path is None:
        return NotificationSettings()
    return _Reader(path, environ, organisation).read()


class _Reader:
    def __init__(self, path: Path, environ: Mapping[str, str], organisation: Organisation | None) -> None:
        self.path, self.environ, self.organisation = path, environ, organisation

    def refuse(self, where: str | None, problem: str) -> NotificationsFileError:
        return NotificationsFileError(self.path, problem, where)

    def read(self) -> NotificationSettings:
        document = settings_document(self.path, NotificationsFileError)
        if not isinstance(document, dict):
            raise self.refuse(None, "must be a table (TOML) or an object (JSON)")
        self.known(None, document, {"board_url", "max_age_hours", "channels", "rules"})
        board_url = self.text(None, document, "board_url", default="")
        if board_url and not board_url.startswith(("http://", "https://")):
            raise self.refuse(None, f"board_url: {board_url!r} is not an http(s) URL")
        max_age = self.number(None, document, "max_age_hours", MAX_AGE.total_seconds() / 3600, low=0.1)
        raw_channels = document.get("channels", {})
        if not isinstance(raw_channels, dict):
            raise self.refuse(None, "channels: must be a table of channels by name")
        channels: dict[str, Channel] = {}
        sources: dict[str, dict[str, str]] = {}
        for name, raw in raw_channels.items():
            where = f"channels.{name}"
            if not NAME.fullmatch(name):
                raise self.refuse(where, "a name is 1–40 letters, digits, - or _")
            if not isinstance(raw, dict):
                raise self.refuse(where, "must be a table")
            sources[name] = {}
            channels[name] = self.channel(where, name, raw, sources[name])
        raw_rules = document.get("rules", [])
        if not isinstance(raw_rules, list):
            raise self.refuse(None, "rules: must be a list of rules ([[rules]] in TOML)")
        rules = [self.rule(number, raw, channels) for number, raw in enumerate(raw_rules, 1)]
        names = [rule.name for rule in rules]
        if dup := next((n for n in names if names.count(n) > 1), None):
            raise self.refuse(f"rules {dup!r}", "two rules have this name")
        return NotificationSettings(
            self.path, board_url.rstrip("/"), timedelta(hours=max_age), tuple(rules), channels, sources
        )

    # -- one rule, one channel ---------------------------------------------------------------

    def rule(self, number: int, raw: object, channels: Mapping[str, Channel]) -> NotificationRule:
        where = f"rules[{number}]"
        if not isinstance(raw, dict):
            raise self.refuse(where, "must be a table")
        name = self.text(where, raw, "name")
        where = f"rules[{number}] {name!r}"
        if not NAME.fullmatch(name):
            raise self.refuse(where, "name: 1–40 letters, digits, - or _")
        self.known(where, raw, {"name", "triggers", "min_level", "units", "channels", "window_minutes"})
        triggers = self.texts(where, raw, "triggers")
        if not triggers:
            raise self.refuse(where, f"triggers: name at least one of {', '.join(sorted(TRIGGERS))}")
        for trigger in triggers:
            if trigger not in TRIGGERS:
                raise self.refuse(
                    where, f"triggers: {trigger!r} is not a trigger ({', '.join(sorted(TRIGGERS))})"
                )
        level_code = self.text(where, raw, "min_level", default=Level.BLUE.value)
        level = next((lv for lv in Level if lv.value == level_code), None)
        if level is None:
            levels = ", ".join(lv.value for lv in Level)
            raise self.refuse(where, f"min_level: {level_code!r} is not a level ({levels})")
        units = self.texts(where, raw, "units", required=False)
        if self.organisation is not None:
            for unit in units:
                if unit not in self.organisation:
                    raise self.refuse(where, f"units: {unit!r} is not a unit of the organisation")
        named = self.texts(where, raw, "channels")
        if not named:
            raise self.refuse(where, "channels: name at least one channel")
        for channel in named:
            if channel not in channels:
                raise self.refuse(where, f"channels: {channel!r} is not a channel of the file")
        window = self.number(where, raw, "window_minutes", 30, low=0)
        return NotificationRule(
            name=name,
            triggers=frozenset(triggers),
            channels=tuple(named),
            min_level=level,
            units=tuple(units),
            window=timedelta(minutes=window),
        )

    def channel(self, where: str, name: str, raw: dict[str, Any], sources: dict[str, str]) -> Channel:
        kind = self.text(where, raw, "type")
        if kind not in CHANNEL_TYPES:
            raise self.refuse(where, f"type: {kind!r} is not a channel type ({', '.join(CHANNEL_TYPES)})")
        timeout = self.number(where, raw, "timeout_seconds", DEFAULT_TIMEOUT_SECONDS, low=0.1, high=60)
        secret: Callable[[str], str] = lambda key: self.secret(where, raw, key, sources)  # noqa: E731
        if kind == "webhook":
            self.known(where, raw, {"type", "timeout_seconds", "url", "url_env", "secret", "secret_env"})
            return WebhookChannel(name, self.url(where, secret("url")), secret("secret"), timeout)
        if kind == "wecom":
            self.known(where, raw, {"type", "timeout_seconds", "url", "url_env"})
            return WeComChannel(name, self.url(where, secret("url")), timeout)
        if kind == "dingtalk":
            self.known(where, raw, {"type", "timeout_seconds", "url", "url_env", "secret", "secret_env"})
            return DingTalkChannel(name, self.url(where, secret("url")), secret("secret"), timeout)
        return self.mail(where, name, raw, sources, timeout)

    def mail(
        self, where: str, name: str, raw: dict[str, Any], sources: dict[str, str], timeout: float
    ) -> MailChannel:
        self.known(
            where,
            raw,
            {
                "type", "timeout_seconds", "host", "port", "sender", "to", "username", "username_env",
                "password", "password_env", "starttls", "ca_file",
            },
        )  # fmt: skip
        starttls = self.text(where, raw, "starttls", default="auto")
        if starttls not in STARTTLS_MODES:
            raise self.refuse(where, f"starttls: {starttls!r} is not one of {', '.join(STARTTLS_MODES)}")
        to = self.texts(where, raw, "to")
        if not to:
            raise self.refuse(where, "to: name at least one address")
        for address in (*to, self.text(where, raw, "sender")):
            if "@" not in address:
                raise self.refuse(
                    where, f"{'sender' if address not in to else 'to'}: {address!r} is not an address"
                )
        username = self.secret(where, raw, "username", sources, required=False)
        password = self.secret(where, raw, "password", sources, required=False)
        if password and not username:
            raise self.refuse(where, "password: given without a username")
        port = int(self.number(where, raw, "port", 587, low=1, high=65535))
        ca_file = self.text(where, raw, "ca_file", default="")
        if ca_file and not Path(ca_file).is_file():
            raise self.refuse(where, f"ca_file: {ca_file} is not a file")
        return MailChannel(
            name=name,
            host=self.text(where, raw, "host"),
            port=port,
            sender=self.text(where, raw, "sender"),
            to=tuple(to),
            username=username or None,
            password=password or None,
            starttls=starttls,  # checked against STARTTLS_MODES above
            ca_file=Path(ca_file) if ca_file else None,
            timeout_seconds=timeout,
        )

    # -- fields ------------------------------------------------------------------------------

    def known(self, where: str | None, raw: Mapping[str, Any], allowed: set[str]) -> None:
        for key in raw:
            if key not in allowed:
                raise self.refuse(where, f"{key}: not a setting here (known: {', '.join(sorted(allowed))})")

    def text(self, where: str | None, raw: Mapping[str, Any], key: str, default: str | None = None) -> str:
        value = raw.get(key, default)
        if value is None:
            raise self.refuse(where, f"{key}: missing")
        if not isinstance(value, str) or (not value and default is None):
            raise self.refuse(where, f"{key}: must be a non-empty string")
        return value

    def texts(self, where: str, raw: Mapping[str, Any], key: str, *, required: bool = True) -> list[str]:
        value = raw.get(key)
        if value is None and not required:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.refuse(where, f"{key}: must be a list of strings")
        return list(value)

    def number(
        self,
        where: str | None,
        raw: Mapping[str, Any],
        key: str,
        default: float,
        *,
        low: float,
        high: float = 1e6,
    ) -> float:
        value = raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise self.refuse(where, f"{key}: must be a number from {low:g} to {high:g}")
        return float(value)

    def secret(
        self, where: str, raw: Mapping[str, Any], key: str, sources: dict[str, str], *, required: bool = True
    ) -> str:
        """`key` from the file, or from the environment variable `key_env` names (not both)."""
        inline, env = raw.get(key), raw.get(f"{key}_env")
        if inline is not None and env is not None:
            raise self.refuse(where, f"{key}: give {key} or {key}_env, not both")
        if env is not None:
            if not isinstance(env, str) or not env:
                raise self.refuse(where, f"{key}_env: must name an environment variable")
            value = self.environ.get(env)
            if not value:
                raise self.refuse(where, f"{key}_env: the environment variable {env} is not set")
            sources[key] = f"env {env}"
            return value
        if inline is None:
            if required:
                raise self.refuse(where, f"{key}: missing (or {key}_env naming an environment variable)")
            return ""
        if not isinstance(inline, str) or not inline:
            raise self.refuse(where, f"{key}: must be a non-empty string")
        sources[key] = "file"
        return inline

    def url(self, where: str, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise self.refuse(where, "url: not an http(s) URL")
        return url
