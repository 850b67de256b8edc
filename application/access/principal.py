"""An authenticated caller: a token's name, role and unit."""

from __future__ import annotations

from dataclasses import dataclass

from domain.values import Actor, Role


@dataclass(frozen=True)
class Principal:
    """Who is calling, as their bearer token says; every event they cause records it as the actor."""

    token_id: str
    name: str
    role: Role
    unit: str

    @property
    def actor(self) -> Actor:
        return Actor(id=f"token:{self.token_id}", role=self.role, unit=self.unit, name=self.name)
