"""The complaint clock: warn the owner before the due time, escalate to the office once it passes."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from application.log_tail import LoggedEvent
from application.policies.base import Policy, decoded, encoded, stable
from domain.complaint import Complaint


class ComplaintClockPolicy(Policy):
    """Warns once per due time, `deadline_warning_lead` before it; escalates once per due time passed.

    A paused clock has no due time and is left alone; an extension or new facts move the due time,
    and a new warning (and, if that passes too, a new escalation) follows.
    """

    name = "complaint-clock"
    title = "投诉时限 Complaint clock"
    memory_version = 1

    def reset(self) -> None:
        # What this policy already did, per complaint: the due time warned of, and escalated for.
        self._warned: dict[UUID, datetime] = {}
        self._escalated: dict[UUID, datetime] = {}
        self._changed: set[UUID] = set()

    def remembered(self) -> dict[str, bytes | None]:
        changes = {str(i): self._entry(i) for i in self._changed}
        self._changed.clear()
        return changes

    def _entry(self, complaint_id: UUID) -> bytes | None:
        warned, escalated = self._warned.get(complaint_id), self._escalated.get(complaint_id)
        if warned is None and escalated is None:
            return None
        return encoded([warned and warned.isoformat(), escalated and escalated.isoformat()])

    def recall(self, key: str, body: bytes) -> None:
        warned, escalated = decoded(body)
        if warned is not None:
            self._warned[UUID(key)] = datetime.fromisoformat(warned)
        if escalated is not None:
            self._escalated[UUID(key)] = datetime.fromisoformat(escalated)

    def handle(self, logged: LoggedEvent) -> None:
        event = logged.event
        complaint = self.open_incidents.get(event.originator_id)
        if not isinstance(complaint, Complaint):
            self._forget(event.originator_id)
            return
        if isinstance(event, Complaint.DeadlineWarned):
            self._warned[complaint.id] = event.due_at
            self._changed.add(complaint.id)
        elif isinstance(event, Complaint.Escalated) and self.is_own(event) and complaint.due_at is not None:
            # An escalation changes no due time: the one it was for is still the complaint's.
            self._escalated[complaint.id] = complaint.due_at
            self._changed.add(complaint.id)

    def tick(self, now: datetime) -> None:
        for complaint in self.open_incidents:
            if not isinstance(complaint, Complaint):
                continue
            due_at = complaint.due_at
            if due_at is None:
                continue
            if now > due_at:
                if self._escalated.get(complaint.id) != due_at:
                    self._escalate_overdue(complaint.id, due_at, now)
            elif now >= due_at - self.settings.deadline_warning_lead and due_at not in (
                self._warned.get(complaint.id),
                complaint.warned_for_due_at,
            ):
                self._warn(complaint.id, due_at)

    def _warn(self, complaint_id: UUID, due_at: datetime) -> None:
        # The complaint itself refuses a due time that is no longer its own.
        done = self.act(
            complaint_id,
            Complaint.warn_deadline(due_at=due_at),
            f"policy:{self.name}:warn:{complaint_id}:{stable(due_at)}",
        )
        if done is not None:
            self._warned[complaint_id] = due_at
            self._changed.add(complaint_id)

    def _escalate_overdue(self, complaint_id: UUID, due_at: datetime, now: datetime) -> None:
        # Escalating is allowed at any time, so check the stored complaint is still overdue by the
        # same due time: this policy's copy may lag a moment behind an extension or a close.
        fresh = self.desk.get_incident(complaint_id)
        if not isinstance(fresh, Complaint) or fresh.due_at != due_at or not fresh.is_overdue(now):
            return
        reason = (
            f"投诉超过处理时限（应于 {stable(due_at)} 前答复客户），提交应急处理办公室督办 / "
            f"complaint overdue: the decision was due {stable(due_at)}; escalated to the office"
        )
        done = self.act(
            complaint_id,
            Complaint.escalate(reason=reason),
            f"policy:{self.name}:overdue:{complaint_id}:{stable(due_at)}",
        )
        if done is not None:
            self._escalated[complaint_id] = due_at
            self._changed.add(complaint_id)

    def _forget(self, complaint_id: UUID) -> None:
        if self.open_incidents.get(complaint_id) is None:
            warned, escalated = self._warned.pop(complaint_id, None), self._escalated.pop(complaint_id, None)
            if warned is not None or escalated is not None:
                self._changed.add(complaint_id)
