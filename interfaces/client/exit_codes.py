"""What the branch client's exit status means, shared by every client command."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What the client's exit status means to a script."""

    OK = 0  # done, or safely queued in the outbox
    REFUSED = 1  # the server refused (or failed) the request
    USAGE = 2  # bad arguments or settings
    UNREACHABLE = 3  # a read, or a sync, that could not reach the server
