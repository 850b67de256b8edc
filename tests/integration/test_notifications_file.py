"""The notifications file: rules and channels read from TOML or JSON, secrets from the environment,
every mistake named by its rule or channel and field, nothing secret shown."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from application.policies.notifier import OVERDUE, RAISED
from domain.level import Level
from interfaces.notify.mail import MailChannel
from interfaces.notify.robots import DingTalkChannel, WeComChannel
from interfaces.notify.settings_file import NotificationsFileError, load_notifications
from interfaces.notify.webhook import WebhookChannel
from interfaces.organisation_file import load_organisation
from interfaces.settings import Settings

ORGANISATION = load_organisation(Settings().organisation_file)
ENV = {
    "HOOK_SECRET": "hook-secret-1",
    "WECOM_URL": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=wecom-key-2",
    "DING_SECRET": "SECding-secret-3",
    "SMTP_PASSWORD": "smtp-password-4",
}
TOML = """
board_url = "https://incident.bank.example/"
max_age_hours = 6

[channels.hook]
type = "webhook"
url = "https://ops.bank.example/incident"
secret_env = "HOOK_SECRET"

[channels.hd-wecom]
type = "wecom"
url_env = "WECOM_URL"

[channels.bj-ding]
type = "dingtalk"
url = "https://oapi.dingtalk.com/robot/send?access_token=ding-token-5"
secret_env = "DING_SECRET"
timeout_seconds = 3

[channels.office-mail]
type = "email"
host = "smtp.bank.example"
sender = "incident@bank.example"
to = ["office@bank.example"]
username = "incident"
password_env = "SMTP_PASSWORD"
starttls = "required"

[[rules]]
name = "red-orange"
triggers = ["raised"]
min_level = "orange"
units = ["BJ-HD"]
channels = ["hook", "hd-wecom"]
window_minutes = 15

