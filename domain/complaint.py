"""A customer complaint (投诉), from the first report to the closing follow-up, under its clock."""

from datetime import datetime
from typing import NoReturn
from uuid import UUID

from domain.actors import Actor, Stamp
from domain.commands import command
from domain.complaint_clock import LIMITS_DAYS, MAX_EXTENSIONS, ComplaintClock, extended_limit
from domain.complaint_terms import Category, Channel, ComplaintOutcome, Subcategory, WithdrawalConfirmation
from domain.contact import CustomerContact
from domain.errors import (
    AlreadyDoneError,
    AlreadyOwnedError,
    ApprovalRequiredError,
    ClockStateError,
    ExtensionRefusedError,
    InvalidInputError,
    LevelChangeError,
    NotTheReceiverError,
    StepOutOfOrderError,
)
from domain.handover import Handover
from domain.incident import Incident
from domain.incident_type import IncidentType
from domain.level import Level
from domain.steps import ComplaintStep, handling_path, progress
from domain.texts import optional_text, required_text


class Complaint(Incident):
    """One customer complaint: owned, checked, answered and followed up within its time limit."""

    TYPE = IncidentType.COMPLAINT
    NOUN = TYPE.value
    # The due time the owner was last warned of. A class default, so that snapshots taken before
    # warnings existed still load.
    warned_for_due_at: datetime | None = None
    # Who approved a second extension not yet taken, and whether the customer's withdrawal is on
    # record: class defaults too, for the same snapshots.
    second_extension_approved_by: Actor | None = None
    withdrawal_recorded: bool = False

    class Reported(Incident.Reported):
        """A complaint was recorded in the complaint log (记录投诉日志)."""

        channel: Channel
        category: Category
        subcategory: Subcategory | None
        customer_reference: str
        contact: CustomerContact | None

    class Acknowledged(Incident.Event):
        """The actor took ownership (首问责任制: owns it until handed over)."""

        def apply(self, aggregate: "Complaint") -> None:
            aggregate.owner = self.actor
            aggregate.acknowledged_at = self.occurred_at

    class CustomerIsolated(Incident.CustomerIsolated):
        """The complaining customer was taken out of the lobby (迅速隔离客户)."""

    class Apologised(Incident.Apologised):
        """The customer was calmed and given a full apology (充分道歉)."""

    class FactsChecked(Incident.Event):
        """Information was gathered and the complaint found founded or not (确认是否属实)."""

        founded: bool
        findings: str

        def apply(self, aggregate: "Complaint") -> None:
            aggregate.founded = self.founded
            aggregate.findings = self.findings
            # A new finding starts the answer over: any pending proposal and follow-up lapse.
            aggregate.solution = None
            aggregate.promised_by = None
            aggregate.solution_accepted = None
            aggregate.followed_up = False
            aggregate.satisfied = None

    class SolutionProposed(Incident.Event):
        """A solution was proposed, on the spot or promised by a time (给出解决方案)."""

        solution: str
        promised_by: datetime | None

        def apply(self, aggregate: "Complaint") -> None:
            aggregate.solution = self.solution
            aggregate.promised_by = self.promised_by
            aggregate.solution_accepted = None

    class CustomerResponded(Incident.Event):
        """The customer said whether they accept the solution (征求客户的意见)."""

        accepted: bool
        comment: str

        def apply(self, aggregate: "Complaint") -> None:
            aggregate.solution_accepted = self.accepted

    class SolutionCarriedOut(Incident.Event):
        """The accepted solution was carried out (立即执行)."""

        details: str

        def apply(self, aggregate: "Complaint") -> None:
            aggregate.solution_carried_out = True

    class FollowedUp(Incident.Event):
        """The customer was revisited and their satisfaction recorded (跟踪服务、回访)."""

        satisfied: bool
        comment: str

        def apply(self, aggregate: "Complaint") -> None:
            aggregate.followed_up = True
            aggregate.satisfied = self.satisfied

    class Escalated(Incident.Event):
        """The complaint was escalated to the office, the level raised or kept."""

        reason: str
        level: Level | None

        def apply(self, aggregate: "Complaint") -> None:
            aggregate.times_escalated += 1
            if self.level is not None:
                aggregate.level = self.level
                aggregate.level_reason = self.reason

    class DeadlineExtended(Incident.Event):
        """The time limit was extended (complex case: 30 days; particularly complex: 60).

        `approved_by` is who approved a second extension (SecondExtensionApproved's actor).
        `approver` is the free text events recorded before approvals were their own command: kept
        optional so that those events still load; nothing writes it any more.
        """

        reason: str
        complainant_informed: bool
        limit_days: int
        approved_by: Actor | None = None
        approver: str | None = None

        def apply(self, aggregate: "Complaint") -> None:
            aggregate.extensions += 1
            aggregate.clock = aggregate.clock.extended(self.limit_days)
            if aggregate.extensions >= MAX_EXTENSIONS:
                aggregate.second_extension_approved_by = None  # one approval, one extension

    class SecondExtensionApproved(Incident.Event):
        """A higher office approved the further 30 days; the approver is the event's actor (by token)."""

        reason: str

        def apply(self, aggregate: "Complaint") -> None:
            aggregate.second_extension_approved_by = self.actor

    class ClockPaused(Incident.Event):
        """The clock stopped for outside appraisal, testing or assessment."""

        reason: str

        def apply(self, aggregate: "Complaint") -> None:
            aggregate.clock = aggregate.clock.paused(self.occurred_at)

    class ClockResumed(Incident.Event):
        """The clock runs again; the paused time does not count."""

        note: str

        def apply(self, aggregate: "Complaint") -> None:
            aggregate.clock = aggregate.clock.resumed(self.occurred_at)

    class NewFactsReceived(Incident.Event):
        """New facts arrived; the clock restarts from their receipt."""

        facts: str

        def apply(self, aggregate: "Complaint") -> None:
            aggregate.clock = aggregate.clock.restarted(self.occurred_at)
            aggregate.new_facts_received += 1

    class RetentionAttempted(Incident.Event):
        """A customer closing the account over it was asked to stay (挽留客户).

        `second_contact` is how to reach a customer not retained for a second attempt (PERSONAL
        DATA); events recorded before it was a contact hold free text there.
        """

        real_reason: str
        offer: str
        retained: bool
        second_contact: CustomerContact | str | None

        def apply(self, aggregate: "Complaint") -> None:
            aggregate.retention_attempts += 1
            aggregate.retained = self.retained

    class WithdrawalRecorded(Incident.Event):
        """The customer withdrew the complaint (客户撤回投诉): how it was confirmed; the actor took it."""

        confirmed_by: WithdrawalConfirmation
        note: str

        def apply(self, aggregate: "Complaint") -> None:
            aggregate.withdrawal_recorded = True

    class Closed(Incident.Closed):
        """The complaint was closed with an outcome."""

        outcome: ComplaintOutcome

        def apply(self, aggregate: "Complaint") -> None:
            super().apply(aggregate)
            aggregate.outcome = self.outcome

    class Reopened(Incident.Reopened):
        """A closed complaint was reopened: it needs a new follow-up, under a clock restarted from now.

        The reading a compliance officer gives the time limit (CBIRC Order 2020 No.3): a reopened
        complaint is the customer's complaint taken up again, so, as new facts restart the clock from
        their receipt, the reopening restarts it from the reopening, with the limit already granted
        (15, 30 or 60 days) and the extensions already used. Left running from the first receipt, a
        complaint reopened on day 20 of 15 would be overdue at once and escalated before anyone could
        work it again. A withdrawal on record no longer stands: the customer is back.
        """

        def apply(self, aggregate: "Complaint") -> None:
            super().apply(aggregate)
            aggregate.outcome = None
            aggregate.followed_up = False
            aggregate.satisfied = None
            aggregate.withdrawal_recorded = False
            aggregate.clock = aggregate.clock.restarted(self.occurred_at)

    class NoteAdded(Incident.NoteAdded):
        """A note was added to the complaint log."""

    class EntryCorrected(Incident.EntryCorrected):
        """An earlier complaint event was corrected."""

    class DeadlineWarned(Incident.Event):
        """The owner was warned that the complaint falls due at `due_at` (时限预警)."""

        due_at: datetime

        def apply(self, aggregate: "Complaint") -> None:
            aggregate.warned_for_due_at = self.due_at

    class IdleFlagged(Incident.IdleFlagged):
        """Nobody worked the complaint for too long: passive waiting (被动等待)."""

    class NotificationDue(Incident.NotificationDue):
        """A notification about the complaint is due."""

    class NotificationDelivered(Incident.NotificationDelivered):
        """A notification about the complaint was delivered."""

    class NotificationFailed(Incident.NotificationFailed):
        """An attempt to send a notification about the complaint failed."""

    class NotificationGivenUp(Incident.NotificationGivenUp):
        """A notification about the complaint was given up."""

    class PersonalDataRevealed(Incident.PersonalDataRevealed):
        """A reader read the complaint's personal data in full, and said why."""

    class HandedOver(Incident.HandedOver):
        """The owner handed the complaint over (移交); they own it until the receiver acknowledges."""

    class HandoverAccepted(Incident.Event):
        """The receiver of a handover acknowledged the complaint and owns it from now on."""

        from_owner: Actor

        def apply(self, aggregate: "Complaint") -> None:
            aggregate.owner = self.actor
            aggregate.pending_handover = None

    class LevelChanged(Incident.LevelChanged):
        """The office changed the warning level, up or down, with a reason (old → new)."""

    def __init__(
        self,
        *,
        outlet: str,
        channel: Channel,
        category: Category,
        subcategory: Subcategory | None,
        summary: str,
        customer_reference: str,
        contact: CustomerContact | None,
        level: Level,
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
        self.channel = channel
        self.category = category
        self.subcategory = subcategory
        self.customer_reference = customer_reference
        # Personal data, kept apart from the plain fields.
        self.contact = contact
        self.owner: Actor | None = None
        self.acknowledged_at: datetime | None = None
        self.founded: bool | None = None
        self.findings = ""
        self.solution: str | None = None
        self.promised_by: datetime | None = None
        self.solution_accepted: bool | None = None
        self.solution_carried_out = False
        self.followed_up = False
        self.satisfied: bool | None = None
        self.times_escalated = 0
        self.extensions = 0
        self.clock = ComplaintClock(started_at=occurred_at)
        self.new_facts_received = 0
        self.retention_attempts = 0
        self.retained: bool | None = None
        self.outcome: ComplaintOutcome | None = None
        self.warned_for_due_at = None
        self.second_extension_approved_by = None
        self.withdrawal_recorded = False

    @classmethod
    def report(
        cls,
        *,
        incident_id: UUID,
        stamp: Stamp,
        outlet: str,
        channel: Channel,
        category: Category,
        summary: str,
        customer_reference: str = "",
        contact: CustomerContact | None = None,
        level: Level = Level.BLUE,
        subcategory: Subcategory | None = None,
        exercise: bool = False,
    ) -> "Complaint":
        """Record a new complaint; its clock starts at `stamp.occurred_at` (the receipt)."""
        if subcategory is not None and subcategory.category is not category:
            raise InvalidInputError(
                f"subcategory {subcategory.value} is not a kind of {category.value}",
                field="subcategory",
                incident_id=incident_id,
            )
        return cls._create_stamped(
            cls.Reported,
            stamp,
            id=incident_id,
            outlet=required_text(outlet, "outlet", incident_id),
            channel=channel,
            category=category,
            subcategory=subcategory,
            summary=required_text(summary, "summary", incident_id),
            customer_reference=optional_text(customer_reference, "customer_reference", incident_id),
            contact=None if contact is None else contact.checked("contact", incident_id),
            level=level,
            exercise=exercise,
        )

    # -- where it stands ------------------------------------------------------------------

    @property
    def received_at(self) -> datetime:
        """When the bank received the complaint (the report's occurred_at)."""
        return self.opened_at

    @property
    def kind_label(self) -> Category:
        """The category of the complaint."""
        return self.category

    @property
    def due_at(self) -> datetime | None:
        """When the decision is due; None while the clock is paused."""
        return self.clock.due_at

    @property
    def clock_paused(self) -> bool:
        """True while the clock is stopped for outside appraisal, testing or assessment."""
        return self.clock.is_paused

    @property
    def deadline_warned(self) -> bool:
        """True once the owner was warned of the current due time (a moved due time is unwarned)."""
        return self.warned_for_due_at is not None and self.warned_for_due_at == self.due_at

    def is_overdue(self, now: datetime) -> bool:
        """True when open and past its time limit; a closed complaint's clock has stopped."""
        return not self.is_closed and self.clock.is_overdue(now)

    @property
    def is_walk_in(self) -> bool:
        """True when the customer came to the branch (isolation applies)."""
        return self.channel is Channel.WALK_IN

    @property
    def current_step(self) -> ComplaintStep:
        """The furthest handling step done."""
        return progress(self._path(), self._done_steps())[0]

    @property
    def next_expected_step(self) -> ComplaintStep:
        """The step that should happen next (DONE once closed)."""
        return progress(self._path(), self._done_steps())[1]

    def _path(self) -> list[ComplaintStep]:
        return handling_path(walk_in=self.is_walk_in, founded=self.founded)

    def _done_steps(self) -> list[ComplaintStep]:
        done = {
            ComplaintStep.RECORD: True,
            ComplaintStep.ACKNOWLEDGE: self.owner is not None,
            ComplaintStep.ISOLATE: self.customer_isolated,
            ComplaintStep.APOLOGISE: self.apologised,
            ComplaintStep.CHECK_FACTS: self.founded is not None,
            ComplaintStep.PROPOSE_SOLUTION: self.solution is not None and self.solution_accepted is not False,
            ComplaintStep.ASK_CUSTOMER: self.solution_accepted is True,
            ComplaintStep.CARRY_OUT: self.solution_carried_out,
            ComplaintStep.FOLLOW_UP: self.followed_up,
            ComplaintStep.CLOSE: self.is_closed,
        }
        return [step for step, is_done in done.items() if is_done]

    # -- commands -------------------------------------------------------------------------

    @command(intake=True)
    def acknowledge(self, stamp: Stamp) -> None:
        """Take ownership: the first person asked owns the complaint, until it is handed over.

        While a handover is pending, the receiver it names (domain/handover.py) takes it over by
        acknowledging; anyone else is refused.
        """
        self._check_stamp(stamp)
        self._refuse_if_closed("acknowledge")
        if self.owner is not None and self.pending_handover is not None:
            self._take_over(stamp, self.owner, self.pending_handover)
            return
        if self.owner is not None:
            raise AlreadyOwnedError(
                f"complaint {self.id} is already owned by {self.owner.display_name} ({self.owner.unit})",
                incident_id=self.id,
            )
        self._record(self.Acknowledged, stamp)

    @command()
    def check_facts(self, stamp: Stamp, *, founded: bool, findings: str) -> None:
        """Record whether the complaint is founded, and what was found."""
        self._check_stamp(stamp)
        self._refuse_if_closed("check_facts")
        if self.solution_carried_out:
            raise StepOutOfOrderError(
                "the facts cannot be checked again after the solution was carried out",
                incident_id=self.id,
            )
        self._record(
            self.FactsChecked,
            stamp,
            founded=founded,
            findings=self._required(findings, "findings"),
        )

    @command()
    def propose_solution(self, stamp: Stamp, *, solution: str, promised_by: datetime | None = None) -> None:
        """Propose a solution to a founded complaint, on the spot or promised by a time."""
        self._check_stamp(stamp)
        self._refuse_if_closed("propose_solution")
        if self.founded is not True:
            raise StepOutOfOrderError(
                "a solution needs the facts checked and the complaint found founded first",
                incident_id=self.id,
            )
        if self.solution_carried_out:
            raise StepOutOfOrderError(
                "a solution was already carried out: it cannot be replaced", incident_id=self.id
            )
        if promised_by is not None and promised_by.utcoffset() is None:
            raise InvalidInputError(
                "promised_by must be timezone-aware", field="promised_by", incident_id=self.id
            )
        self._record(
            self.SolutionProposed,
            stamp,
            solution=self._required(solution, "solution"),
            promised_by=promised_by,
        )

    @command()
    def record_customer_response(self, stamp: Stamp, *, accepted: bool, comment: str = "") -> None:
        """Record whether the customer accepts the proposed solution."""
        self._check_stamp(stamp)
        self._refuse_if_closed("record_customer_response")
        if self.solution is None or self.solution_accepted is not None:
            raise StepOutOfOrderError(
                "no proposed solution is awaiting the customer's response", incident_id=self.id
            )
        self._record(
            self.CustomerResponded,
            stamp,
            accepted=accepted,
            comment=self._optional(comment, "comment"),
        )

    @command()
    def carry_out_solution(self, stamp: Stamp, *, details: str = "") -> None:
        """Record that the accepted solution was carried out."""
        self._check_stamp(stamp)
        self._refuse_if_closed("carry_out_solution")
        if self.solution_carried_out:
            raise AlreadyDoneError("the solution was already carried out", incident_id=self.id)
        if self.solution_accepted is not True:
            raise StepOutOfOrderError(
                "only a solution the customer accepted can be carried out", incident_id=self.id
            )
        self._record(self.SolutionCarriedOut, stamp, details=self._optional(details, "details"))

    @command()
    def follow_up(self, stamp: Stamp, *, satisfied: bool, comment: str = "") -> None:
        """Revisit the customer and record their satisfaction (or confirm an unfounded finding)."""
        self._check_stamp(stamp)
        self._refuse_if_closed("follow_up")
        if not (self.solution_carried_out or self.founded is False):
            raise StepOutOfOrderError(
                "follow-up comes after the solution was carried out, or after the facts were found unfounded",
                incident_id=self.id,
            )
        self._record(self.FollowedUp, stamp, satisfied=satisfied, comment=self._optional(comment, "comment"))

    @command(intake=True, office_decision_with=("level",))
    def escalate(self, stamp: Stamp, *, reason: str, level: Level | None = None) -> None:
        """Escalate to the office (督办), optionally raising the warning level (never lowering it).

        Anyone who works the complaint may report it upward; the colour is the office's grading
        (or the risk-grading policy's, acting for it): a branch or the call centre escalates
        without a level, and the office decides the colour on what they reported.
        """
        self._check_stamp(stamp)
        self._refuse_if_closed("escalate")
        reason = self._required(reason, "reason")
        if level is not None and level.is_lower_than(self.level):
            raise LevelChangeError(
                f"escalation cannot lower the level from {self.level.value} to {level.value}",
                incident_id=self.id,
            )
        self._record(self.Escalated, stamp, reason=reason, level=level)

    @command()
    def extend_deadline(self, stamp: Stamp, *, reason: str, complainant_informed: bool = False) -> None:
        """Extend the limit: first to 30 days; a second time by another 30, once a higher office approved.

        The second extension takes an approval that stands and was not used yet
        (`approve_second_extension`), and the complainant told of it.
        """
        self._check_stamp(stamp)
        self._refuse_if_closed("extend_deadline")
        reason = self._required(reason, "reason")
        if self.extensions >= MAX_EXTENSIONS:
            raise ExtensionRefusedError(
                f"the deadline was already extended {MAX_EXTENSIONS} times (to {LIMITS_DAYS[-1]} days): "
                "no further extension",
                incident_id=self.id,
            )
        approved_by = self.second_extension_approved_by if self.extensions == 1 else None
        if self.extensions == 1 and approved_by is None:
            raise ApprovalRequiredError(
                "a second extension needs the approval of a higher office or a head-office senior "
                "manager: approve_second_extension first, by their own token",
                incident_id=self.id,
            )
        if self.extensions == 1 and not complainant_informed:
            raise ExtensionRefusedError(
                "a second extension requires the complainant to be informed",
                incident_id=self.id,
            )
        self._record(
            self.DeadlineExtended,
            stamp,
            reason=reason,
            complainant_informed=complainant_informed,
            limit_days=extended_limit(self.extensions),
            approved_by=approved_by,
        )

    @command(office_decision=True)
    def approve_second_extension(self, stamp: Stamp, *, reason: str) -> None:
        """Approve the further 30 days for a particularly complex case, as a higher office.

        The order wants the approval of a higher office or a head-office senior manager. The approver
        is the stamp's actor, as their token authenticated them: never a name typed in. Being an
        office decision, access lets only an office token whose unit contains the outlet take it
        (application/access/policy.py `check_command`); here the actor must be of the office and of a
        unit above the outlet, not the outlet itself. One approval allows one extension; it may come
        before or after the first.
        """
        self._check_stamp(stamp)
        self._refuse_if_closed("approve_second_extension")
        reason = self._required(reason, "reason")
        self._refuse_unless_superior(
            stamp.actor, "a second extension (a higher office or a head-office senior manager)"
        )
        if self.extensions >= MAX_EXTENSIONS:
            raise ExtensionRefusedError(
                f"the deadline was already extended {MAX_EXTENSIONS} times: there is nothing to approve",
                incident_id=self.id,
            )
        standing = self.second_extension_approved_by
        if standing is not None:
            raise AlreadyDoneError(
                f"a second extension was already approved by {standing.display_name} ({standing.unit})",
                incident_id=self.id,
            )
        self._record(self.SecondExtensionApproved, stamp, reason=reason)

    @command()
    def pause_clock(self, stamp: Stamp, *, reason: str) -> None:
        """Stop the clock for outside appraisal, testing or assessment.

        Paused time is counted once: a pause begins after the complaint was received, not while
        another pause runs, and not back-dated before the last pause ended or the clock last
        restarted (new facts, a reopening), so paused stretches never overlap.
        """
        self._check_stamp(stamp)
        self._refuse_if_closed("pause_clock")
        reason = self._required(reason, "reason")
        paused_since = self.clock.paused_since
        if paused_since is not None:
            raise ClockStateError(
                f"the clock is already paused (since {paused_since.isoformat()})", incident_id=self.id
            )
        at = stamp.occurred_at
        if at < self.received_at:
            self._refuse_clock_moment(
                f"a pause cannot begin before the complaint was received ({self.received_at.isoformat()})"
            )
        settled = self.clock.settled_until
        if at < settled:
            since = "the last pause ended" if settled == self.clock.resumed_at else "the clock last restarted"
            self._refuse_clock_moment(f"a pause cannot begin before {since} ({settled.isoformat()})")
        self._record(self.ClockPaused, stamp, reason=reason)

    @command()
    def resume_clock(self, stamp: Stamp, *, note: str = "") -> None:
        """Run the clock again after a pause."""
        self._check_stamp(stamp)
        self._refuse_if_closed("resume_clock")
        paused_since = self.clock.paused_since
        if paused_since is None:
            raise ClockStateError("the clock is not paused", incident_id=self.id)
        if stamp.occurred_at < paused_since:
            self._refuse_clock_moment(f"occurred_at is before the pause began ({paused_since.isoformat()})")
        self._record(self.ClockResumed, stamp, note=self._optional(note, "note"))

    def _refuse_clock_moment(self, message: str) -> NoReturn:
        raise InvalidInputError(message, field="occurred_at", incident_id=self.id)

    @command(intake=True)
    def receive_new_facts(self, stamp: Stamp, *, facts: str) -> None:
        """Record new facts; the clock restarts from their receipt (their occurred_at)."""
        self._check_stamp(stamp)
        self._refuse_if_closed("receive_new_facts")
        facts = self._required(facts, "facts")
        if stamp.occurred_at < self.received_at:
            raise InvalidInputError(
                "occurred_at is before the complaint was received",
                field="occurred_at",
                incident_id=self.id,
            )
        self._record(self.NewFactsReceived, stamp, facts=facts)

    @command()
    def attempt_retention(
        self,
        stamp: Stamp,
        *,
        real_reason: str,
        offer: str,
        retained: bool,
        second_contact: CustomerContact | None = None,
    ) -> None:
        """Record an attempt to keep a customer who wants to close the account over it.

        A customer not retained leaves a contact for a second attempt (seed 003: 留下客户的联系方式
        方便日后二次挽留): `second_contact` is then required, and personal data.
        """
        self._check_stamp(stamp)
        self._refuse_if_closed("attempt_retention")
        real_reason = self._required(real_reason, "real_reason")
        offer = self._required(offer, "offer")
        if second_contact is not None:
            second_contact = second_contact.checked("second_contact", self.id)
        if second_contact is not None and second_contact.is_empty:
            second_contact = None
        if not retained and second_contact is None:
            raise InvalidInputError(
                "a customer not retained leaves a contact for a second attempt "
                "(留下客户的联系方式方便日后二次挽留): second_contact needs a name, phone or e-mail",
                field="second_contact",
                incident_id=self.id,
            )
        self._record(
            self.RetentionAttempted,
            stamp,
            real_reason=real_reason,
            offer=offer,
            retained=retained,
            second_contact=second_contact,
        )

    @command(intake=True)
    def record_withdrawal(
        self, stamp: Stamp, *, confirmed_by: WithdrawalConfirmation, note: str = ""
    ) -> None:
        """Record that the customer withdrew the complaint: how it was confirmed; the actor took it.

        An intake step: the customer may withdraw by calling 95566 as well as at the branch.
        """
        self._check_stamp(stamp)
        self._refuse_if_closed("record_withdrawal")
        if self.withdrawal_recorded:
            raise AlreadyDoneError("the customer's withdrawal is already on record", incident_id=self.id)
        self._record(
            self.WithdrawalRecorded, stamp, confirmed_by=confirmed_by, note=self._optional(note, "note")
        )

    @command(system=True)
    def warn_deadline(self, stamp: Stamp, *, due_at: datetime) -> None:
        """Warn the owner that the complaint falls due at `due_at`, its current due time.

        How early to warn is the caller's rule (a policy's setting). One warning per due time:
        an extension, new facts or a pause that moves the due time allow a new one.
        """
        self._check_stamp(stamp)
        self._refuse_if_closed("warn_deadline")
        if due_at.utcoffset() is None:
            raise InvalidInputError("due_at must be timezone-aware", field="due_at", incident_id=self.id)
        current = self.due_at
        if current is None:
            raise ClockStateError("the clock is paused: there is no due time to warn of", incident_id=self.id)
        if due_at != current:
            raise ClockStateError(
                f"the complaint falls due at {current.isoformat()}, not at {due_at.isoformat()}",
                incident_id=self.id,
            )
        if self.warned_for_due_at == due_at:
            raise AlreadyDoneError(
                f"the owner was already warned of the due time {due_at.isoformat()}", incident_id=self.id
            )
        self._record(self.DeadlineWarned, stamp, due_at=due_at)

    @command(office_decision=True)
    def close(self, stamp: Stamp, *, outcome: ComplaintOutcome, summary: str) -> None:
        """Close with an outcome once the handling it needs is done.

        Withdrawn is the customer's word, so it needs the customer's withdrawal on record
        (`record_withdrawal`: how it was confirmed, by whom), whatever the finding. Founded, it would
        otherwise sidestep closing only after the solution was carried out and followed up; not yet
        checked, closing as withdrawn would sidestep checking the facts at all.
        """
        self._check_stamp(stamp)
        self._refuse_if_closed("close")
        summary = self._required(summary, "summary")
        if outcome is ComplaintOutcome.RESOLVED and not (
            self.founded is True and self.solution_carried_out and self.followed_up
        ):
            raise StepOutOfOrderError(
                "a founded complaint cannot close before a solution was carried out and followed up",
                incident_id=self.id,
            )
        if outcome is ComplaintOutcome.UNFOUNDED and not (self.founded is False and self.followed_up):
            raise StepOutOfOrderError(
                "an unfounded complaint closes only after the facts were found unfounded and "
                "confirmed with the customer at follow-up",
                incident_id=self.id,
            )
        if outcome is ComplaintOutcome.WITHDRAWN and not self.withdrawal_recorded:
            raise StepOutOfOrderError(
                "a complaint closes as withdrawn only once the customer's withdrawal is on record "
                "(record_withdrawal: how it was confirmed)",
                incident_id=self.id,
            )
        self._record(self.Closed, stamp, outcome=outcome, summary=summary)

    # -- handing over (首问责任制) ---------------------------------------------------------------

    @property
    def responsible(self) -> Actor | None:
        """The owner: the first person asked, or whoever took up their handover."""
        return self.owner

    def _take_over(self, stamp: Stamp, owner: Actor, handover: Handover) -> None:
        if stamp.actor.is_same_person(owner):
            raise AlreadyOwnedError(
                f"complaint {self.id} is already yours; it waits for {handover.receiver} to acknowledge",
                incident_id=self.id,
            )
        if not handover.may_be_taken_by(stamp.actor, self.outlet):
            raise NotTheReceiverError(
                f"complaint {self.id} was handed over to {handover.receiver}: "
                f"{stamp.actor.display_name} cannot take it up",
                incident_id=self.id,
            )
        self._record(self.HandoverAccepted, stamp, from_owner=owner)

    @command(office_decision=True)
    def change_level(self, stamp: Stamp, *, level: Level, reason: str) -> None:
        """Change the warning level, raising or lowering it, with a reason: the office's grading.

        Lowering is never silent: the event keeps the level it replaced and why, and the history
        shows both. A lowered complaint is not raised again by the risk-grading policy to a level
        the policy already raised it to (see application/policies/risk_grading.py).
        """
        self._check_stamp(stamp)
        self._refuse_if_closed("change_level")
        reason = self._required(reason, "reason")
        if level is self.level:
            raise LevelChangeError(
                f"the level is already {level.value}: a change must change it", incident_id=self.id
            )
        self._record(self.LevelChanged, stamp, level=level, reason=reason, previous=self.level)
