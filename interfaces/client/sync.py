"""Sending the outbox: every queued request in order, each removed only once the server has answered it."""

from __future__ import annotations

from dataclasses import dataclass, field

from interfaces.client.api import ApiClient, ClientError, Reply, ServerUnreachableError
from interfaces.client.outbox import Outbox, QueuedRequest


@dataclass
class SyncResult:
    """What one pass over the outbox did, and why it stopped early (if it did)."""

    answered: list[tuple[QueuedRequest, Reply | ClientError]] = field(default_factory=list)
    stopped_by: ServerUnreachableError | ClientError | None = None
    left: int = 0

    @property
    def sent(self) -> list[tuple[QueuedRequest, Reply]]:
        """The requests the server accepted (or had already accepted), in the order sent."""
        return [(request, answer) for request, answer in self.answered if isinstance(answer, Reply)]

    @property
    def rejected(self) -> list[tuple[QueuedRequest, ClientError]]:
        """The requests the server refused for good, in the order sent."""
        return [(request, answer) for request, answer in self.answered if isinstance(answer, ClientError)]

    @property
    def is_clear(self) -> bool:
        """Every request it was asked to send was answered: what comes after may be sent now."""
        return self.stopped_by is None


def drain(outbox: Outbox, api: ApiClient, before: int | None = None) -> SyncResult:
    """Send the queue oldest first (only rows queued `before` a sequence number, if given); stop at the
    first request that got no definitive answer.

    A row is removed after a 2xx (a replay included: its command id was already applied) and moved to
    `rejected` after a 4xx about the request itself. No answer, a refused token, or a server failure
    stops the pass with that row and every later one kept, in order: resending is safe, reordering is not.
    """
    result = SyncResult()
    for request in outbox:
        if before is not None and request.seq >= before:
            break
        try:
            reply = api.send(request.method, request.path, request.body, request.if_match)
        except ServerUnreachableError as error:
            result.stopped_by = error
            break
        except ClientError as error:
            if not error.is_final:
                result.stopped_by = error
                break
            outbox.reject(
                request.seq, status=error.status, code=error.code, message=error.message, field=error.field
            )
            result.answered.append((request, error))
            continue
        outbox.remove(request.seq)
        result.answered.append((request, reply))
    result.left = outbox.count(before)
    return result
