"""The bank's thresholds as the policies see them: moved on by the thresholds' events in the log."""

from __future__ import annotations

import json
from typing import Any

from application.policies.settings import PolicySettings
from domain.thresholds import Thresholds, ThresholdValues


class ThresholdsInForce:
    """The settings every policy of a runner uses, under the thresholds as of the event being handled.

    The thresholds' events come through the log like any incident's, so a change takes effect at its
    place in the log, without a restart and without a store read per event, and a replay of the log
    decides with the thresholds that were in force at each event, as the first reading did. Before
    the first thresholds event the policies use the settings they were built with. Checkpointed as
    the values in force, so a runner that starts from a checkpoint knows them.
    """

    name = "thresholds-in-force"
    memory_version = 1
    MEMORY_KEY = "values"

    def __init__(self, base: PolicySettings) -> None:
        self._base = base
        self.reset()

    def reset(self) -> None:
        self.values: ThresholdValues | None = None
        self.settings = self._base
        self._changed = False

    def remembered(self) -> dict[str, bytes | None]:
        if not self._changed or self.values is None:
            return {}
        self._changed = False
        return {self.MEMORY_KEY: json.dumps(self.values.as_dict(), separators=(",", ":")).encode()}

    def recall(self, key: str, body: bytes) -> None:  # noqa: ARG002 (its one key)
        self._take(ThresholdValues.stored(json.loads(body)))
        self._changed = False

    def apply(self, event: Any) -> bool:
        """Move on by `event` if it is a thresholds event; True when it was."""
        if isinstance(event, Thresholds.Loaded):
            self._take(ThresholdValues.stored(event.values))
        elif isinstance(event, Thresholds.Changed):
            current = (self.values or ThresholdValues()).as_dict()
            self._take(ThresholdValues.stored({**current, **event.after}))
        else:
            return False
        return True

    def _take(self, values: ThresholdValues) -> None:
        self.values = values
        self.settings = self._base.with_values(values)
        self._changed = True
