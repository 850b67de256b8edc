"""A branch emergency (网点突发事件): graded, worked through its playbook, stood down, closed."""

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any
from uuid import UUID

from domain.actors import Actor, Position, Role, Stamp
from domain.commands import command
from domain.emergency_terms import Audience, Authority, EmergencyKind
from domain.errors import (
    AlreadyDoneError,
    AlreadyInChargeError,
    ApprovalRequiredError,
    IncidentStoodDownError,
    LevelChangeError,
    StandDownRefusedError,
    StepOutOfOrderError,
    UnknownActionError,
)
from domain.incident import Incident
from domain.incident_type import IncidentType
from domain.level import Level
from domain.playbooks import PlaybookAction, find_action, playbook_for
from domain.status import IncidentStatus
from domain.steps import EmergencyStep
from domain.texts import required_text

NO_APPROVALS: Mapping[str, Actor] = MappingProxyType({})


class Emergency(Incident):
    """One emergency at a branch, with the checklist its kind's playbook requires."""

    TYPE = IncidentType.EMERGENCY
    NOUN = TYPE.value
    # Who is in charge on the scene, and whether the branch head ever took charge (seed 003: the
    # first responsible person). Class defaults, so that snapshots taken before them still load.
    in_charge: Actor | None = None
    branch_head_took_charge: bool = False
    # Who approved each announcement (by audience and text). A class default, so that snapshots
    # taken before approvals existed still load.
    # (Not annotated here: the aggregate is a dataclass, and a default must not be a field's.)
    approvals = NO_APPROVALS

    class Reported(Incident.Reported):
        """An emergency was reported with its kind and warning level."""

        kind: EmergencyKind

    class LevelChanged(Incident.LevelChanged):
        """The warning level was raised or lowered, with a reason."""

    class AuthorityNotified(Incident.Event):
        """An authority was told (110, 119, 120, superior office, central bank, regulator)."""

        authority: Authority
        reference: str
        # The playbook actions this notification did, fixed when recorded so that a later change
        # of the playbook table does not change what a replay shows.
        completes: list[str]

        def apply(self, aggregate: "Emergency") -> None:
            if self.authority not in aggregate.authorities_notified:
                aggregate.authorities_notified = [*aggregate.authorities_notified, self.authority]
            aggregate.done_action_codes = [*aggregate.done_action_codes, *self.completes]

    class PlaybookActionDone(Incident.Event):
        """A required playbook action was done."""

        action: str
        note: str

        def apply(self, aggregate: "Emergency") -> None:
            aggregate.done_action_codes = [*aggregate.done_action_codes, self.action]

    class CustomerIsolated(Incident.CustomerIsolated):
        """A customer was taken out of the lobby to a quiet room."""

    class Apologised(Incident.Apologised):
        """The customers affected were calmed and apologised to."""

    class SolutionProposed(Incident.Event):
        """A solution was proposed to the customers affected."""

        solution: str

        def apply(self, aggregate: "Emergency") -> None:
            aggregate.solution = self.solution

    class AnnouncementMade(Incident.Event):
        """An approved announcement was made to customers, media, the public or staff.

        Version 2 records the approver (who approved this audience and text, from their own
        approval event) and the playbook notices it did. Version 1 events, made before approval
        was a command, carry only the free-text `approved_by` (None where none was needed).
        """

        class_version = 2

        audience: Audience
        text: str
        approved_by: str | None
        approver: Actor | None
        # The playbook notices this announcement did, fixed when recorded (as AuthorityNotified's).
        completes: list[str]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["approver"] = None
            state["completes"] = []

        def apply(self, aggregate: "Emergency") -> None:
            if self.audience not in aggregate.announced_to:
                aggregate.announced_to = [*aggregate.announced_to, self.audience]
            aggregate.done_action_codes = [*aggregate.done_action_codes, *self.completes]

    class FollowedUp(Incident.Event):
        """The people affected were followed up."""

        note: str
        satisfied: bool | None

        def apply(self, aggregate: "Emergency") -> None:
            aggregate.followed_up = True
            aggregate.satisfied = self.satisfied

    class StoodDown(Incident.Event):
        """The response was stood down; open required actions were waived with a reason."""

        summary: str
        waiver_reason: str | None
        waived_actions: list[str]

        def apply(self, aggregate: "Emergency") -> None:
            aggregate.status = IncidentStatus.STOOD_DOWN
            aggregate.stood_down_at = self.occurred_at
            aggregate.stand_down_summary = self.summary
            aggregate.waiver_reason = self.waiver_reason
            aggregate.waived_actions = list(self.waived_actions)

    class Closed(Incident.Closed):
        """The stood-down emergency was closed."""

    class Reopened(Incident.Reopened):
        """A closed emergency was reopened: it is worked again and must be stood down again."""

        def apply(self, aggregate: "Emergency") -> None:
            super().apply(aggregate)
            aggregate.stood_down_at = None
            aggregate.waiver_reason = None
            aggregate.waived_actions = []

    class NoteAdded(Incident.NoteAdded):
        """A note was added to the emergency log."""

    class EntryCorrected(Incident.EntryCorrected):
        """An earlier emergency event was corrected."""

    class IdleFlagged(Incident.IdleFlagged):
        """Nobody worked the open emergency for too long: passive waiting (被动等待)."""

    class NotificationDue(Incident.NotificationDue):
        """A notification about the emergency is due."""

    class NotificationDelivered(Incident.NotificationDelivered):
        """A notification about the emergency was delivered."""

    class NotificationFailed(Incident.NotificationFailed):
        """An attempt to send a notification about the emergency failed."""

    class NotificationGivenUp(Incident.NotificationGivenUp):
        """A notification about the emergency was given up."""

    class PersonalDataRevealed(Incident.PersonalDataRevealed):
        """A reader read the emergency's personal data in full, and said why."""

    class ChargeTaken(Incident.Event):
        """The actor took charge of the emergency (from whoever held it before, if anyone)."""

        took_over_from: Actor | None

        def apply(self, aggregate: "Emergency") -> None:
            aggregate.in_charge = self.actor
            aggregate.pending_handover = None
            if self.actor.role is Role.BRANCH and self.actor.position is Position.BRANCH_HEAD:
                aggregate.branch_head_took_charge = True

    class HandedOver(Incident.HandedOver):
        """The person in charge handed the emergency over (to the office, say); theirs until taken up."""

    class AnnouncementApproved(Incident.Event):
        """Someone of the superior office approved this text for this audience (the actor approved)."""

        audience: Audience
        text: str

        def apply(self, aggregate: "Emergency") -> None:
            aggregate.approvals = {**aggregate.approvals, _approval_key(self.audience, self.text): self.actor}

    def __init__(
        self,
        *,
        outlet: str,
        kind: EmergencyKind,
        level: Level,
        summary: str,
        exercise: bool,
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        super().__init__(
            outlet=outlet,
            level=level,
            summary=summary,
            exercise=exercise,
            actor=actor,
            occurred_at=occurred_at,
        )
        self.kind = kind
        self.done_action_codes: list[str] = []
        self.authorities_notified: list[Authority] = []
        self.announced_to: list[Audience] = []
        self.solution: str | None = None
        self.followed_up = False
        self.satisfied: bool | None = None
        self.stood_down_at: datetime | None = None
        self.stand_down_summary = ""
        self.waiver_reason: str | None = None
        self.waived_actions: list[str] = []
        self.approvals = {}

    @classmethod
    def report(
        cls,
        *,
        incident_id: UUID,
        stamp: Stamp,
        outlet: str,
        kind: EmergencyKind,
        level: Level,
        summary: str,
        exercise: bool = False,
    ) -> "Emergency":
        """Record a new emergency at a branch (a drill when `exercise` is true)."""
        return cls._create_stamped(
            cls.Reported,
            stamp,
            id=incident_id,
            outlet=required_text(outlet, "outlet", incident_id),
            kind=kind,
            level=level,
            summary=required_text(summary, "summary", incident_id),
            exercise=exercise,
        )

    # -- where it stands ------------------------------------------------------------------

    @property
    def is_stood_down(self) -> bool:
        """True between stand-down and close."""
        return self.status is IncidentStatus.STOOD_DOWN

    @property
    def playbook(self) -> list[PlaybookAction]:
        """Every required action of this kind's playbook."""
        return playbook_for(self.kind)

    @property
    def open_actions(self) -> list[PlaybookAction]:
        """Required actions not yet done, in the playbook's order."""
        return [a for a in self.playbook if a.code not in self.done_action_codes]

    @property
    def done_actions(self) -> list[PlaybookAction]:
        """Required actions done, in the playbook's order."""
        return [a for a in self.playbook if a.code in self.done_action_codes]

    @property
    def kind_label(self) -> EmergencyKind:
        """The kind of emergency, whose playbook it follows."""
        return self.kind

    @property
    def next_expected_step(self) -> PlaybookAction | EmergencyStep:
        """The first open action, else stand down, close, or done once closed."""
        if self.is_closed:
            return EmergencyStep.DONE
        if self.is_stood_down:
            return EmergencyStep.CLOSE
        open_actions = self.open_actions
        return open_actions[0] if open_actions else EmergencyStep.STAND_DOWN

    # -- commands -------------------------------------------------------------------------

    @command(office_decision=True)
    def change_level(self, stamp: Stamp, *, level: Level, reason: str) -> None:
        """Raise or lower the warning level; the only way the level ever changes."""
        self._check_stamp(stamp)
        self._refuse_unless_working("change_level")
        reason = self._required(reason, "reason")
        if level is self.level:
            raise LevelChangeError(
                f"the level is already {level.value}: a change must change it", incident_id=self.id
            )
        self._record(self.LevelChanged, stamp, level=level, reason=reason, previous=self.level)

    @command()
    def notify_authority(self, stamp: Stamp, *, authority: Authority, reference: str = "") -> None:
        """Record that an authority was told; matching open playbook actions count as done."""
        self._check_stamp(stamp)
        self._refuse_unless_working("notify_authority")
        completes = [a.code for a in self.open_actions if a.authority is authority]
        self._record(
            self.AuthorityNotified,
            stamp,
            authority=authority,
            reference=self._optional(reference, "reference"),
            completes=completes,
        )

    @command()
    def complete_playbook_action(self, stamp: Stamp, *, action: str, note: str = "") -> None:
        """Record that a required action of this kind's playbook was done."""
        self._check_stamp(stamp)
        self._refuse_unless_working("complete_playbook_action")
        found = find_action(self.kind, action)
        if found is None:
            raise UnknownActionError(
                f"{action!r} is not an action of the {self.kind.value} playbook",
                field="action",
                incident_id=self.id,
            )
        if action in self.done_action_codes:
            raise AlreadyDoneError(f"playbook action {action} is already done", incident_id=self.id)
        if found.audiences:
            told = ", ".join(a.value for a in found.audiences)
            raise StepOutOfOrderError(
                f"playbook action {action} is a notice: it is done by approved announcements to {told} "
                "(approve_announcement, then make_announcement), not by hand",
                incident_id=self.id,
            )
        self._record(self.PlaybookActionDone, stamp, action=action, note=self._optional(note, "note"))

    @command()
    def isolate_customer(self, stamp: Stamp, *, place: str = "") -> None:
        """Take a customer out of the lobby (refused once the response is stood down)."""
        self._check_stamp(stamp)
        self._refuse_if_stood_down("isolate_customer")
        super().isolate_customer(stamp, place=place)

    @command()
    def propose_solution(self, stamp: Stamp, *, solution: str) -> None:
        """Propose a solution to the customers affected."""
        self._check_stamp(stamp)
        self._refuse_if_closed("propose_solution")
        self._record(self.SolutionProposed, stamp, solution=self._required(solution, "solution"))

    @command()
    def make_announcement(self, stamp: Stamp, *, audience: Audience, text: str) -> None:
        """Announce to an audience the very text the superior office approved for it.

        Seed 003: a notice goes out only after permission (在取得许可后, 经上级行…研究后). The
        approval is of the audience and the words, not of the audience alone: the superior decides
        what is said, so a different text needs its own approval. An approval stands: the same
        notice may be given again (posted in the hall, then read out). Playbook notices whose every
        audience has now been told are done by it.
        """
        self._check_stamp(stamp)
        self._refuse_if_closed("make_announcement")
        text = self._required(text, "text")
        approval = self.approvals.get(_approval_key(audience, text))
        if approval is None:
            raise ApprovalRequiredError(
                f"an announcement to the {audience.value} needs the superior office's approval of "
                "this text first (approve_announcement with the same audience and text)",
                incident_id=self.id,
            )
        told = {*self.announced_to, audience}
        completes = [
            a.code for a in self.open_actions if audience in a.audiences and set(a.audiences) <= told
        ]
        self._record(
            self.AnnouncementMade,
            stamp,
            audience=audience,
            text=text,
            approved_by=approval.display_name,
            approver=approval,
            completes=completes,
        )

    @command()
    def follow_up(self, stamp: Stamp, *, note: str, satisfied: bool | None = None) -> None:
        """Follow up the people affected, recording their satisfaction when known."""
        self._check_stamp(stamp)
        self._refuse_if_closed("follow_up")
        self._record(self.FollowedUp, stamp, note=self._required(note, "note"), satisfied=satisfied)

    @command(office_decision_with=("waiver_reason",))
    def stand_down(self, stamp: Stamp, *, summary: str, waiver_reason: str | None = None) -> None:
        """Stand the response down; open required actions need a waiver reason and are recorded."""
        self._check_stamp(stamp)
        self._refuse_unless_working("stand_down")
        summary = self._required(summary, "summary")
        waiver_reason = self._optional(waiver_reason or "", "waiver_reason") or None
        waived = [a.code for a in self.open_actions]
        if waived and waiver_reason is None:
            raise StandDownRefusedError(
                f"required actions are still open: {', '.join(waived)}; standing down needs a waiver_reason",
                open_actions=waived,
                incident_id=self.id,
            )
        self._record(
            self.StoodDown,
            stamp,
            summary=summary,
            waiver_reason=waiver_reason if waived else None,
            waived_actions=waived,
        )

    @command(office_decision=True)
    def close(self, stamp: Stamp, *, summary: str) -> None:
        """Close a stood-down emergency."""
        self._check_stamp(stamp)
        self._refuse_if_closed("close")
        summary = self._required(summary, "summary")
        if not self.is_stood_down:
            raise StepOutOfOrderError(
                "an emergency must be stood down before it is closed", incident_id=self.id
            )
        self._record(self.Closed, stamp, summary=summary)

    def _refuse_if_stood_down(self, command_name: str) -> None:
        if self.is_stood_down:
            raise IncidentStoodDownError(
                f"emergency {self.id} was stood down: {command_name} is not allowed",
                incident_id=self.id,
            )

    def _refuse_unless_working(self, command_name: str) -> None:
        self._refuse_if_closed(command_name)
        self._refuse_if_stood_down(command_name)

    # -- who is in charge -----------------------------------------------------------------

    @property
    def responsible(self) -> Actor | None:
        """The person in charge."""
        return self.in_charge

    @command()
    def take_charge(self, stamp: Stamp) -> None:
        """Take charge of the scene: the branch head first (seed 003), the office when handed over.

        The bank's reading of seed 003 (网点负责人是网点应急处理的第一责任人; if none of the branch head,
        lobby manager or guard is there, everyone present is responsible):
        - while nobody is in charge, anyone of the outlet (or the office) takes charge;
        - the receiver of a pending handover takes it up (the handover names the desk);
        - the branch head takes charge from any other member of staff who stood in;
        - the office, which directs every response in its area, may take charge at any time;
        - anyone else is refused while someone is in charge: they ask for a handover.
        """
        self._check_stamp(stamp)
        self._refuse_if_closed("take_charge")
        actor, current = stamp.actor, self.in_charge
        if current is not None and actor.is_same_person(current):
            raise AlreadyDoneError(f"{actor.display_name} is already in charge", incident_id=self.id)
        if current is not None and not self._may_take_charge_from(actor, current):
            waiting = self.pending_handover
            raise AlreadyInChargeError(
                f"{current.display_name} ({current.unit}) is in charge of emergency {self.id}"
                + (f" and handed it to {waiting.receiver}" if waiting else "")
                + ": they must hand it over to you first",
                incident_id=self.id,
            )
        self._record(self.ChargeTaken, stamp, took_over_from=current)

    def _may_take_charge_from(self, actor: Actor, current: Actor) -> bool:
        handover = self.pending_handover
        if handover is not None and handover.may_be_taken_by(actor, self.outlet):
            return True
        if actor.role is Role.OFFICE:
            return True
        return (
            _is_branch_head(actor)
            and actor.unit == self.outlet
            and not _is_branch_head(current)
            and current.role is not Role.OFFICE
        )

    @command()
    def raise_level(self, stamp: Stamp, *, level: Level, reason: str) -> None:
        """Raise the warning level, with a reason: the branch may, lowering stays the office's.

        The branch head is the first responsible person and reports upward at once (第一时间上报):
        a raise is such a report, recorded as any level change is, so the office's board and feed
        show it at once. Only a higher level is a raise.
        """
        self._check_stamp(stamp)
        self._refuse_unless_working("raise_level")
        reason = self._required(reason, "reason")
        if not level.is_higher_than(self.level):
            raise LevelChangeError(
                f"{level.value} is not higher than {self.level.value}: only the office lowers or "
                "keeps a level (change_level)",
                incident_id=self.id,
            )
        self._record(self.LevelChanged, stamp, level=level, reason=reason, previous=self.level)

    @command(office_decision=True)
    def approve_announcement(self, stamp: Stamp, *, audience: Audience, text: str) -> None:
        """Approve a text for an audience: the superior office's permission, recorded as its own.

        The event's actor is the approver: an authenticated person of an office whose unit contains
        the outlet (the access rule of an office decision), never a name typed by someone else.
        """
        self._check_stamp(stamp)
        self._refuse_if_closed("approve_announcement")
        self._refuse_unless_superior(stamp.actor, "an announcement")
        text = self._required(text, "text")
        if _approval_key(audience, text) in self.approvals:
            raise AlreadyDoneError(
                f"this text is already approved for the {audience.value}", incident_id=self.id
            )
        self._record(self.AnnouncementApproved, stamp, audience=audience, text=text)


def _is_branch_head(actor: Actor) -> bool:
    return actor.role is Role.BRANCH and actor.position is Position.BRANCH_HEAD


def _approval_key(audience: Audience, text: str) -> str:
    # An audience's value holds no newline, so the key names one audience and one text.
    return f"{audience.value}\n{text}"
