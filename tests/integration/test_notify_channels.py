"""WeCom, DingTalk and e-mail against real receivers on loopback: formats, signatures, refusals, timeouts."""

from __future__ import annotations

import json

import pytest

from application.incident_desk import IncidentDesk
from application.policies.deliveries import Deliveries, logged_after
from application.policies.notifier import RAISED, NotificationRule
from domain.contact import CustomerContact
from domain.values import Category, Channel
from interfaces.notify.mail import MailChannel
from interfaces.notify.robots import DingTalkChannel, WeComChannel
from interfaces.notify.sending import sender
from interfaces.notify.settings_file import Channel as Channel_
from interfaces.notify.webhook import DeliveryError, WebhookChannel
from tests.integration.desk_fixtures import SteppingClock
from tests.integration.notify_receiver import DING_SECRET, SECRET, Receiver, receiver
from tests.integration.smtp_receiver import PASSWORD, USER, Mailbox, plain_smtp_server, smtp_server
from tests.integration.test_notify_delivery import HEAD, notifier

__all__ = ["plain_smtp_server", "receiver", "smtp_server"]

MESSAGE = {
    "incident_id": "7d1c",
    "rule": "red",
    "text": "【红色】新报或升级 · 海淀网点 (BJ-HD-01) · 火灾\n[Red] Reported or raised · Haidian · Fire\n"
    "机房冒烟 smoke\nhttps://board.example/#incident=7d1c",
}


def test_a_wecom_robot_takes_a_markdown_message(receiver: tuple[Receiver, str]) -> None:
    state, _ = receiver
    answer = WeComChannel("hd", state.url("wecom")).send("41:red:hd", MESSAGE)
    assert answer == '200 {"errcode":0,"errmsg":"ok"}'
    [(_, body)] = state.received
    assert body["msgtype"] == "markdown"
    content = body["markdown"]["content"]
    assert content.startswith("**【红色】新报或升级")
    assert "[Red] Reported or raised" in content
    assert "(https://board.example/#incident=7d1c)" in content
    assert "41:red:hd" in content


def test_a_wecom_refusal_is_a_delivery_error_with_the_robots_answer(receiver: tuple[Receiver, str]) -> None:
    state, _ = receiver
    with pytest.raises(DeliveryError, match="200 errcode 93000: invalid webhook url"):
        WeComChannel("hd", f"{state.base}/wecom?key=wrong").send("d", MESSAGE)
    state.mode = "refuse"
    with pytest.raises(DeliveryError, match="errcode 93000: invalid webhook url, hint: refused on demand"):
        WeComChannel("hd", state.url("wecom")).send("d", MESSAGE)
    assert state.received == []


def test_a_dingtalk_robot_takes_a_signed_markdown_message(receiver: tuple[Receiver, str]) -> None:
    state, _ = receiver
    answer = DingTalkChannel("bj", state.url("dingtalk"), DING_SECRET).send("42:red:bj", MESSAGE)
    assert answer.startswith("200 ")
    [(_, body)] = state.received
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"].startswith("【红色】")
    assert "https://board.example/#incident=7d1c" in body["markdown"]["text"]


def test_a_dingtalk_robot_refuses_a_wrong_signature(receiver: tuple[Receiver, str]) -> None:
    state, _ = receiver
    with pytest.raises(DeliveryError, match="errcode 310000: sign not match"):
        DingTalkChannel("bj", state.url("dingtalk"), "SECwrong").send("d", MESSAGE)
    assert state.received == []


def test_a_robot_that_hangs_times_out(receiver: tuple[Receiver, str]) -> None:
    state, _ = receiver
    state.mode = "hang"
    with pytest.raises(DeliveryError, match=r"timed out|TimeoutError"):
        DingTalkChannel("bj", state.url("dingtalk"), DING_SECRET, timeout_seconds=0.2).send("d", MESSAGE)
    with pytest.raises(DeliveryError, match=r"timed out|TimeoutError"):
        WeComChannel("hd", state.url("wecom"), timeout_seconds=0.2).send("d", MESSAGE)


