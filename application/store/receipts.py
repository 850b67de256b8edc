"""Command receipts: the durable record that makes a replayed command id a no-op."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class CommandReceipt:
    """What one command id produced, written in the same transaction as its events."""

    command_id: str
    fingerprint: str
    incident_id: UUID
    version: int
