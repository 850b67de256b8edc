"""The notification settings on the record, on both stores: read at start, recorded when new, a changed
file recorded as the lines it dropped and added, an unchanged one recording nothing; reloaded alike."""

from __future__ import annotations

from pathlib import Path

from application.incident_desk import IncidentDesk
from domain.notification_rules import NOTIFICATION_RULES_ID, NotificationRules
from interfaces.notify.settings_file import load_notifications
from interfaces.wiring import record_notifications
from tests.integration.desk_fixtures import fresh_desk, log_length
from tests.integration.test_notifications_file import ENV, ORGANISATION, TOML


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "notifications.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_settings_read_at_each_start_are_on_the_record_when_they_changed(
    desk: IncidentDesk, database_url: str, tmp_path: Path
) -> None:
    path = write(tmp_path, TOML)
    record_notifications(desk, load_notifications(path, ENV, ORGANISATION))
    [loaded] = list(desk.events.get(NOTIFICATION_RULES_ID))
    assert isinstance(loaded, NotificationRules.Loaded)
    assert loaded.source == str(path)
    assert any(
        line.startswith("rule red-orange: triggers raised; min_level orange; units BJ-HD")
        for line in loaded.lines
    )
    assert any(
        line.startswith("channel hd-wecom: wecom; target https://qyapi.weixin.qq.com")
        for line in loaded.lines
    )
    for secret in ENV.values():
        assert all(secret not in line for line in loaded.lines)
    length = log_length(desk)
    record_notifications(desk, load_notifications(path, ENV, ORGANISATION))  # the same file: nothing new
    assert log_length(desk) == length
    write(tmp_path, TOML.replace('min_level = "orange"', 'min_level = "red"'))
    record_notifications(desk, load_notifications(path, ENV, ORGANISATION))
    reloaded = fresh_desk(database_url)
    try:
        events = list(reloaded.events.get(loaded.originator_id))
    finally:
        reloaded.close()
    [_, changed] = events
    assert isinstance(changed, NotificationRules.Changed)
    [removed] = changed.removed
    [added] = changed.added
    assert "min_level orange" in removed
    assert "min_level red" in added
    assert changed.actor.name == "通知配置文件 Notifications file"
