"""Handing an incident over (首问责任制): from the person responsible, to whom, and who may take it up."""

from dataclasses import dataclass

from domain.actors import Actor, Position, Role
from domain.immutable import Immutable


@dataclass(frozen=True)
class Handover(Immutable):
    """A handover the person responsible offered, waiting for its receiver to take it up.

    The bank's reading of 首问责任制 ("the first person asked owns it until it is handed over") and of
    seed 000 (the lobby manager moves the customer to the branch head, 移地由网点负责人解释):

    - `by` is the person responsible as recorded (the complaint's owner, the emergency's person in
      charge); nobody else may hand over what they do not hold.
    - `to` names the receiving person as the giver knows them on the floor ("王主任"): free text,
      recorded as said. A name typed by a colleague is no identity, so it proves nothing by itself.
    - The receiver confirms by acting, with their own token: acknowledging the complaint, taking
      charge of the emergency. Until then the giver stays responsible, so responsibility never
      lapses between two people, and the record shows both whom the giver named and who took it.
    - Who may take it up is the desk the giver named: the office (`to_office`: a branch may always
      hand over upward), or branch staff of the incident's own outlet, of `to_position` when given.
    """

    by: Actor
    to: str
    to_position: Position | None
    to_office: bool
    reason: str

    def may_be_taken_by(self, actor: Actor, outlet: str) -> bool:
        """True when `actor` is at the desk this handover named (the office, or the outlet's staff)."""
        if self.to_office:
            return actor.role is Role.OFFICE
        if actor.role is not Role.BRANCH or actor.unit != outlet:
            return False
        return self.to_position is None or actor.position is self.to_position

    @property
    def receiver(self) -> str:
        """Whom it waits for, as a board shows it: "王主任 (网点负责人)", "应急处理办公室 赵处长"."""
        if self.to_office:
            return f"{Role.OFFICE.zh} {self.to}".strip()
        return f"{self.to} ({self.to_position.zh})" if self.to_position else self.to
