"""`incident notify test --channel NAME` against real receivers: what the receiver answered is printed."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from interfaces.cli.main import cli
from tests.e2e.server import free_port
from tests.integration.notify_receiver import Receiver, receiver
from tests.integration.smtp_receiver import Mailbox, smtp_server

__all__ = ["receiver", "smtp_server"]


def run(tmp_path: Path, state: Receiver, box: Mailbox, *args: str) -> tuple[int, str, str]:
    rules = tmp_path / "notifications.json"
    rules.write_text(
        f"""{{
  "board_url": "https://board.bank.example",
  "channels": {{
    "hd-wecom": {{"type": "wecom", "url_env": "TEST_WECOM_URL"}},
    "bj-ding": {{"type": "dingtalk", "url": "{state.url("dingtalk")}", "secret": "SECwrong"}},
    "office-mail": {{"type": "email", "host": "{box.host}", "port": {box.port}, "sender": "incident@bank.example",
                     "to": ["office@bank.example"], "ca_file": "{box.ca_file}"}}
  }}
}}""",
        encoding="utf-8",
    )
    env = {
        "INCIDENT_DATABASE_URL": f"sqlite:///{tmp_path}/unused.db",
        "INCIDENT_NOTIFICATIONS_FILE": str(rules),
        "TEST_WECOM_URL": state.url("wecom"),
    }
    result = CliRunner().invoke(cli, ["notify", "test", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_a_test_message_reaches_the_robot_and_its_answer_is_printed(
    tmp_path: Path, receiver: tuple[Receiver, str], smtp_server: Mailbox
) -> None:
    state, _ = receiver
    code, out, _ = run(tmp_path, state, smtp_server, "--channel", "hd-wecom")
    assert code == 0, out
    assert 'delivered 已送达: 200 {"errcode":0,"errmsg":"ok"}' in out
    [(_, body)] = state.received
    assert "【测试】" in body["markdown"]["content"]
    assert "https://board.bank.example/" in body["markdown"]["content"]


def test_a_test_mail_reaches_the_smtp_server(
    tmp_path: Path, receiver: tuple[Receiver, str], smtp_server: Mailbox
) -> None:
    code, out, _ = run(tmp_path, receiver[0], smtp_server, "--channel", "office-mail")
    assert code == 0, out
    assert "delivered 已送达: 250 2.0.0 queued as T1" in out
    [mail] = smtp_server.messages
    assert mail["Subject"].startswith("【测试】")
    assert smtp_server.tls == [True]


def test_a_refusal_is_printed_with_the_receivers_answer_and_exits_1(
    tmp_path: Path, receiver: tuple[Receiver, str], smtp_server: Mailbox
) -> None:
    code, _, err = run(tmp_path, receiver[0], smtp_server, "--channel", "bj-ding")
    assert code == 1
    assert "refused 拒收: 200 errcode 310000: sign not match" in err


def test_an_unknown_channel_is_named_with_the_known_ones(
    tmp_path: Path, receiver: tuple[Receiver, str], smtp_server: Mailbox
) -> None:
    code, _, err = run(tmp_path, receiver[0], smtp_server, "--channel", "pager")
    assert code == 2
    assert "'pager' is not a channel of the file (channels: hd-wecom, bj-ding, office-mail)" in err


def test_a_wrong_notifications_file_stops_the_server_before_it_starts(tmp_path: Path) -> None:
    rules = tmp_path / "notifications.toml"
    rules.write_text(
        '[[rules]]\nname = "red"\ntriggers = ["raised"]\nchannels = ["pager"]\n', encoding="utf-8"
    )
    env = {
        "INCIDENT_DATABASE_URL": f"sqlite:///{tmp_path}/unused.db",
        "INCIDENT_NOTIFICATIONS_FILE": str(rules),
        "INCIDENT_PORT": str(free_port()),
    }
    result = CliRunner().invoke(cli, ["serve"], env=env)
    assert result.exit_code == 2
    assert "rules[1] 'red': channels: 'pager' is not a channel of the file" in result.stderr
    assert not (tmp_path / "unused.db").exists()  # nothing was started
