"""A notification's text (application/policies/notifier.py writes it) as a title and as markdown.

The text is four lines: the Chinese headline, the English one, the summary and the board's link.
Each channel shows it in its own way; none adds anything but the delivery id, so no channel can
carry personal data the notifier left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def text_of(message: Mapping[str, Any]) -> str:
    return str(message.get("text", ""))


def title(message: Mapping[str, Any]) -> str:
    """The first line: the headline in Chinese (level, what happened, outlet, kind)."""
    return text_of(message).split("\n", 1)[0][:120] or "通知 Notification"


def markdown(message: Mapping[str, Any], delivery_id: str) -> str:
    """Headline bold, the summary quoted, the link a link, the delivery id last (a repeat shows as one)."""
    lines = [line for line in text_of(message).split("\n") if line]
    shown: list[str] = []
    for number, line in enumerate(lines):
        if line.startswith(("http://", "https://")):
            shown.append(f"[在看板上打开 Open on the board]({line})")
        elif number == 0:
            shown.append(f"**{line}**")
        elif number == 1:
            shown.append(line)
        else:
            shown.append(f"> {line}")
    shown.append(f'<font color="comment">编号 Delivery {delivery_id}</font>')
    return "\n\n".join(shown)


def plain(message: Mapping[str, Any], delivery_id: str) -> str:
    """The text as it is, and the delivery id (for e-mail)."""
    return f"{text_of(message)}\n\n编号 Delivery: {delivery_id}\n"