[[rules]]
name = "overdue"
triggers = ["overdue", "deadline"]
channels = ["office-mail", "bj-ding"]
"""


def write(tmp_path: Path, text: str, name: str = "notifications.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_toml_file_gives_the_rules_and_channels_with_secrets_from_the_environment(tmp_path: Path) -> None:
    found = load_notifications(write(tmp_path, TOML), ENV, ORGANISATION)
    assert found.board_url == "https://incident.bank.example"
    assert found.max_age == timedelta(hours=6)
    red, overdue = found.rules
    assert (red.name, red.triggers, red.min_level, red.units) == (
        "red-orange",
        {RAISED},
        Level.ORANGE,
        ("BJ-HD",),
    )
    assert red.window == timedelta(minutes=15)
    assert overdue.min_level is Level.BLUE
    assert overdue.units == ()
    assert OVERDUE in overdue.triggers
    hook, wecom, ding, mail = (found.channels[n] for n in ("hook", "hd-wecom", "bj-ding", "office-mail"))
    assert isinstance(hook, WebhookChannel)
    assert hook.secret == "hook-secret-1"
    assert isinstance(wecom, WeComChannel)
    assert wecom.url == ENV["WECOM_URL"]
    assert isinstance(ding, DingTalkChannel)
    assert (ding.secret, ding.timeout_seconds) == ("SECding-secret-3", 3)
    assert isinstance(mail, MailChannel)
    assert (mail.port, mail.password, mail.starttls) == (587, "smtp-password-4", "required")


def test_what_is_shown_holds_no_secret_and_no_robot_key(tmp_path: Path) -> None:
    shown = load_notifications(write(tmp_path, TOML), ENV, ORGANISATION).shown()
    text = json.dumps(shown, ensure_ascii=False)
    for secret in (*ENV.values(), "wecom-key-2", "ding-token-5"):
        assert secret not in text
    channels = {c["name"]: c for c in shown["channels"]}
    assert channels["hd-wecom"]["target"] == "https://qyapi.weixin.qq.com"
    assert channels["hd-wecom"]["secrets"] == {"url": "env WECOM_URL"}
    assert channels["hook"]["secrets"] == {"url": "file", "secret": "env HOOK_SECRET"}
    assert channels["office-mail"]["to"] == ["office@bank.example"]
    assert [r["name"] for r in shown["rules"]] == ["red-orange", "overdue"]


def test_a_json_file_reads_as_the_toml_one(tmp_path: Path) -> None:
    document = {
        "channels": {"hook": {"type": "webhook", "url": "http://127.0.0.1:9/h", "secret": "s"}},
        "rules": [{"name": "all", "triggers": ["surge", "idle"], "channels": ["hook"]}],
    }
    found = load_notifications(write(tmp_path, json.dumps(document), "n.json"), {}, ORGANISATION)
    assert found.rules[0].triggers == {"surge", "idle"}
    assert found.board_url == ""


def test_no_file_notifies_nobody() -> None:
    found = load_notifications(None, {}, ORGANISATION)
    assert (found.rules, dict(found.channels)) == ((), {})


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (
            ('min_level = "orange"', 'min_level = "purple"'),
            "rules[1] 'red-orange': min_level: 'purple' is not a level",
        ),
        (
            ('triggers = ["raised"]', 'triggers = ["raised", "tuesday"]'),
            "rules[1] 'red-orange': triggers: 'tuesday'",
        ),
        (('units = ["BJ-HD"]', 'units = ["XX-99"]'), "rules[1] 'red-orange': units: 'XX-99' is not a unit"),
        (
            ('channels = ["hook", "hd-wecom"]', 'channels = ["hook", "pager"]'),
            "channels: 'pager' is not a channel",
        ),
        (
            ("window_minutes = 15", 'window_minutes = "soon"'),
            "rules[1] 'red-orange': window_minutes: must be a number",
        ),
        (("window_minutes = 15", "windows = 15"), "rules[1] 'red-orange': windows: not a setting here"),
        (
            ('url_env = "WECOM_URL"', 'url_env = "NOT_SET_ANYWHERE"'),
            "channels.hd-wecom: url_env: the environment variable NOT_SET_ANYWHERE is not set",
        ),
        (('type = "wecom"', 'type = "pager"'), "channels.hd-wecom: type: 'pager' is not a channel type"),
        (
            ('secret_env = "HOOK_SECRET"', 'secret_env = "HOOK_SECRET"\nsecret = "x"'),
            "channels.hook: secret: give secret or secret_env, not both",
        ),
        (('starttls = "required"', 'starttls = "sometimes"'), "channels.office-mail: starttls: 'sometimes'"),
        (
            ('to = ["office@bank.example"]', 'to = ["office"]'),
            "channels.office-mail: to: 'office' is not an address",
        ),
        (('name = "overdue"', 'name = "red-orange"'), "rules 'red-orange': two rules have this name"),
        (("max_age_hours = 6", "max_age_hours = 0"), "max_age_hours: must be a number"),
    ],
)
def test_a_mistake_is_named_by_its_rule_or_channel_and_field(
    tmp_path: Path, change: tuple[str, str], named: str
) -> None:
    old, new = change
    assert old in TOML
    with pytest.raises(NotificationsFileError) as refused:
        load_notifications(write(tmp_path, TOML.replace(old, new, 1)), ENV, ORGANISATION)
    assert named in str(refused.value)
    assert str(refused.value).startswith("通知设置有误 / notification settings: ")


def test_a_file_that_is_not_toml_or_json_says_where(tmp_path: Path) -> None:
    with pytest.raises(NotificationsFileError, match="is not valid TOML"):
        load_notifications(write(tmp_path, "[[rules]\n"), {}, ORGANISATION)
    with pytest.raises(NotificationsFileError, match=r"is not valid JSON: .* line 1"):
        load_notifications(write(tmp_path, "{", "n.json"), {}, ORGANISATION)
    with pytest.raises(NotificationsFileError, match=r"must be a \.toml or a \.json file"):
        load_notifications(write(tmp_path, "", "n.yaml"), {}, ORGANISATION)
