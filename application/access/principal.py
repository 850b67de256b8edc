"""An authenticated caller: a token's name, role, unit and (branch staff) position."""

from __future__ import annotations

from dataclasses import dataclass

from domain.values import Actor, Position, Role


@dataclass(frozen=True)
class Principal:
    """Who is calling, as their bearer token says; every event they cause records it as the actor."""

    token_id: str
    name: str
    role: Role
    unit: str
    position: Position | None = None

    @property
    def actor(self) -> Actor:
        return Actor(
            id=f"token:{self.token_id}",
            role=self.role,
            unit=self.unit,
            name=self.name,
            position=self.position,
        )
