"""Keeps tokens out of the server's logs: a `token=` query parameter is logged as `token=[redacted]`.

The feed no longer takes a token in its URL, but an old client may still send one, and uvicorn logs
every request line (access log) and every WebSocket handshake (error log) with its query string.
"""

from __future__ import annotations

import logging
import re

TOKEN_IN_QUERY = re.compile(r"([?&](?:access_)?token=)[^&\s\"']*", re.IGNORECASE)
REDACTED = r"\1[redacted]"


def redact(text: str) -> str:
    return TOKEN_IN_QUERY.sub(REDACTED, text)


class RedactTokens(logging.Filter):
    """Rewrites a record's message and string arguments; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            # uvicorn's access formatter reads its fields from the arguments: keep their shape.
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True