def _mail(box: Mailbox, **options: object) -> MailChannel:
    fields: dict[str, object] = {
        "name": "office",
        "host": box.host,
        "port": box.port,
        "sender": "incident@bank.example",
        "to": ("office@bank.example", "duty@bank.example"),
        "ca_file": box.ca_file,
        "timeout_seconds": 5.0,
    }
    return MailChannel(**{**fields, **options})  # type: ignore[arg-type]


def test_an_email_goes_over_starttls_with_login(smtp_server: Mailbox) -> None:
    answer = _mail(smtp_server, username=USER, password=PASSWORD).send("43:red:office", MESSAGE)
    assert answer == "250 2.0.0 queued as T1"
    [mail] = smtp_server.messages
    assert smtp_server.tls == [True]
    assert smtp_server.logins == [USER]
    assert mail["Subject"] == "【红色】新报或升级 · 海淀网点 (BJ-HD-01) · 火灾"
    assert mail["X-Incident-Delivery"] == "43:red:office"
    assert mail["Message-ID"] == "<43.red.office@bank.example>"
    assert mail["To"] == "office@bank.example, duty@bank.example"
    body = mail.get_content()
    assert "[Red] Reported or raised" in body
    assert "https://board.example/#incident=7d1c" in body


def test_an_email_server_whose_certificate_is_not_trusted_is_a_delivery_error(smtp_server: Mailbox) -> None:
    with pytest.raises(DeliveryError, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        _mail(smtp_server, ca_file=None).send("d", MESSAGE)
    assert smtp_server.messages == []


def test_starttls_is_used_when_offered_and_required_only_when_asked(plain_smtp_server: Mailbox) -> None:
    with pytest.raises(DeliveryError, match="does not offer STARTTLS"):
        _mail(plain_smtp_server, starttls="required").send("d1", MESSAGE)
    assert plain_smtp_server.messages == []
    _mail(plain_smtp_server).send("d2", MESSAGE)  # auto: plain, since the server offers nothing else
    assert plain_smtp_server.tls == [False]


def test_an_email_refused_by_the_server_is_a_delivery_error_with_its_answer(smtp_server: Mailbox) -> None:
    smtp_server.refuse = True
    with pytest.raises(DeliveryError, match=r"554 5\.7\.1 refused on demand"):
        _mail(smtp_server).send("d", MESSAGE)


def test_a_wrong_password_is_a_delivery_error_naming_the_login(smtp_server: Mailbox) -> None:
    with pytest.raises(DeliveryError, match=r"535 .*\(AUTH as incident\)"):
        _mail(smtp_server, username=USER, password="wrong").send("d", MESSAGE)
    assert smtp_server.messages == []


def test_no_personal_data_leaves_on_any_channel(
    desk: IncidentDesk, clock: SteppingClock, receiver: tuple[Receiver, str], smtp_server: Mailbox
) -> None:
    state, _ = receiver
    desk.report_complaint(
        actor=HEAD,
        occurred_at=clock(),
        outlet="BJ-HD-01",
        channel=Channel.WALK_IN,
        category=Category.SERVICE_QUALITY,
        summary="柜员态度差 rude teller",
        customer_reference="REF-889900",
        contact=CustomerContact(name="张三丰", phone="13912345678", email="zs@example.com"),
    )
    channels: dict[str, Channel_] = {
        "hook": WebhookChannel("hook", state.url("webhook"), SECRET),
        "wecom": WeComChannel("wecom", state.url("wecom")),
        "ding": DingTalkChannel("ding", state.url("dingtalk"), DING_SECRET),
        "mail": _mail(smtp_server),
    }
    rule = NotificationRule(name="all", triggers=frozenset({RAISED}), channels=tuple(channels))
    notifier(desk, rule)
    deliveries = Deliveries(desk, sender(channels))
    for logged in logged_after(desk, 0, limit=10_000):
        deliveries.handle(logged)
    assert deliveries.run_once(clock()) == 4
    sent = [json.dumps(body, ensure_ascii=False) for _, body in state.received]
    # Decoded, every header and the body: a personal datum base64-encoded would still be one.
    sent += [
        "\n".join(f"{k}: {v}" for k, v in mail.items()) + mail.get_content() for mail in smtp_server.messages
    ]
    assert len(sent) == 4
    for text in sent:
        assert "rude teller" in text
        for personal in ("张三丰", "13912345678", "zs@example.com", "REF-889900", "王主任"):
            assert personal not in text
