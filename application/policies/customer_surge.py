"""Customer surge (客流激增): a queue reading over the second-diversion threshold opens one emergency per episode."""

from __future__ import annotations

from uuid import UUID, uuid5

from application.log_tail import LoggedEvent
from application.policies.base import Policy, decoded, encoded
from domain.emergency import Emergency
from domain.emergency_terms import EmergencyKind
from domain.errors import DomainError
from domain.outlet_queue import OutletQueue


class CustomerSurgePolicy(Policy):
    """Opens a customer-surge emergency when a reading calls for 二次分流 and no episode is on.

    The episode is the queue's: it begins with SurgeOpened and ends with SurgeEnded, which this
    policy records when the episode's emergency is stood down (or closed). If the branch already
    reported a customer surge at the outlet by hand, the episode takes that emergency instead of
    opening a second one. Drills are never linked to a queue.
    """

    name = "customer-surge"
    title = "客流激增 Customer surge"
    memory_version = 1
    MEMORY_KEY = "queues"  # one entry: a bank has a few queues (one per outlet)

    def reset(self) -> None:
        self._outlets: dict[UUID, str] = {}
        self._episodes: dict[UUID, UUID] = {}  # queue id → the episode's emergency
        self._queue_of: dict[UUID, UUID] = {}  # the episode's emergency → queue id
        # Customer surges reported by hand and still worked, by outlet, oldest first.
        self._reported: dict[str, list[UUID]] = {}
        self._changed = False

    def remembered(self) -> dict[str, bytes | None]:
        if not self._changed:
            return {}
        self._changed = False
        memory = {
            "outlets": {str(q): outlet for q, outlet in self._outlets.items()},
            "episodes": {str(q): str(e) for q, e in self._episodes.items()},
            "queue_of": {str(e): str(q) for e, q in self._queue_of.items()},
            "reported": {outlet: [str(e) for e in ids] for outlet, ids in self._reported.items()},
        }
        return {self.MEMORY_KEY: encoded(memory)}

    def recall(self, key: str, body: bytes) -> None:  # noqa: ARG002 (its one key)
        memory = decoded(body)
        self._outlets = {UUID(q): outlet for q, outlet in memory["outlets"].items()}
        self._episodes = {UUID(q): UUID(e) for q, e in memory["episodes"].items()}
        self._queue_of = {UUID(e): UUID(q) for e, q in memory["queue_of"].items()}
        self._reported = {outlet: [UUID(e) for e in ids] for outlet, ids in memory["reported"].items()}

    def handle(self, logged: LoggedEvent) -> None:
        event = logged.event
        if isinstance(event, OutletQueue.Event | Emergency.Reported | Emergency.StoodDown | Emergency.Closed):
            self._changed = True  # the events below are the only ones that change the memory
        if isinstance(event, OutletQueue.Opened):
            self._outlets[event.originator_id] = event.outlet
        elif isinstance(event, OutletQueue.ReadingPosted):
            # The thresholds in force, not the reading's own: an admin may have changed them.
            over = self.settings.calls_for_surge(event.waiting, event.longest_wait_minutes)
            if over and event.originator_id not in self._episodes:
                self._open_episode(event)
        elif isinstance(event, OutletQueue.SurgeOpened):
            self._began(event.originator_id, event.emergency_id)
        elif isinstance(event, OutletQueue.SurgeEnded):
            self._ended(event.emergency_id)
        elif isinstance(event, Emergency.Reported):
            if self._is_surge_by_hand(event):
                self._reported.setdefault(event.outlet, []).append(event.originator_id)
        elif isinstance(event, Emergency.StoodDown | Emergency.Closed):
            self._no_longer_worked(event.originator_id)

    def _is_surge_by_hand(self, event: Emergency.Reported) -> bool:
        """A real customer surge not opened by this policy for an episode."""
        return (
            event.kind is EmergencyKind.CUSTOMER_SURGE
            and not event.exercise
            and event.originator_id not in self._queue_of
        )

    def _open_episode(self, reading: OutletQueue.ReadingPosted) -> None:
        queue_id = reading.originator_id
        outlet = self._outlets.get(queue_id)
        if outlet is None:
            return
        already = self._reported.get(outlet)
        emergency_id = already[0] if already else self._report(queue_id, outlet, reading)
        if emergency_id is None:
            return
        try:
            self.desk.act_on_queue(
                outlet,
                OutletQueue.open_surge(emergency_id=emergency_id),
                actor=self.actor,
                occurred_at=None,
                command_id=f"policy:{self.name}:open:{queue_id}:{reading.originator_version}",
            )
        except DomainError as error:
            self.refused(f"open surge at {outlet}", error)
            return
        self._began(queue_id, emergency_id)

    def _report(self, queue_id: UUID, outlet: str, reading: OutletQueue.ReadingPosted) -> UUID | None:
        # The id comes from the reading, so every worker and every replay names the same emergency.
        emergency_id = uuid5(queue_id, str(reading.originator_version))
        minutes = f"{reading.longest_wait_minutes:g}"
        threshold_zh, threshold_en = self.settings.surge_threshold
        summary = (
            f"客流激增: {reading.waiting} 人等候，最长等候 {minutes} 分钟，需二次分流（{threshold_zh}） / "
            f"customer surge: {reading.waiting} waiting, longest wait {minutes} min: second diversion "
            f"({threshold_en})"
        )
        try:
            self.desk.report_emergency(
                actor=self.actor,
                occurred_at=reading.occurred_at,
                incident_id=emergency_id,
                outlet=outlet,
                kind=EmergencyKind.CUSTOMER_SURGE,
                level=self.settings.surge_level,
                summary=summary,
            )
        except DomainError as error:
            self.refused(f"report surge {emergency_id}", error)
            return None
        return emergency_id

    def _began(self, queue_id: UUID, emergency_id: UUID) -> None:
        self._episodes[queue_id] = emergency_id
        self._queue_of[emergency_id] = queue_id
        for waiting in self._reported.values():
            if emergency_id in waiting:
                waiting.remove(emergency_id)

    def _ended(self, emergency_id: UUID) -> None:
        queue_id = self._queue_of.pop(emergency_id, None)
        if queue_id is not None and self._episodes.get(queue_id) == emergency_id:
            del self._episodes[queue_id]

    def _no_longer_worked(self, emergency_id: UUID) -> None:
        for outlet, waiting in list(self._reported.items()):
            if emergency_id in waiting:
                waiting.remove(emergency_id)
            if not waiting:
                del self._reported[outlet]
        queue_id = self._queue_of.get(emergency_id)
        if queue_id is None:
            return
        try:
            self.desk.act_on_queue(
                self._outlets[queue_id],
                OutletQueue.end_surge(emergency_id=emergency_id),
                actor=self.actor,
                occurred_at=None,
                command_id=f"policy:{self.name}:end:{queue_id}:{emergency_id}",
            )
        except DomainError as error:
            # The queue says this episode is not open (any more): the log will show what is.
            self.refused(f"end surge {emergency_id}", error)
        self._ended(emergency_id)
