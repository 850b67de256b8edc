"""One printable line naming a failure, for logs and status rows: never its data, never a control character."""

from __future__ import annotations

from sqlalchemy.exc import StatementError

REASON_LENGTH = 300


def describe(error: BaseException) -> str:
    """`Type: first line of its message`, printable and bounded.

    SQLAlchemy's own text carries the statement and its parameters (which hold what a branch typed):
    its driver's error is named instead. A reason is stored and shown: a control character (a NUL,
    say) would fail where it goes, so it is written as an escape.
    """
    cause = error.orig if isinstance(error, StatementError) and error.orig is not None else error
    lines = str(cause).strip().splitlines()
    text = f"{type(cause).__name__}: {lines[0]}" if lines else type(cause).__name__
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)[:REASON_LENGTH]
