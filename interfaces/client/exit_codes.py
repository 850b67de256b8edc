"""What the branch client's exit status means, shared by every client command."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What the client's exit status means to a script."""

    OK = 0  # done: the server answered and recorded it (or `sync` sent everything)
    REFUSED = 1  # the server refused the request; nothing of it is queued
    USAGE = 2  # bad arguments or settings
    UNREACHABLE = 3  # a read, or a sync, that could not reach the server
    # Not yet recorded, but safe: kept in the outbox, in order, sent by the next call or `incident
    # sync`. A script must not take it for done (the office does not see it yet).
    QUEUED = 4
    # A server-side command (token, migrate, verify, export, rebuild, project) could not use its store.
    STORE = 5


MEANINGS = {
    ExitCode.OK: "done",
    ExitCode.REFUSED: "refused by the server",
    ExitCode.USAGE: "bad arguments or settings",
    ExitCode.UNREACHABLE: "server unreachable (a read or a sync)",
    ExitCode.QUEUED: "queued in the outbox, not yet recorded (sent by the next call or `incident sync`)",
    ExitCode.STORE: "the store cannot be used (a server-side command; the line says why)",
}
# The CLI's help ends with this, so a script's author finds every status in one place.
EXIT_STATUS_HELP = (
    "Exit status 退出码: " + "; ".join(f"{int(code)} {text}" for code, text in MEANINGS.items()) + "."
)
