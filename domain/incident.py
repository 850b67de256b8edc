"""The base complaints and emergencies share: stamps, status, notes, corrections, reopening."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar, cast

from eventsourcing.domain import Aggregate

from domain.actors import CLOCK_SKEW_TOLERANCE, Actor, Position, Role, Stamp
from domain.commands import command
from domain.errors import (
    AlreadyDoneError,
    ApprovalRequiredError,
    CorrectionTargetError,
    IncidentClosedError,
    IncidentNotClosedError,
    InvalidInputError,
    NotResponsibleError,
    RuleBrokenError,
)
from domain.handover import Handover
from domain.incident_type import IncidentType
from domain.labelled import Bilingual, Labelled
from domain.level import Level
from domain.personal import MIN_REVEAL_REASON
from domain.playbooks import PlaybookAction
from domain.stamped import Stamped
from domain.status import IncidentStatus
from domain.texts import optional_text, required_text


class Incident(Stamped, Aggregate):
    """What every incident shares; Complaint and Emergency each declare their own event classes."""

    # The shared event classes below carry the shared appliers. Each kind subclasses every one
    # under the same name, so a stored topic (`domain.complaint:Complaint.NoteAdded`) says which
    # kind of incident the event belongs to. Incident itself is never reported.
    NOUN: ClassVar[str] = "incident"
    # Which kind of incident this is; each kind sets it (and its NOUN, for messages, from it).
    TYPE: ClassVar[IncidentType]
    # Who owns it (首问负责制) when one person does: a complaint once acknowledged. A class default,
    # so an emergency (owned by no one person) has it too.
    owner: Actor | None = None
    # Whether the branch head took charge on the scene (seed 003): an emergency's, None for a complaint.
    branch_head_took_charge: bool | None = None
    # Set while the incident is flagged for passive waiting (被动等待): the last activity it was
    # idle since. A class default, so that snapshots taken before the flag existed still load.
    idle_flagged_since: datetime | None = None
    # Why the level is what it is, when an event raised or changed it (shown on the boards).
    level_reason: str = ""
    # A handover offered and not yet taken up (a class default: older snapshots still load).
    pending_handover: Handover | None = None
    # The notifications recorded as due, and those delivered or given up, by delivery id (class
    # defaults: older snapshots still load).
    # Lists once set, as every collection of an incident is (its snapshot is JSON); read-only here.
    notifications_due: Sequence[str] = ()
    notifications_settled: Sequence[str] = ()

    class Event(Aggregate.Event):
        """An incident event: who did it and when it happened at the branch."""

        actor: Actor
        occurred_at: datetime

        def mutate(self, aggregate: Any) -> Any:
            # Both the created and the later events' mutate return the incident they applied to.
            incident = cast("Incident", super().mutate(aggregate))
            # Every event of a person, new or replayed, moves the activity marks that reveal
            # passive waiting, and ends any flag for it.
            if self.is_activity:
                incident.last_actor = self.actor
                incident.last_event_at = max(incident.last_event_at, self.occurred_at)
                incident.idle_flagged_since = None
            return incident

        @property
        def is_activity(self) -> bool:
            """True when the event shows someone working the incident.

            What the system records by itself (a deadline warning, an idle flag, an escalation by
            a policy) is no work on the incident: it must not hide passive waiting (五大禁忌).
            """
            return self.actor.role is not Role.SYSTEM and not isinstance(
                self, Incident.IdleFlagged | Incident.PersonalDataRevealed
            )

    class Reported(Event, Aggregate.Created):
        """The incident was reported (its kind adds its own fields)."""

        outlet: str
        level: Level
        summary: str
        exercise: bool

    class LevelChanged(Event):
        """The warning level was changed, up or down, with a reason (old → new); each kind names its own."""

        level: Level
        reason: str
        previous: Level

        def apply(self, aggregate: Any) -> None:
            incident: Incident = aggregate
            incident.level = self.level
            incident.level_reason = self.reason

    class NoteAdded(Event):
        """A note was added to the log."""

        text: str

        def apply(self, aggregate: Any) -> None:
            incident: Incident = aggregate
            # The text lives in the event (and the timeline board); the aggregate keeps only what
            # its rules need, so its state, snapshots and cached copies stay small however long
            # the log grows.
            incident.notes_count += 1

    class EntryCorrected(Event):
        """An earlier event was corrected; the earlier event stays as it was."""

        corrects_version: int
        reason: str
        correction: str

        def apply(self, aggregate: Any) -> None:
            incident: Incident = aggregate
            incident.corrections_count += 1

    class CustomerIsolated(Event):
        """The customer was taken out of the lobby to a quiet room (迅速隔离客户)."""

        place: str

        def apply(self, aggregate: Any) -> None:
            incident: Incident = aggregate
            incident.customer_isolated = True
            incident.isolation_place = self.place

    class Apologised(Event):
        """The customer was calmed and given a full apology (安抚客户情绪、充分道歉)."""

        note: str

        def apply(self, aggregate: Any) -> None:
            incident: Incident = aggregate
            incident.apologised = True

    class Closed(Event):
        """The incident was closed."""

        summary: str

        def apply(self, aggregate: Any) -> None:
            incident: Incident = aggregate
            incident.status = IncidentStatus.CLOSED
            incident.closed_at = self.occurred_at
            incident.closing_summary = self.summary

    class Reopened(Event):
        """A closed incident was reopened."""

        reason: str

        def apply(self, aggregate: Any) -> None:
            incident: Incident = aggregate
            incident.status = IncidentStatus.OPEN
            incident.closed_at = None
            incident.closing_summary = ""
            incident.times_reopened += 1

    class IdleFlagged(Event):
        """Nobody worked the incident since `idle_since`: passive waiting (被动等待, 五大禁忌)."""

        idle_since: datetime

        def apply(self, aggregate: Any) -> None:
            incident: Incident = aggregate
            incident.idle_flagged_since = self.idle_since

    class NotificationDue(Event):
        """A notification is due on `channel` under `rule` (the system's outbox: sent by the delivery worker).

        `delivery_id` is derived from the trigger's log position, the rule and the channel, so a
        replay records it once and a receiver can drop a resent copy. `message` holds no personal data.
        """

        delivery_id: str
        channel: str
        rule: str
        message: str

        def apply(self, aggregate: Any) -> None:
            incident: Incident = aggregate
            incident.notifications_due = [*incident.notifications_due, self.delivery_id]

    class NotificationDelivered(Event):
        """The receiver took the notification `delivery_id` (its answer as it gave it)."""

        delivery_id: str
        channel: str
        attempt: int
        answer: str

        def apply(self, aggregate: Any) -> None:
            incident: Incident = aggregate
            incident.notifications_settled = [*incident.notifications_settled, self.delivery_id]

    class NotificationFailed(Event):
        """An attempt to send `delivery_id` failed (the answer or the error); tried again at `retry_at`."""

        delivery_id: str
        channel: str
        attempt: int
        error: str
        retry_at: datetime

    class NotificationGivenUp(Event):
        """The notification `delivery_id` was given up after `attempts` failed attempts."""

        delivery_id: str
        channel: str
        attempts: int
        error: str

        def apply(self, aggregate: Any) -> None:
            incident: Incident = aggregate
            incident.notifications_settled = [*incident.notifications_settled, self.delivery_id]

    class PersonalDataRevealed(Event):
        """A reader who does not answer the customer read the personal data in full (个人信息查阅).

        Who read it is the event's actor, when is its stamp, and why is `reason`: the read is on the
        record of the incident it concerns, where its owner and the auditors see it.
        """

        reason: str

    class HandedOver(Event):
        """The person responsible handed the incident over; it is theirs until the receiver acts."""

        from_person: Actor
        to: str
        to_position: Position | None
        to_office: bool
        reason: str

        def apply(self, aggregate: Any) -> None:
            incident: Incident = aggregate
            incident.pending_handover = Handover(
                by=self.from_person,
                to=self.to,
                to_position=self.to_position,
                to_office=self.to_office,
                reason=self.reason,
            )

    def __init__(
        self,
        *,
        outlet: str,
        level: Level,
        summary: str,
        exercise: bool,
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.outlet = outlet
        self.level = level
        self.summary = summary
        # A drill (演练) must be visibly a drill wherever it appears.
        self.exercise = exercise
        self.status = IncidentStatus.OPEN
        self.opened_at = occurred_at
        self.reported_by = actor
        self.last_event_at = occurred_at
        self.last_actor = actor
        self.notes_count = 0
        self.corrections_count = 0
        self.customer_isolated = False
        self.isolation_place = ""
        self.apologised = False
        self.closed_at: datetime | None = None
        self.closing_summary = ""
        self.times_reopened = 0

    @property
    def is_open(self) -> bool:
        """True while the incident is being worked (not stood down, not closed)."""
        return self.status is IncidentStatus.OPEN

    @property
    def is_closed(self) -> bool:
        """True once the incident is closed."""
        return self.status is IncidentStatus.CLOSED

    # -- the read surface both kinds share: boards and views read these, never the kind --------

    @property
    def kind_label(self) -> Labelled:
        """What it is about: a complaint's category, an emergency's kind."""
        raise NotImplementedError

    @property
    def current_step(self) -> Bilingual | None:
        """The furthest step done, where the kind tracks one (an emergency tracks actions instead)."""
        return None

    @property
    def next_expected_step(self) -> Bilingual:
        """The step or playbook action that should happen next ("done" once closed)."""
        raise NotImplementedError

    @property
    def open_actions(self) -> list[PlaybookAction]:
        """Required playbook actions not yet done, in the playbook's order (a complaint has none)."""
        return []

    @property
    def done_actions(self) -> list[PlaybookAction]:
        """Required playbook actions done, in the playbook's order (a complaint has none)."""
        return []

    @property
    def due_at(self) -> datetime | None:
        """When the decision is due; None without a running clock (an emergency has no clock)."""
        return None

    @property
    def clock_paused(self) -> bool:
        """True while the incident's clock is paused."""
        return False

    @property
    def deadline_warned(self) -> bool:
        """True once the owner was warned of the current due time."""
        return False

    def is_overdue(self, now: datetime) -> bool:  # noqa: ARG002 (no clock: never overdue)
        """True when open and past its due time."""
        return False

    @command(intake=True)
    def add_note(self, stamp: Stamp, *, text: str) -> None:
        """Add a note to the log (allowed at any time, closed or not)."""
        self._check_stamp(stamp)
        self._record(self.NoteAdded, stamp, text=self._required(text, "text"))

    @command(intake=True)
    def correct_entry(self, stamp: Stamp, *, corrects_version: int, reason: str, correction: str) -> None:
        """Correct an earlier event by pointing at its version; nothing stored is edited."""
        self._check_stamp(stamp)
        if not 1 <= corrects_version <= self.version:
            raise CorrectionTargetError(
                f"corrects_version {corrects_version} is not an event of this {self.NOUN} "
                f"(versions 1 to {self.version})",
                field="corrects_version",
                incident_id=self.id,
            )
        self._record(
            self.EntryCorrected,
            stamp,
            corrects_version=corrects_version,
            reason=self._required(reason, "reason"),
            correction=self._required(correction, "correction"),
        )

    @command(office_decision=True)
    def reopen(self, stamp: Stamp, *, reason: str) -> None:
        """Reopen a closed incident."""
        self._check_stamp(stamp)
        if not self.is_closed:
            raise IncidentNotClosedError(
                f"{self.NOUN} {self.id} is not closed: only a closed {self.NOUN} can be reopened",
                incident_id=self.id,
            )
        self._record(self.Reopened, stamp, reason=self._required(reason, "reason"))

    @command(system=True)
    def flag_idle(self, stamp: Stamp, *, idle_since: datetime) -> None:
        """Flag passive waiting: nobody worked the incident since its last activity, `idle_since`.

        How long is too long is the caller's rule (a policy's setting); the incident checks that
        `idle_since` is its last activity and that this stretch was not flagged already.
        """
        self._check_stamp(stamp)
        self._refuse_if_closed("flag_idle")
        if idle_since.utcoffset() is None:
            raise InvalidInputError(
                "idle_since must be timezone-aware", field="idle_since", incident_id=self.id
            )
        if self.idle_flagged_since == idle_since:
            raise AlreadyDoneError(
                f"{self.NOUN} {self.id} is already flagged idle since {idle_since.isoformat()}",
                incident_id=self.id,
            )
        if idle_since != self.last_event_at:
            raise RuleBrokenError(
                f"{self.NOUN} {self.id} was last worked at {self.last_event_at.isoformat()}, "
                f"not at {idle_since.isoformat()}: it is not idle since then",
                incident_id=self.id,
            )
        self._record(self.IdleFlagged, stamp, idle_since=idle_since)

    @command(system=True)
    def record_notification_due(
        self, stamp: Stamp, *, delivery_id: str, channel: str, rule: str, message: str
    ) -> None:
        """Record that a notification is due (closed incidents too: the close may be what is notified)."""
        self._check_stamp(stamp)
        delivery_id = self._required(delivery_id, "delivery_id")
        if delivery_id in self.notifications_due:
            raise AlreadyDoneError(f"notification {delivery_id} is already due", incident_id=self.id)
        self._record(
            self.NotificationDue,
            stamp,
            delivery_id=delivery_id,
            channel=self._required(channel, "channel"),
            rule=self._required(rule, "rule"),
            message=self._required(message, "message"),
        )

    def _check_unsettled(self, delivery_id: str) -> None:
        if delivery_id not in self.notifications_due:
            raise RuleBrokenError(f"notification {delivery_id} was never due", incident_id=self.id)
        if delivery_id in self.notifications_settled:
            raise AlreadyDoneError(f"notification {delivery_id} is already settled", incident_id=self.id)

    @command(system=True)
    def record_notification_delivered(
        self, stamp: Stamp, *, delivery_id: str, channel: str, attempt: int, answer: str
    ) -> None:
        """Record the receiver's answer to a delivered notification."""
        self._check_stamp(stamp)
        self._check_unsettled(delivery_id)
        self._record(
            self.NotificationDelivered,
            stamp,
            delivery_id=delivery_id,
            channel=channel,
            attempt=attempt,
            answer=answer[:500],
        )

    @command(system=True)
    def record_notification_failed(
        self, stamp: Stamp, *, delivery_id: str, channel: str, attempt: int, error: str, retry_at: datetime
    ) -> None:
        """Record a failed attempt and when the next one is due."""
        self._check_stamp(stamp)
        self._check_unsettled(delivery_id)
        self._record(
            self.NotificationFailed,
            stamp,
            delivery_id=delivery_id,
            channel=channel,
            attempt=attempt,
            error=error[:500] or "failed",
            retry_at=retry_at,
        )

    @command(system=True)
    def record_notification_given_up(
        self, stamp: Stamp, *, delivery_id: str, channel: str, attempts: int, error: str
    ) -> None:
        """Record that a notification was given up after `attempts` attempts."""
        self._check_stamp(stamp)
        self._check_unsettled(delivery_id)
        self._record(
            self.NotificationGivenUp,
            stamp,
            delivery_id=delivery_id,
            channel=channel,
            attempts=attempts,
            error=error[:500] or "failed",
        )

    @command(audit=True)
    def reveal_personal_data(self, stamp: Stamp, *, reason: str) -> None:
        """Record that the actor reads the incident's personal data in full, and why (closed ones too)."""
        self._check_stamp(stamp)
        reason = required_text(reason, "reason", self.id)
        if len(reason) < MIN_REVEAL_REASON:
            raise InvalidInputError(
                f"reason: say why the personal data must be read, in at least {MIN_REVEAL_REASON} "
                "characters (说明查阅个人信息的理由)",
                field="reason",
                incident_id=self.id,
            )
        self._record(self.PersonalDataRevealed, stamp, reason=reason)

    @command()
    def isolate_customer(self, stamp: Stamp, *, place: str = "") -> None:
        """Record that the customer was taken to a quiet room so the scene does not spread."""
        self._check_stamp(stamp)
        self._refuse_if_closed("isolate_customer")
        self._record(self.CustomerIsolated, stamp, place=self._optional(place, "place"))

    @command()
    def apologise(self, stamp: Stamp, *, note: str = "") -> None:
        """Record that the customer was calmed and given a full apology."""
        self._check_stamp(stamp)
        self._refuse_if_closed("apologise")
        self._record(self.Apologised, stamp, note=self._optional(note, "note"))

    @property
    def responsible(self) -> Actor | None:
        """Who answers for the incident now (a complaint's owner, an emergency's person in charge)."""
        return None

    @command()
    def hand_over(
        self,
        stamp: Stamp,
        *,
        to: str,
        reason: str,
        to_position: Position | None = None,
        to_office: bool = False,
    ) -> None:
        """Hand the incident over to another person (首问责任制: owned until handed over).

        Only the person responsible as recorded hands over (`from_person` on the event). `to` names
        the receiver as the giver knows them (free text); `to_position` the branch post they hold,
        or `to_office` the emergency handling office. The receiver confirms by acting with their own
        token (domain/handover.py); until then the giver stays responsible. A new handover replaces
        one not yet taken up. The office, which directs every response in its area, may also reassign
        (改派) an incident whoever holds it, say one the call centre took: the event names whose it was
        (`from_person`) and, as its actor, the office person who reassigned it.
        """
        self._check_stamp(stamp)
        self._refuse_if_closed("hand_over")
        responsible = self.responsible
        if responsible is None:
            raise NotResponsibleError(
                f"nobody is responsible for {self.NOUN} {self.id} yet: there is nothing to hand over",
                incident_id=self.id,
            )
        if not stamp.actor.is_same_person(responsible) and stamp.actor.role is not Role.OFFICE:
            raise NotResponsibleError(
                f"{self.NOUN} {self.id} is held by {responsible.display_name} ({responsible.unit}): "
                "only they can hand it over",
                incident_id=self.id,
            )
        if to_office and to_position is not None:
            raise InvalidInputError(
                "a handover to the office names no branch position", field="to_position", incident_id=self.id
            )
        self._record(
            self.HandedOver,
            stamp,
            from_person=responsible,
            to=self._required(to, "to"),
            to_position=to_position,
            to_office=to_office,
            reason=self._required(reason, "reason"),
        )

    def _refuse_unless_superior(self, approver: Actor, what: str) -> None:
        """An approval is given by a person of an office above the outlet, as their token says.

        Access lets only an office token whose unit contains the outlet give an office decision
        (application/access/policy.py); an office token of the outlet itself is no superior office.
        """
        if approver.role is not Role.OFFICE or approver.unit == self.outlet:
            raise ApprovalRequiredError(
                f"{what} is approved by a person of a superior office, not by {approver.display_name} "
                f"({approver.role.value} {approver.unit})",
                incident_id=self.id,
            )

    def _refuse_if_closed(self, command_name: str) -> None:
        if self.is_closed:
            raise IncidentClosedError(
                f"{self.NOUN} {self.id} is closed: {command_name} is not allowed "
                "(only add_note, correct_entry and reopen are)",
                incident_id=self.id,
            )

    def _check_stamp(self, stamp: Stamp) -> None:
        stamp.check(self.id)
        # Nothing is done about an incident before it happened (beyond two clocks' disagreement):
        # a back-dated note would rewrite the order auditors read the history in.
        if stamp.occurred_at < self.opened_at - CLOCK_SKEW_TOLERANCE:
            raise InvalidInputError(
                f"occurred_at {stamp.occurred_at.isoformat()} is before this {self.NOUN} occurred "
                f"({self.opened_at.isoformat()})",
                field="occurred_at",
                incident_id=self.id,
            )

    def _required(self, value: str, field: str) -> str:
        return required_text(value, field, self.id)

    def _optional(self, value: str, field: str) -> str:
        return optional_text(value, field, self.id)
